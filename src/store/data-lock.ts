import { mkdir, readdir, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { LabError } from '../domain/errors.js';
import { ignoreMissing } from './atomic-file.js';

/**
 * The data directory's lock: one writer at a time across processes (the server's
 * writers and the CLI's recovery commands), and within a process a queue so a process
 * never contends with itself.
 *
 * The lock itself is proper-lockfile's directory `<dataDir>/.agent-lab.lock`, kept fresh
 * while held and considered stale 10 s after its holder stops refreshing it. So that a
 * lock left by a process killed on this host is taken over at once rather than after
 * 10 s, every process leaves a note `<dataDir>/.agent-lab.lock.<pid>@<host>` for as long
 * as it holds or waits for the lock: written before it tries, removed after it releases.
 * When the lock is held and no note names a live process but ourselves, its holder is
 * dead, and the lock is marked stale so proper-lockfile's own rule removes it.
 */

/** The lock directory's name inside the data directory. */
export const DATA_LOCK_NAME = '.agent-lab.lock';
const STALE_MS = 10_000;
const DEFAULT_WAIT_MS = 10_000;
const HOST = hostname().replace(/[^A-Za-z0-9.-]/g, '_');

/** Per data directory: the tail of this process's queue. */
const queues = new Map<string, Promise<void>>();
/**
 * Proof that a caller holds a data directory's lock, handed to `fn`; pass it back as
 * `heldBy` to run a nested locked call at once. Explicit rather than AsyncLocalStorage:
 * on Node 20 any AsyncLocalStorage in the process makes every promise ~2.5× dearer.
 */
export interface DataLockToken {
  readonly directory: string;
  /** False once the lock is released (a token kept past its `fn` grants nothing). */
  readonly active: boolean;
}

/** Path of the lock directory for `dataDir`. */
export function dataLockPath(dataDir: string): string {
  return path.join(path.resolve(dataDir), DATA_LOCK_NAME);
}

/** True when `token` proves its holder has `dataDir`'s lock now (a nested call runs at once). */
export function holdsDataLock(dataDir: string, token: DataLockToken | undefined): boolean {
  return token !== undefined && token.active && token.directory === path.resolve(dataDir);
}

/**
 * Run `fn` while holding the data directory's lock. Calls within one process queue up
 * in order; a nested call from inside `fn` passes the token it was given as `heldBy` and
 * runs at once. Rejects with LabError `unavailable:store` when the lock cannot be had
 * within `waitMs` (default 10 s).
 */
export async function withDataLock<T>(
  dataDir: string,
  fn: (token: DataLockToken) => Promise<T>,
  options: { waitMs?: number; heldBy?: DataLockToken } = {},
): Promise<T> {
  const directory = path.resolve(dataDir);
  if (holdsDataLock(directory, options.heldBy)) return fn(options.heldBy!);

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
      const token = { directory, active: true };
      try {
        return await fn(token);
      } finally {
        token.active = false;
      }
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
  const note = `${lockPath}.${process.pid}@${HOST}`;
  await writeFile(note, '');
  const deadline = Date.now() + waitMs;
  let delay = 20;
  try {
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
        return async () => {
          try {
            await unlock();
          } catch (error) {
            // ERELEASED/ECOMPROMISED: the lock is no longer ours, so there is nothing to release.
            const code = (error as NodeJS.ErrnoException).code;
            if (code !== 'ERELEASED' && code !== 'ECOMPROMISED' && code !== 'ENOTACQUIRED') throw error;
          } finally {
            await unlink(note).catch(ignoreMissing);
          }
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
        if (await takeOverFromDeadHolder(directory, lockPath)) continue;
        if (Date.now() >= deadline) {
          const others = (await readNotes(directory)).filter((other) => !(other.pid === process.pid && other.host === HOST));
          const users = others.map((other) => `pid ${other.pid} on ${other.host}`).join(', ');
          throw new LabError(
            'unavailable:store',
            `Timed out after ${Math.round(waitMs / 1000)} s waiting for the data lock ${lockPath}` +
              (users ? ` (in use by ${users})` : ''),
            { cause: error, retryAfterSeconds: 1 },
          );
        }
        await sleep(Math.min(delay, Math.max(0, deadline - Date.now())) * (0.5 + Math.random() / 2));
        delay = Math.min(delay * 2, 250);
      }
    }
  } catch (error) {
    await unlink(note).catch(ignoreMissing);
    throw error;
  }
}

interface Note {
  name: string;
  pid: number;
  host: string;
}

async function readNotes(directory: string): Promise<Note[]> {
  const prefix = `${DATA_LOCK_NAME}.`;
  return (await readdir(directory)).flatMap((name) => {
    const match = name.startsWith(prefix) ? /^(\d+)@(.+)$/.exec(name.slice(prefix.length)) : null;
    return match ? [{ name, pid: Number(match[1]), host: match[2] as string }] : [];
  });
}

/**
 * When the lock is held and no note names a live process other than this one (and none is
 * from another host, whose processes we cannot see), the holder is dead: clear the dead
 * notes and set the lock's mtime far in the past, so proper-lockfile removes it as stale.
 */
async function takeOverFromDeadHolder(directory: string, lockPath: string): Promise<boolean> {
  const before = await statOrUndefined(lockPath);
  if (!before) return true;
  const notes = await readNotes(directory);
  const others = notes.filter((note) => !(note.pid === process.pid && note.host === HOST));
  if (others.some((note) => note.host !== HOST || isProcessAlive(note.pid))) return false;
  for (const note of others) await unlink(path.join(directory, note.name)).catch(ignoreMissing);
  // Only the lock directory we judged: a new one made since belongs to a live process.
  const now = await statOrUndefined(lockPath);
  if (!now) return true;
  if (now.ino !== before.ino || now.birthtimeMs !== before.birthtimeMs) return false;
  await utimes(lockPath, 0, 0).catch(ignoreMissing);
  return true;
}

async function statOrUndefined(file: string): Promise<Stats | undefined> {
  try {
    return await stat(file);
  } catch (error) {
    ignoreMissing(error);
    return undefined;
  }
}

/** True when a process with this pid exists on this host (EPERM: it exists but is someone else's). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
