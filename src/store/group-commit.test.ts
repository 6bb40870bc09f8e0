import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withDataLock } from './data-lock.js';
import { GroupCommit } from './group-commit.js';
import { temporaryDataDir } from './test-support.js';

describe('GroupCommit', () => {
  let dataDir: string;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    ({ dataDir, cleanup } = await temporaryDataDir());
  });
  afterEach(async () => {
    await cleanup();
  });

  it('commits jobs that arrive during a commit together, in order, and settles each after its own commit', async () => {
    const batches: number[][] = [];
    let release!: () => void;
    const firstHeld = new Promise<void>((resolve) => (release = resolve));
    const group = new GroupCommit<number, number>(dataDir, async (jobs) => {
      batches.push(jobs);
      if (batches.length === 1) await firstHeld;
      return jobs.map((job) => ({ status: 'fulfilled', value: job * 10 }));
    });
    const settled: number[] = [];
    const first = group.submit(1).then((value) => settled.push(value));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const rest = [2, 3, 4].map((job) => group.submit(job).then((value) => settled.push(value)));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(settled).toEqual([]);
    release();
    await Promise.all([first, ...rest]);
    expect(batches).toEqual([[1], [2, 3, 4]]);
    expect(settled).toEqual([10, 20, 30, 40]);
  });

  it('rejects only the failed jobs, and every job of a batch whose commit throws', async () => {
    let gate: Promise<void> = Promise.resolve();
    const batches: number[][] = [];
    const group = new GroupCommit<number, number>(dataDir, async (jobs) => {
      batches.push(jobs);
      await gate;
      if (jobs.includes(0)) throw new Error('disk full');
      return jobs.map((job) => (job < 0 ? { status: 'rejected', reason: new Error(`bad ${job}`) } : { status: 'fulfilled', value: job }));
    });
    let open!: () => void;
    gate = new Promise<void>((resolve) => (open = resolve));
    const blocker = group.submit(100);
    const results = Promise.allSettled([group.submit(1), group.submit(-2), group.submit(3)]);
    open();
    await blocker;
    expect((await results).map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);

    gate = new Promise<void>((resolve) => (open = resolve));
    const blocker2 = group.submit(100);
    const failed = Promise.allSettled([group.submit(0), group.submit(5)]);
    open();
    await blocker2;
    expect((await failed).map((result) => result.status)).toEqual(['rejected', 'rejected']);
    // The queue keeps working after a failed batch.
    await expect(group.submit(7)).resolves.toBe(7);
    expect(batches).toEqual([[100], [1, -2, 3], [100], [0, 5], [7]]);
  });

  it('commits at once, without waiting for itself, when the caller already holds the lock', async () => {
    const group = new GroupCommit<string, string>(dataDir, async (jobs) => jobs.map((job) => ({ status: 'fulfilled', value: job })));
    await expect(withDataLock(dataDir, (token) => group.submit('nested', { heldBy: token }))).resolves.toBe('nested');
  });
});
