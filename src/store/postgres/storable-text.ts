/**
 * Text PostgreSQL can store: what the stores pass through before a write, so a value the lab
 * accepted is saved (with U+FFFD in place of what the database refuses) instead of failing.
 */

/** U+0000, or a UTF-16 surrogate without its other half. */
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * A value with every character PostgreSQL cannot store replaced by U+FFFD in its strings (keys
 * too): U+0000, which text and jsonb cannot hold, and unpaired surrogates, which jsonb refuses
 * (a client may send `"\ud800"` in JSON). docs/data-files.md "PostgreSQL mode".
 */
export function replaceUnstorableCharacters<T>(value: T): T {
  if (typeof value === 'string') return value.replace(UNSTORABLE, '\uFFFD') as T;
  if (Array.isArray(value)) return value.map(replaceUnstorableCharacters) as T;
  if (typeof value !== 'object' || value === null || value instanceof Date) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const clean = replaceUnstorableCharacters(item);
    const cleanKey = replaceUnstorableCharacters(key);
    if (cleanKey === '__proto__') Object.defineProperty(copy, cleanKey, { value: clean, enumerable: true, writable: true, configurable: true });
    else copy[cleanKey] = clean;
  }
  return copy as T;
}
