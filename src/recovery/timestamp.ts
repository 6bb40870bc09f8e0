import { RecoveryError } from './recovery-error.js';

/**
 * The UTC stamps that name snapshots, quarantine folders and backups (`YYYYMMDD_HHMMSS`),
 * and the parsing of the `--date YYYYMMDD` / `--time HHMMSS` arguments.
 */

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/** `20260130_141503` for a moment, in UTC. */
export function formatStamp(date: Date): string {
  return (
    `${date.getUTCFullYear()}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}_` +
    `${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}`
  );
}

/** The same stamp with milliseconds (`20260130_141503_123`), for names that must not collide. */
export function formatStampMillis(date: Date): string {
  return `${formatStamp(date)}_${pad(date.getUTCMilliseconds(), 3)}`;
}

export const STAMP_PATTERN = /^(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})$/;

/** A `YYYYMMDD_HHMMSS` name → its moment (UTC), or undefined when it is not a real one. */
export function parseStamp(name: string): Date | undefined {
  const match = STAMP_PATTERN.exec(name);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [number, number, number, number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  const real =
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    date.getUTCHours() === hour &&
    date.getUTCMinutes() === minute &&
    date.getUTCSeconds() === second;
  return real ? date : undefined;
}

/** Validate a `--date` argument: exactly `YYYYMMDD`, and a real calendar day. */
export function parseDateArgument(value: string): string {
  const trimmed = value.trim();
  if (!/^\d{8}$/.test(trimmed)) {
    throw new RecoveryError('usage:date', `--date "${value}" is not a date in the form YYYYMMDD`, {
      hint: 'give the UTC day of the backup, for example --date $(date -u +%Y%m%d)',
    });
  }
  if (!parseStamp(`${trimmed}_000000`)) {
    throw new RecoveryError('usage:date', `--date "${value}" is not a real calendar day`, {
      hint: 'give the UTC day of the backup as YYYYMMDD, for example --date $(date -u +%Y%m%d)',
    });
  }
  return trimmed;
}

/** Validate a `--time` argument: `HHMMSS` (UTC), a real time of day. */
export function parseTimeArgument(value: string): string {
  const trimmed = value.trim();
  if (!/^\d{6}$/.test(trimmed) || !parseStamp(`20000101_${trimmed}`)) {
    throw new RecoveryError('usage:time', `--time "${value}" is not a time of day in the form HHMMSS`, {
      hint: 'give the UTC time of a backup as listed in BACKUP_DIR, for example --time 141503',
    });
  }
  return trimmed;
}
