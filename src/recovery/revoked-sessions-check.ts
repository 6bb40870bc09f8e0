import { revokedSessionsFileSchema, type RevokedSession } from '../store/index.js';

/**
 * `revoked-sessions.json` as check and restore see it: validated with the store's own schema,
 * and merged rather than replaced on restore, because a logout must never be forgotten: the
 * snapshot's logouts and those made since both hold until their cookie would have expired.
 */

const decoder = new TextDecoder('utf-8', { fatal: true });

export interface RevokedSessionsCheck {
  problem: { message: string } | undefined;
  /** Every entry of a valid file, expired ones included. */
  entries: RevokedSession[];
}

/** Check the bytes of revoked-sessions.json. */
export function checkRevokedSessionsBytes(bytes: Buffer): RevokedSessionsCheck {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch (error) {
    const what = error instanceof TypeError ? 'contains bytes that are not UTF-8 (garbage)' : `invalid JSON (${(error as Error).message})`;
    return { problem: { message: what }, entries: [] };
  }
  const parsed = revokedSessionsFileSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { problem: { message: `not a list of revoked sessions (${issue.path.join('.') || 'file'}: ${issue.message})` }, entries: [] };
  }
  return { problem: undefined, entries: parsed.data.revoked };
}

/** Entries whose cookie has not expired at `now` (ms since the epoch). */
export function unexpiredRevocations(entries: RevokedSession[], now: number): RevokedSession[] {
  return entries.filter((entry) => Date.parse(entry.expires_at) > now);
}

/**
 * The union of two lists of logouts, unexpired at `now`, one entry per id (the later expiry),
 * current entries first; `added` counts the ids only `snapshot` had.
 */
export function mergeRevocations(options: { current: RevokedSession[]; snapshot: RevokedSession[]; now: number }): { entries: RevokedSession[]; added: number } {
  const merged = new Map<string, RevokedSession>();
  for (const entry of unexpiredRevocations(options.current, options.now)) {
    const known = merged.get(entry.id);
    if (!known || Date.parse(entry.expires_at) > Date.parse(known.expires_at)) merged.set(entry.id, entry);
  }
  let added = 0;
  for (const entry of unexpiredRevocations(options.snapshot, options.now)) {
    const known = merged.get(entry.id);
    if (!known) added += 1;
    if (!known || Date.parse(entry.expires_at) > Date.parse(known.expires_at)) merged.set(entry.id, entry);
  }
  return { entries: [...merged.values()], added };
}
