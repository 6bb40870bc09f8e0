import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdir, readFile, stat, unlink, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { LabError } from '../domain/errors.js';
import { ignoreMissing, writeFileAtomic } from './atomic-file.js';

/**
 * The data directory's lock: one writer at a time across processes (the server's
 * writers and the CLI's recovery commands), and within a process a queue so a process
 * never contends with itself.
 *
 * The lock itself is proper-lockfile's directory `<dataDir>/.agent-lab.lock`, kept fresh
 * while held and considered stale 10 s after its holder stops refreshing it. Beside it,
 * `<dataDir>/.agent-lab.lock.owner` names the holder (pid, host), so that a lock left by
 * a process that was killed on this host is taken over at once instead of after 10 s.
 */

/** The lock directory's name inside the data directory. */
export const DATA_LOCK_NAME = '.agent-lab.lock';
const OWNER_SUFFIX = '.owner';
const STALE_MS = 10_000;
const DEFAULT_WAIT_MS = 10_000;

interface Owner {
  pid: number;
  hostname: string;
  /** Identity of the lock directory this note belongs to (inode and birth time). */
  ino: number;
  birth: number;
  acquired_at: string;
}

/** Per data directory: the tail of this process's queue. */
const queues = new Map<string, Promise<void>>();
/** The data directories whose lock the current async context already holds (re-entrancy). */
const held = new AsyncLocalStorage<ReadonlySet<string>>();

/** Path of the lock directory for `dataDir`. */
export function dataLockPath(dataDir: string): string {
  return path.join(path.resolve(dataDir), DATA_LOCK_NAME);
}

/**
 * Run `fn` while holding the data directory's lock. Calls within one process queue up
 * in order; a nested call from inside `fn` (same async context) runs at once.
 * Rejects with LabError `unavailable:store` when the lock cannot be had within
 * `waitMs` (default 10 s).
 */
export async function withDataLock<T>(
  dataDir: string,
  fn: () => Promise<T>,
  options: { waitMs?: number } = {},
): Promise<T> {
  const directory = path.resolve(dataDir);
  if (held.getStore()?.has(directory)) return fn();

  const previous = queues.get(directory) ?? Promise.resolve();
  let done!: () => void;
  const current = new Promise<void>((resolve) => {
    done = resolve;
  });
  const tail = previous.then(() => current);
  queues.set(directory, tail);
  try {
    await previous;
    const release = await acquire(directory, options.waitMs ?? DEFAULT_WAIT_MS);
    try {
      const inside = new Set(held.getStore() ?? []);
      inside.add(directory);
      return await held.run(inside, fn);
    } finally {
      await release();
    }
  } finally {
    done();
    if (queues.get(directory) === tail) queues.delete(directory);
  }
}

async function acquire(directory: string, waitMs: number): Promise<() => Promise<void>> {
  await mkdir(directory, { recursive: true });
  const lockPath = path.join(directory, DATA_LOCK_NAME);
  const deadline = Date.now() + waitMs;
  let delay = 20;
  for (;;) {
    try {
      const unlock = await lockfile.lock(directory, {
        lockfilePath: lockPath,
        realpath: false,
        stale: STALE_MS,
        retries: 0,
        // The default throws from a timer and would crash the process. A compromised lock
        // (someone removed it, or the event loop stalled past the stale time) is no longer
        // ours; the write under way still completes, and release below tolerates it.
        onCompromised: () => {},
      });
      const owner = await writeOwner(lockPath);
      return async () => {
        await removeOwner(lockPath, owner);
        try {
          await unlock();
        } catch (error) {
          // ERELEASED/ECOMPROMISED: the lock is no longer ours, so there is nothing to release.
          const code = (error as NodeJS.ErrnoException).code;
          if (code !== 'ERELEASED' && code !== 'ECOMPROMISED' && code !== 'ENOTACQUIRED') throw error;
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
      if (await takeOverFromDeadOwner(lockPath)) continue;
      if (Date.now() >= deadline) {
        const owner = await readOwner(lockPath);
        const holder = owner ? ` (held by pid ${owner.pid} on ${owner.hostname} since ${owner.acquired_at})` : '';
        throw new LabError(
          'unavailable:store',
          `Timed out after ${Math.round(waitMs / 1000)} s waiting for the data lock ${lockPath}${holder}`,
          { cause: error, retryAfterSeconds: 1 },
        );
      }
      await sleep(Math.min(delay, Math.max(0, deadline - Date.now())) * (0.5 + Math.random() / 2));
      delay = Math.min(delay * 2, 250);
    }
  }
}

async function writeOwner(lockPath: string): Promise<Owner> {
  const info = await stat(lockPath, { bigint: false });
  const owner: Owner = {
    pid: process.pid,
    hostname: hostname(),
    ino: info.ino,
    birth: info.birthtimeMs,
    acquired_at: new Date().toISOString(),
  };
  // Not fsynced: after power loss every pid is gone and the mtime rule decides.
  await writeFileAtomic(lockPath + OWNER_SUFFIX, JSON.stringify(owner), { durable: false });
  return owner;
}

async function removeOwner(lockPath: string, owner: Owner): Promise<void> {
  const current = await readOwner(lockPath);
  if (current && current.pid === owner.pid && current.ino === owner.ino && current.birth === owner.birth) {
    await unlink(lockPath + OWNER_SUFFIX).catch(ignoreMissing);
  }
}

async function readOwner(lockPath: string): Promise<Owner | undefined> {
  let text: string;
  try {
    text = await readFile(lockPath + OWNER_SUFFIX, 'utf8');
  } catch (error) {
    ignoreMissing(error);
    return undefined;
  }
  try {
    const value = JSON.parse(text) as Partial<Owner>;
    if (typeof value.pid !== 'number' || typeof value.hostname !== 'string' || typeof value.ino !== 'number') return undefined;
    return { pid: value.pid, hostname: value.hostname, ino: value.ino, birth: Number(value.birth ?? 0), acquired_at: String(value.acquired_at ?? '') };
  } catch {
    // A note torn by a crash names nobody; the mtime rule will free the lock.
    return undefined;
  }
}

/**
 * When the lock's owner note names a process on this host that no longer exists, and the
 * note belongs to the lock directory now present, mark the lock stale (mtime in the past)
 * so proper-lockfile's own stale rule removes it on the next attempt.
 */
async function takeOverFromDeadOwner(lockPath: string): Promise<boolean> {
  const owner = await readOwner(lockPath);
  if (!owner || owner.hostname !== hostname() || owner.pid === process.pid || isAlive(owner.pid)) return false;
  let info;
  try {
    info = await stat(lockPath);
  } catch (error) {
    ignoreMissing(error);
    return true;
  }
  if (info.ino !== owner.ino || info.birthtimeMs !== owner.birth) return false;
  await utimes(lockPath, 0, 0).catch(ignoreMissing);
  return true;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
