import { holdsDataLock, withDataLock, type DataLockToken } from './data-lock.js';

/**
 * Group commit under the data lock. Jobs submitted while a commit is in flight wait and
 * are committed together by the next one: one lock acquisition (and, for the caller's
 * commit function, one write and one fsync) for all of them, instead of one each. Each
 * `submit()` settles only when its own job's commit has settled, so "resolved" still means
 * "durably written". Jobs are committed in the order they were submitted.
 *
 * The commit function returns one settled result per job (in order), so one bad job need not
 * fail the others; if it throws, every job of the batch rejects with that error.
 */
export class GroupCommit<J, R> {
  readonly #dataDir: string;
  readonly #commit: (jobs: J[]) => Promise<Array<PromiseSettledResult<R>>>;
  #queue: Array<{ job: J; resolve: (result: R) => void; reject: (error: unknown) => void }> = [];
  #running = false;

  constructor(dataDir: string, commit: (jobs: J[]) => Promise<Array<PromiseSettledResult<R>>>) {
    this.#dataDir = dataDir;
    this.#commit = commit;
  }

  submit(job: J, options: { heldBy?: DataLockToken } = {}): Promise<R> {
    // A caller already holding the lock would wait for itself if it queued: commit at once.
    if (holdsDataLock(this.#dataDir, options.heldBy)) return this.#commit([job]).then(([result]) => unwrap(result));
    return new Promise<R>((resolve, reject) => {
      this.#queue.push({ job, resolve, reject });
      if (!this.#running) {
        this.#running = true;
        void this.#drain();
      }
    });
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue;
        this.#queue = [];
        try {
          const results = await withDataLock(this.#dataDir, () => this.#commit(batch.map((entry) => entry.job)));
          batch.forEach((entry, index) => {
            const result = results[index];
            if (result?.status === 'fulfilled') entry.resolve(result.value);
            else entry.reject(result ? result.reason : new Error('group commit returned no result for a job'));
          });
        } catch (error) {
          for (const entry of batch) entry.reject(error);
        }
      }
    } finally {
      this.#running = false;
    }
  }
}

function unwrap<R>(result: PromiseSettledResult<R> | undefined): R {
  if (result?.status === 'fulfilled') return result.value;
  throw result ? result.reason : new Error('group commit returned no result for a job');
}
