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

/** U+0000, or a UTF-16 surrogate without its other half. */
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * A value with every character PostgreSQL cannot store replaced by U+FFFD in its strings (keys
 * too): U+0000, which text and jsonb cannot hold, and unpaired surrogates, which jsonb refuses
 * (a client may send `"\ud800"` in JSON). docs/data-files.md "PostgreSQL mode".
 */
export function withoutNulCharacters<T>(value: T): T {
  if (typeof value === 'string') return value.replace(UNSTORABLE, '\uFFFD') as T;
  if (Array.isArray(value)) return value.map(withoutNulCharacters) as T;
  if (typeof value !== 'object' || value === null || value instanceof Date) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const clean = withoutNulCharacters(item);
    const cleanKey = withoutNulCharacters(key);
    if (cleanKey === '__proto__') Object.defineProperty(copy, cleanKey, { value: clean, enumerable: true, writable: true, configurable: true });
    else copy[cleanKey] = clean;
  }
  return copy as T;
}
