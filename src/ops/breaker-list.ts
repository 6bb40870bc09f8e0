import type { BreakerInfo } from '../server/context.js';

/** Most breakers health and metrics list one by one; the rest are counted. */
export const MAX_LISTED_BREAKERS = 50;

export interface BreakerList {
  /** Every breaker the lab keeps. */
  total: number;
  open: number;
  half_open: number;
  /** The breakers that matter most: open, then half-open, then closed with failures, then the most recent. */
  breakers: BreakerInfo[];
  /** How many more are not listed (all closed with no failures when any were). */
  more: number;
}

const RANK: Record<BreakerInfo['state'], number> = { open: 0, 'half-open': 1, closed: 2 };

/**
 * The breaker list as health and metrics show it: bounded, the interesting ones first.
 * `breakers` comes least recently used first, so among equals the newest are listed.
 */
export function listBreakers(breakers: readonly BreakerInfo[], limit = MAX_LISTED_BREAKERS): BreakerList {
  const ordered = [...breakers]
    .reverse()
    .sort((a, b) => RANK[a.state] - RANK[b.state] || Number(b.failures > 0) - Number(a.failures > 0));
  const listed = ordered.slice(0, limit);
  return {
    total: breakers.length,
    open: breakers.filter((breaker) => breaker.state === 'open').length,
    half_open: breakers.filter((breaker) => breaker.state === 'half-open').length,
    breakers: listed,
    more: breakers.length - listed.length,
  };
}
