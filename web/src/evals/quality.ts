import type { LeaderboardEntry } from '../api/eval-types.js';

/**
 * One quality figure per leaderboard entry for the quality-vs-cost chart: the judge's mean
 * score when there is one, else the pass rate, else the win rate (all 0–1); null when the
 * entry has no verdict at all.
 */
export function qualityOf(entry: LeaderboardEntry): { value: number; source: 'judge' | 'pass rate' | 'win rate' } | null {
  if (entry.judge_score?.mean !== null && entry.judge_score?.mean !== undefined) return { value: entry.judge_score.mean, source: 'judge' };
  if (entry.pass_rate?.rate !== null && entry.pass_rate?.rate !== undefined) return { value: entry.pass_rate.rate, source: 'pass rate' };
  if (entry.win_rate?.rate !== null && entry.win_rate?.rate !== undefined) return { value: entry.win_rate.rate, source: 'win rate' };
  return null;
}

export interface ParetoPoint {
  label: string;
  cost: number;
  quality: number;
  /** On the frontier: no other point is at least as good for less, or better for the same. */
  frontier: boolean;
}

/** Entries with a price and a quality → points, the Pareto frontier (cheaper and better) marked. */
export function paretoPoints(entries: LeaderboardEntry[]): ParetoPoint[] {
  const points = entries.flatMap((entry) => {
    const quality = qualityOf(entry);
    const cost = entry.cost_usd?.mean;
    return quality && typeof cost === 'number' ? [{ label: `${entry.agent_name} · ${entry.model}`, cost, quality: quality.value, frontier: false }] : [];
  });
  for (const point of points) {
    point.frontier = !points.some(
      (other) => other !== point && other.cost <= point.cost && other.quality >= point.quality && (other.cost < point.cost || other.quality > point.quality),
    );
  }
  return points;
}
