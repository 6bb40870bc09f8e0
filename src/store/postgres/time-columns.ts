import { sql, type RawBuilder, type SqlBool } from 'kysely';

/**
 * The indexed time columns (`runs.started_at`, `scores.scored_at`) hold a record's ISO `ts`
 * as a time, so `since` is an index range that means what `Date.parse(ts) >= Date.parse(since)`
 * means in the reference filters.
 */

/** The earliest time timestamptz holds (4713 BC); JS dates reach further back. */
const EARLIEST = Date.UTC(-4712, 0, 1);

/** A timestamp's time for the indexed time columns; null when it is not a date PostgreSQL can hold. */
export function timeOf(timestamp: string): Date | null {
  const time = Date.parse(timestamp);
  if (!Number.isFinite(time) || time < EARLIEST) return null;
  return new Date(time);
}

/** `column >= since`; a `since` that is not a date matches nothing, as NaN comparisons do. */
export function atOrAfter(column: 'started_at' | 'scored_at', since: string): RawBuilder<SqlBool> {
  const time = Date.parse(since);
  if (!Number.isFinite(time)) return sql<SqlBool>`false`;
  return sql<SqlBool>`${sql.ref(column)} >= ${new Date(Math.max(time, EARLIEST))}`;
}
