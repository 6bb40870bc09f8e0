import { isLabError } from '../domain/errors.js';
import { withDataLock } from '../store/index.js';
import { RecoveryError } from './recovery-error.js';

/**
 * The data lock shared with the server's writers (`<dataDir>/.agent-lab.lock`), with a
 * timeout turned into one clear line for the operator.
 */
export async function withRecoveryLock<T>(dataDir: string, fn: () => Promise<T>, options: { waitMs?: number } = {}): Promise<T> {
  try {
    return await withDataLock(dataDir, fn, { waitMs: options.waitMs ?? 30_000 });
  } catch (error) {
    if (isLabError(error) && error.code === 'unavailable:store' && /waiting for the data lock/.test(error.message)) {
      throw new RecoveryError('env:lock', error.message, {
        cause: error,
        hint: 'another writer holds the data lock; wait for it to finish and run the command again',
      });
    }
    throw error;
  }
}
