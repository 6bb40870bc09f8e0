import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withDataLock } from './data-lock.js';
import { temporaryDataDir } from './test-support.js';

const fixture = fileURLToPath(new URL('./__fixtures__/hold-lock.ts', import.meta.url));

function startChild(args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', fixture, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
}

async function waitForLine(child: ChildProcess, line: string): Promise<void> {
  let output = '';
  for await (const chunk of child.stdout as NodeJS.ReadableStream) {
    output += String(chunk);
    if (output.split('\n').includes(line)) return;
  }
  throw new Error(`child exited before printing ${line}`);
}

describe('withDataLock', () => {
  let dataDir: string;
  let cleanup: () => Promise<void>;
  const children: ChildProcess[] = [];

  beforeEach(async () => {
    ({ dataDir, cleanup } = await temporaryDataDir());
  });
  afterEach(async () => {
    for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await cleanup();
  });

  it('runs one holder at a time within a process, in order, and lets a holder nest', async () => {
    const events: string[] = [];
    let inside = 0;
    await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        withDataLock(dataDir, async (token) => {
          inside += 1;
          expect(inside).toBe(1);
          events.push(`start ${index}`);
          await new Promise((resolve) => setTimeout(resolve, 1));
          await withDataLock(dataDir, async () => events.push(`nested ${index}`), { heldBy: token });
          events.push(`end ${index}`);
          inside -= 1;
        }),
      ),
    );
    expect(events).toEqual(Array.from({ length: 10 }, (_, index) => [`start ${index}`, `nested ${index}`, `end ${index}`]).flat());
    await expect(withDataLock(dataDir, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await withDataLock(dataDir, async () => 'still usable')).toBe('still usable');
  });

  it('excludes other processes: two of them incrementing one counter lose no update', async () => {
    const first = startChild([dataDir, 'count', '40']);
    const second = startChild([dataDir, 'count', '40']);
    children.push(first, second);
    await Promise.all([once(first, 'exit'), once(second, 'exit')]);
    expect(first.exitCode).toBe(0);
    expect(second.exitCode).toBe(0);
    expect(await readFile(path.join(dataDir, 'counter'), 'utf8')).toBe('80');
  });

  it('waits for a live holder, then gives up with unavailable:store naming the holder', async () => {
    const holder = startChild([dataDir, 'hold']);
    children.push(holder);
    await waitForLine(holder, 'locked');
    const error = await withDataLock(dataDir, async () => 'never', { waitMs: 400 }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'unavailable:store', message: expect.stringContaining(`pid ${holder.pid}`) });
  });

  it('takes over at once a lock whose holder was killed (well before the 10 s stale time)', async () => {
    const holder = startChild([dataDir, 'hold']);
    children.push(holder);
    await waitForLine(holder, 'locked');
    holder.kill('SIGKILL');
    await once(holder, 'exit');
    expect(await withDataLock(dataDir, async () => 'mine', { waitMs: 3000 })).toBe('mine');
  });
});
