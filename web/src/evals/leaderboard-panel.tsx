import { useEffect, useState } from 'react';
import { api, ApiError } from '../api/client.js';
import type { Leaderboard, LeaderboardEntry } from '../api/eval-types.js';
import { formatCost, formatMs, formatNumber } from '../lib/format.js';
import { useLabChanged } from '../state/lab-events.js';

const percent = (value: number | null | undefined) => (value === null || value === undefined ? '—' : `${Math.round(value * 100)}%`);

function passRate(entry: LeaderboardEntry): string {
  const rate = entry.pass_rate;
  if (!rate || rate.total === 0) return '—';
  return `${percent(rate.rate)} (${percent(rate.low)}–${percent(rate.high)})`;
}

function rating(entry: LeaderboardEntry): string {
  const bt = entry.bradley_terry;
  return bt ? `${Math.round(bt.rating)} (${Math.round(bt.low)}–${Math.round(bt.high)})` : '—';
}

/** The leaderboard table of one experiment (`GET /api/leaderboard?experiment_id=`). */
export function LeaderboardTable({ board }: { board: Leaderboard }) {
  if (board.entries.length === 0) return <p className="muted">No runs in this experiment.</p>;
  return (
    <div className="table-scroll">
      <table className="runs-table" data-testid="leaderboard-table">
        <caption className="visually-hidden">Leaderboard</caption>
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">Agent</th>
            <th scope="col">Model</th>
            <th scope="col" className="numeric">Runs</th>
            <th scope="col" className="numeric">Pass rate (95 %)</th>
            <th scope="col" className="numeric">Judge</th>
            <th scope="col" className="numeric">Win rate</th>
            <th scope="col" className="numeric">Bradley–Terry (95 %)</th>
            <th scope="col" className="numeric" title="thumbs up / thumbs down">Rated up/down</th>
            <th scope="col" className="numeric">Latency p50</th>
            <th scope="col" className="numeric">TTFT p50</th>
            <th scope="col" className="numeric">Tok/s p50</th>
            <th scope="col" className="numeric">Cost / run</th>
          </tr>
        </thead>
        <tbody>
          {board.entries.map((entry) => (
            <tr key={`${entry.agent_id}-${entry.model}`} data-testid="leaderboard-row">
              <td>{entry.rank}</td>
              <td>{entry.agent_name}</td>
              <td className="mono nowrap">{entry.model}</td>
              <td className="numeric">{entry.runs}</td>
              <td className="numeric nowrap">{passRate(entry)}</td>
              <td className="numeric">{entry.judge_score?.mean === null || entry.judge_score?.mean === undefined ? '—' : entry.judge_score.mean.toFixed(2)}</td>
              <td className="numeric">{entry.win_rate?.comparisons ? percent(entry.win_rate.rate) : '—'}</td>
              <td className="numeric nowrap" data-testid="leaderboard-bt">{rating(entry)}</td>
              <td className="numeric nowrap">
                {entry.human?.up ?? 0}/{entry.human?.down ?? 0}
              </td>
              <td className="numeric">{formatMs(entry.latency_ms_p50)}</td>
              <td className="numeric">{formatMs(entry.ttft_ms_p50)}</td>
              <td className="numeric">{formatNumber(entry.tokens_per_s_p50)}</td>
              <td className="numeric nowrap">
                {formatCost(entry.cost_usd?.mean)}
                {entry.cost_usd?.unpriced_runs ? <span className="muted small"> ({entry.cost_usd.unpriced_runs} unpriced)</span> : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Loads an experiment's leaderboard and keeps it current (votes, judge verdicts, new runs). */
export function useLeaderboard(experimentId: string | null, reloadKey = 0): { board: Leaderboard | null; error: string | null; missing: boolean } {
  const [board, setBoard] = useState<Leaderboard | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [missing, setMissing] = useState(false);
  const [generation, setGeneration] = useState(0);
  useLabChanged(['scores', 'runs'], () => setGeneration((value) => value + 1));
  useEffect(() => {
    if (!experimentId) {
      setBoard(null);
      return;
    }
    let cancelled = false;
    api
      .leaderboard(experimentId)
      .then((loaded) => {
        if (cancelled) return;
        setBoard({ ...loaded, entries: Array.isArray(loaded.entries) ? loaded.entries : [] });
        setError(null);
      })
      .catch((caught: unknown) => {
        if (cancelled) return;
        if (caught instanceof ApiError && caught.code === 'not_found:route') setMissing(true);
        else setError(caught instanceof Error ? caught.message : String(caught));
      });
    return () => {
      cancelled = true;
    };
  }, [experimentId, reloadKey, generation]);
  return { board, error, missing };
}

/** The bake-off's leaderboard: the current experiment, full width. */
export function LeaderboardPanel(props: { experimentId: string | null; reloadKey: number }) {
  const { board, error, missing } = useLeaderboard(props.experimentId, props.reloadKey);
  if (!props.experimentId || missing) return null;
  return (
    <section className="card" aria-label="Leaderboard" data-testid="leaderboard-panel">
      <h2>Leaderboard</h2>
      {error && <p className="field-error">{error}</p>}
      {board ? <LeaderboardTable board={board} /> : !error && <p className="muted">Loading…</p>}
    </section>
  );
}
