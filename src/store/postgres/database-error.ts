import { LabError } from '../../domain/errors.js';

/**
 * Database failures as the lab reports them: a LabError passes through; anything else (the
 * server unreachable, a connection lost mid-query) becomes `unavailable:store` (503, retryable)
 * saying what was being done, the driver's error kept as `cause`.
 */
export async function databaseCall<T>(what: string, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof LabError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new LabError('unavailable:store', `The database failed while ${what}: ${reason}`, { cause: error });
  }
}
