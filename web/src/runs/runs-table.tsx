import { useMemo, useState } from 'react';
import type { ScoreRecord } from '../api/eval-types.js';
import type { RunRecord } from '../api/types.js';
import { formatCost, formatDateTime, formatMs, formatNumber } from '../lib/format.js';
import { runStatus, scoreSummary } from './run-status.js';

type SortKey =
  | 'ts'
  | 'agent_name'
  | 'model'
  | 'latency_ms'
  | 'ttft_ms'
  | 'tokens_per_s'
  | 'prompt_tokens'
  | 'completion_tokens'
  | 'total_tokens'
  | 'cost_usd'
  | 'experiment_id'
  | 'task_label'
  | 'finish_reason';

const COLUMNS: Array<{ key: SortKey; label: string; numeric?: boolean }> = [
  { key: 'ts', label: 'When' },
  { key: 'agent_name', label: 'Agent' },
  { key: 'model', label: 'Model' },
  { key: 'latency_ms', label: 'Latency', numeric: true },
  { key: 'ttft_ms', label: 'TTFT', numeric: true },
  { key: 'tokens_per_s', label: 'Tok/s', numeric: true },
  { key: 'prompt_tokens', label: 'Input', numeric: true },
  { key: 'completion_tokens', label: 'Output', numeric: true },
  { key: 'total_tokens', label: 'Tokens', numeric: true },
  { key: 'cost_usd', label: 'Cost', numeric: true },
  { key: 'experiment_id', label: 'Experiment' },
  { key: 'task_label', label: 'Task' },
  { key: 'finish_reason', label: 'Finish' },
];

const MAX_ROWS = 300;

function compare(a: RunRecord, b: RunRecord, key: SortKey): number {
  const left = a[key];
  const right = b[key];
  if (left === right) return 0;
  if (left === null || left === undefined || left === '') return 1;
  if (right === null || right === undefined || right === '') return -1;
  return typeof left === 'number' && typeof right === 'number' ? left - right : String(left).localeCompare(String(right));
}

/** The runs table: every column, sortable (click a header; again to reverse); a row opens the run's detail. */
export function RunsTable(props: { runs: RunRecord[]; scores: Map<string, ScoreRecord[]>; onOpen: (run: RunRecord) => void; selectedId: string | null }) {
  const { runs, scores, onOpen, selectedId } = props;
  const [sort, setSort] = useState<{ key: SortKey; descending: boolean }>({ key: 'ts', descending: true });
  const sorted = useMemo(() => {
    const list = [...runs].sort((a, b) => compare(a, b, sort.key));
    return (sort.descending ? list.reverse() : list).slice(0, MAX_ROWS);
  }, [runs, sort]);

  return (
    <div className="table-scroll" tabIndex={0} aria-label="Runs table (scrolls sideways)">
      <table className="runs-table runs-table-full" data-testid="runs-table">
        <caption className="visually-hidden">Runs, sorted by {sort.key}; choose a row for its detail</caption>
        <thead>
          <tr>
            {COLUMNS.map((column) => (
              <th
                key={column.key}
                scope="col"
                className={column.numeric ? 'numeric' : undefined}
                aria-sort={sort.key === column.key ? (sort.descending ? 'descending' : 'ascending') : 'none'}
              >
                <button
                  type="button"
                  className="sort-button"
                  onClick={() => setSort((current) => ({ key: column.key, descending: current.key === column.key ? !current.descending : column.numeric === true }))}
                  data-testid={`sort-${column.key}`}
                >
                  {column.label}
                  <span aria-hidden="true">{sort.key === column.key ? (sort.descending ? ' ▼' : ' ▲') : ''}</span>
                </button>
              </th>
            ))}
            <th scope="col">Score</th>
            <th scope="col">Status</th>
          </tr>
        </thead>
        <tbody>
          {sorted.length === 0 && (
            <tr>
              <td colSpan={COLUMNS.length + 2} className="muted">
                No runs match.
              </td>
            </tr>
          )}
          {sorted.map((run) => {
            const status = runStatus(run);
            return (
              <tr
                key={run.run_id || `${run.ts}-${run.model}`}
                className={run.run_id === selectedId ? 'row-button selected' : 'row-button'}
                tabIndex={0}
                onClick={() => onOpen(run)}
                onKeyDown={(event) => {
                  if (event.key === 'Enter' || event.key === ' ') {
                    event.preventDefault();
                    onOpen(run);
                  }
                }}
                aria-label={`Run ${run.run_id}: open its detail`}
                data-testid="runs-row"
                data-run-id={run.run_id}
              >
                <td className="nowrap" title={run.ts}>
                  {formatDateTime(run.ts).slice(5)}
                </td>
                <td>{run.agent_name}</td>
                <td className="mono nowrap">{run.model}</td>
                <td className="numeric">{formatMs(run.latency_ms)}</td>
                <td className="numeric">{formatMs(run.ttft_ms)}</td>
                <td className="numeric" data-testid="runs-cell-tps">{formatNumber(run.tokens_per_s)}</td>
                <td className="numeric">{formatNumber(run.prompt_tokens)}</td>
                <td className="numeric">{formatNumber(run.completion_tokens)}</td>
                <td className="numeric">{formatNumber(run.total_tokens)}</td>
                <td className="numeric nowrap" data-testid="runs-cell-cost">{formatCost(run.cost_usd)}</td>
                <td className="mono small">{run.experiment_id}</td>
                <td>{run.task_label}</td>
                <td>{run.finish_reason}</td>
                <td className="nowrap">{scoreSummary(scores.get(run.run_id) ?? [])}</td>
                <td>
                  <span className={`pill pill-${status}`} data-testid="runs-cell-status">
                    {status}
                  </span>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {runs.length > MAX_ROWS && (
        <p className="muted small">
          Showing {MAX_ROWS} of {runs.length} runs; narrow the filters or download runs.csv.
        </p>
      )}
    </div>
  );
}
