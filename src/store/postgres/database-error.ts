import { LabError } from '../../domain/errors.js';

/**
 * Database failures as the lab reports them: a LabError passes through; anything else (the
 * server unreachable, a connection lost mid-query, a query over the statement timeout) becomes
 * `unavailable:store` (503, retryable) saying what was being done, the driver's error kept as `cause`.
 */
export async function databaseCall<T>(what: string, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof LabError) throw error;
    // 57014 query_canceled: the statement_timeout (DATABASE_STATEMENT_TIMEOUT_SECONDS) cut it off.
    if ((error as { code?: unknown }).code === '57014' && /statement timeout/.test((error as Error).message)) {
      throw new LabError('unavailable:store', `The database took longer than its statement timeout (DATABASE_STATEMENT_TIMEOUT_SECONDS) while ${what}; the query was cancelled. Try again.`, {
        cause: error,
      });
    }
    const reason = error instanceof Error ? error.message : String(error);
    throw new LabError('unavailable:store', `The database failed while ${what}: ${reason}`, { cause: error });
  }
}
