/**
 * The leaderboard (SPEC.md "Evaluations"): per agent and model, the pass rate with a 95 %
 * Wilson interval, the mean judge score, the pairwise win rate and a Bradley–Terry rating
 * with a seeded bootstrap 95 % interval, beside p50 latency, p50 TTFT, tokens/s and cost.
 */
import { percentile } from './run-summary.js';
import type { RunRecord } from './run.js';
import { DISAGREEMENT_PREFIX } from './judge.js';
import type { ScoreRecord } from './score.js';

/** z for a two-sided 95 % interval. */
const Z95 = 1.959963984540054;

/** Wilson score interval for `successes` of `total` (95 %). Null figures for no trials. */
export function wilsonInterval(successes: number, total: number): { rate: number | null; low: number | null; high: number | null } {
  if (total <= 0) return { rate: null, low: null, high: null };
  const rate = successes / total;
  const z2 = Z95 * Z95;
  const denominator = 1 + z2 / total;
  const centre = (rate + z2 / (2 * total)) / denominator;
  const half = (Z95 * Math.sqrt((rate * (1 - rate)) / total + z2 / (4 * total * total))) / denominator;
  return { rate, low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/** One pairwise comparison: `first` scored `value` (1 win, 0.5 tie, 0 loss) against `second`. */
export interface Comparison {
  first: number;
  second: number;
  value: number;
}

/**
 * Bradley–Terry strengths by Hunter's MM iterations; ties count as half a win each way. Each
 * item also gets one virtual tie against a reference of strength 1, so an item that never
 * won keeps a finite rating. Strengths are scaled so their geometric mean is 1.
 */
export function bradleyTerry(options: { items: number; comparisons: readonly Comparison[]; iterations?: number }): number[] {
  const { items } = options;
  const wins = new Float64Array(items).fill(0.5);
  const games = new Float64Array(items * items);
  for (const { first, second, value } of options.comparisons) {
    wins[first]! += value;
    wins[second]! += 1 - value;
    games[first * items + second]! += 1;
    games[second * items + first]! += 1;
  }
  return bradleyTerryFromCounts({ items, wins, games, iterations: options.iterations ?? 200 });
}

function bradleyTerryFromCounts(options: { items: number; wins: Float64Array; games: Float64Array; iterations: number }): number[] {
  const { items, wins, games } = options;
  let strength = new Float64Array(items).fill(1);
  for (let iteration = 0; iteration < options.iterations; iteration += 1) {
    const next = new Float64Array(items);
    let change = 0;
    for (let i = 0; i < items; i += 1) {
      // The virtual tie against the reference (strength 1): one game.
      let denominator = 1 / (strength[i]! + 1);
      for (let j = 0; j < items; j += 1) {
        const count = games[i * items + j]!;
        if (count > 0) denominator += count / (strength[i]! + strength[j]!);
      }
      next[i] = wins[i]! / denominator;
    }
    let logSum = 0;
    for (let i = 0; i < items; i += 1) logSum += Math.log(next[i]!);
    const scale = Math.exp(logSum / Math.max(1, items));
    for (let i = 0; i < items; i += 1) {
      next[i] = next[i]! / scale;
      change = Math.max(change, Math.abs(next[i]! - strength[i]!));
    }
    strength = next;
    if (change < 1e-9) break;
  }
  return [...strength];
}

/** A strength on the familiar Elo scale: 1000 + 400·log10(strength). */
export function toRating(strength: number): number {
  return Math.round((1000 + 400 * Math.log10(strength)) * 10) / 10;
}

/** mulberry32: a small seeded generator, so the bootstrap interval is the same on every call. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Bradley–Terry ratings with a bootstrap 95 % interval (comparisons resampled with replacement). */
export function bradleyTerryWithInterval(options: {
  items: number;
  comparisons: readonly Comparison[];
  samples?: number;
  seed?: number;
}): Array<{ rating: number; low: number; high: number }> {
  const { items, comparisons } = options;
  const point = bradleyTerry({ items, comparisons }).map(toRating);
  const samples = comparisons.length === 0 ? 0 : (options.samples ?? 200);
  const random = seededRandom(options.seed ?? 13);
  const draws: number[][] = Array.from({ length: items }, () => []);
  for (let sample = 0; sample < samples; sample += 1) {
    const wins = new Float64Array(items).fill(0.5);
    const games = new Float64Array(items * items);
    for (let draw = 0; draw < comparisons.length; draw += 1) {
      const { first, second, value } = comparisons[Math.floor(random() * comparisons.length)]!;
      wins[first]! += value;
      wins[second]! += 1 - value;
      games[first * items + second]! += 1;
      games[second * items + first]! += 1;
    }
    const strengths = bradleyTerryFromCounts({ items, wins, games, iterations: 100 });
    strengths.forEach((strength, index) => draws[index]!.push(toRating(strength)));
  }
  return point.map((rating, index) => {
    const sorted = draws[index]!.sort((a, b) => a - b);
    return {
      rating,
      low: sorted.length > 0 ? quantile(sorted, 0.025) : rating,
      high: sorted.length > 0 ? quantile(sorted, 0.975) : rating,
    };
  });
}

function quantile(sorted: readonly number[], fraction: number): number {
  const position = (sorted.length - 1) * fraction;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  return sorted[lower]! + (sorted[upper]! - sorted[lower]!) * (position - lower);
}

/** One row of the leaderboard. */
export interface LeaderboardEntry {
  rank: number;
  agent_id: string;
  agent_name: string;
  model: string;
  runs: number;
  pass_rate: { passed: number; total: number; rate: number | null; low: number | null; high: number | null };
  judge_score: { mean: number | null; count: number; errors: number };
  human: { up: number; down: number };
  win_rate: { wins: number; ties: number; losses: number; comparisons: number; rate: number | null };
  bradley_terry: { rating: number; low: number; high: number } | null;
  latency_ms_p50: number | null;
  ttft_ms_p50: number | null;
  tokens_per_s_p50: number | null;
  cost_usd: { total: number; mean: number | null; unpriced_runs: number };
}

/** How often a judge's two orders disagreed (position bias). */
export interface JudgeBias {
  judge: string;
  pairwise: number;
  disagreements: number;
}

export interface Leaderboard {
  entries: LeaderboardEntry[];
  judges: JudgeBias[];
  /** Scores whose run is not among the runs given (other filters, or a run removed). */
  unmatched_scores: number;
}

/** The key entries are grouped by: an agent and the model it ran (inline bake-off lanes share agent id `inline`). */
const groupKey = (agentId: string, model: string) => `${agentId}\u0000${model}`;

/**
 * Build the leaderboard from runs and their scores. Judge calls (`task_label=judge`) are not
 * contestants. Ranked by pass rate, then mean judge score, then Bradley–Terry rating.
 */
export function buildLeaderboard(options: { runs: readonly RunRecord[]; scores: readonly ScoreRecord[]; bootstrapSamples?: number; seed?: number }): Leaderboard {
  const runById = new Map<string, RunRecord>();
  const groups = new Map<string, { index: number; runs: RunRecord[] }>();
  for (const run of options.runs) {
    if (run.task_label === 'judge') continue;
    runById.set(run.run_id, run);
    const key = groupKey(run.agent_id, run.model);
    let group = groups.get(key);
    if (!group) {
      group = { index: groups.size, runs: [] };
      groups.set(key, group);
    }
    group.runs.push(run);
  }
  const keys = [...groups.keys()];
  const tallies = keys.map(() => ({ passed: 0, graded: 0, judgeSum: 0, judgeCount: 0, judgeErrors: 0, up: 0, down: 0, wins: 0, ties: 0, losses: 0 }));
  const comparisons: Comparison[] = [];
  const judges = new Map<string, JudgeBias>();
  let unmatched = 0;

  for (const score of options.scores) {
    const run = runById.get(score.run_id);
    if (!run) {
      unmatched += 1;
      continue;
    }
    const index = groups.get(groupKey(run.agent_id, run.model))!.index;
    const tally = tallies[index]!;
    if (score.kind === 'pairwise') {
      const opponent = runById.get(score.opponent_run_id);
      if (!opponent || score.value === null) continue;
      const other = groups.get(groupKey(opponent.agent_id, opponent.model))!.index;
      if (score.scorer !== 'human') {
        const bias = judges.get(score.scorer) ?? { judge: score.scorer, pairwise: 0, disagreements: 0 };
        bias.pairwise += 1;
        if (score.reason.startsWith(DISAGREEMENT_PREFIX)) bias.disagreements += 1;
        judges.set(score.scorer, bias);
      }
      if (other === index) continue; // the same agent against itself says nothing about ranking
      comparisons.push({ first: index, second: other, value: score.value });
      const otherTally = tallies[other]!;
      if (score.value === 0.5) {
        tally.ties += 1;
        otherTally.ties += 1;
      } else if (score.value > 0.5) {
        tally.wins += 1;
        otherTally.losses += 1;
      } else {
        tally.losses += 1;
        otherTally.wins += 1;
      }
      continue;
    }
    if (score.kind === 'judge') {
      if (score.value === null) tally.judgeErrors += 1;
      else {
        tally.judgeSum += score.value;
        tally.judgeCount += 1;
      }
    }
    if (score.kind === 'human') {
      if (score.value !== null && score.value >= 0.5) tally.up += 1;
      else tally.down += 1;
    }
    // A judge error is never a pass: it counts as a failed assertion.
    if (score.kind === 'judge' && score.value === null) {
      tally.graded += 1;
      continue;
    }
    if (score.pass !== null) {
      tally.graded += 1;
      if (score.pass) tally.passed += 1;
    }
  }

  const ratings = comparisons.length > 0 ? bradleyTerryWithInterval({ items: keys.length, comparisons, samples: options.bootstrapSamples ?? 200, seed: options.seed ?? 13 }) : undefined;
  const entries: LeaderboardEntry[] = keys.map((key, index) => {
    const { runs } = groups.get(key)!;
    const tally = tallies[index]!;
    const first = runs[runs.length - 1]!;
    const clean = runs.filter((run) => !run.aborted && run.error === '');
    const priced = runs.filter((run) => run.cost_usd !== null);
    const costTotal = priced.reduce((sum, run) => sum + (run.cost_usd ?? 0), 0);
    const played = tally.wins + tally.ties + tally.losses;
    return {
      rank: 0,
      agent_id: first.agent_id,
      agent_name: first.agent_name,
      model: first.model,
      runs: runs.length,
      pass_rate: { passed: tally.passed, total: tally.graded, ...wilsonInterval(tally.passed, tally.graded) },
      judge_score: { mean: tally.judgeCount > 0 ? tally.judgeSum / tally.judgeCount : null, count: tally.judgeCount, errors: tally.judgeErrors },
      human: { up: tally.up, down: tally.down },
      win_rate: { wins: tally.wins, ties: tally.ties, losses: tally.losses, comparisons: played, rate: played > 0 ? (tally.wins + tally.ties / 2) / played : null },
      bradley_terry: ratings && played > 0 ? ratings[index]! : null,
      latency_ms_p50: percentile(sortedNumbers(clean.map((run) => run.latency_ms)), 0.5),
      ttft_ms_p50: percentile(sortedNumbers(clean.map((run) => run.ttft_ms)), 0.5),
      tokens_per_s_p50: percentile(sortedNumbers(clean.map((run) => run.tokens_per_s)), 0.5),
      cost_usd: { total: roundCost(costTotal), mean: priced.length > 0 ? roundCost(costTotal / priced.length) : null, unpriced_runs: runs.length - priced.length },
    };
  });
  entries.sort(
    (a, b) =>
      descending(a.pass_rate.rate, b.pass_rate.rate) ||
      descending(a.judge_score.mean, b.judge_score.mean) ||
      descending(a.bradley_terry?.rating ?? null, b.bradley_terry?.rating ?? null) ||
      descending(a.win_rate.rate, b.win_rate.rate),
  );
  entries.forEach((entry, index) => (entry.rank = index + 1));
  return { entries, judges: [...judges.values()], unmatched_scores: unmatched };
}

/** Higher first; null (no figure) last. */
function descending(a: number | null, b: number | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return b - a;
}

function sortedNumbers(values: Array<number | null>): number[] {
  return values.filter((value): value is number => value !== null && Number.isFinite(value)).sort((a, b) => a - b);
}

function roundCost(value: number): number {
  return Math.round(value * 1e10) / 1e10;
}
