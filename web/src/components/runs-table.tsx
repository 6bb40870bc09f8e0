import { useMemo, useState } from 'react';
import type { RunRecord } from '../api/types.js';
import { formatCost, formatDateTime, formatMs, formatNumber } from '../lib/format.js';

type SortKey = 'ts' | 'agent_name' | 'model' | 'latency_ms' | 'ttft_ms' | 'total_tokens' | 'tokens_per_s' | 'cost_usd' | 'task_label' | 'experiment_id';

const COLUMNS: Array<{ key: SortKey; label: string; numeric?: boolean }> = [
  { key: 'ts', label: 'When' },
  { key: 'agent_name', label: 'Agent' },
  { key: 'model', label: 'Model' },
  { key: 'latency_ms', label: 'Latency', numeric: true },
  { key: 'ttft_ms', label: 'TTFT', numeric: true },
  { key: 'total_tokens', label: 'Tokens', numeric: true },
  { key: 'tokens_per_s', label: 'Tok/s', numeric: true },
  { key: 'cost_usd', label: 'Cost', numeric: true },
  { key: 'experiment_id', label: 'Experiment' },
  { key: 'task_label', label: 'Task' },
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

function status(run: RunRecord): string {
  if (run.aborted) return 'aborted';
  if (run.error) return 'error';
  return 'ok';
}

/** The runs table, sortable by any column (click a header; again to reverse). */
export function RunsTable({ runs }: { runs: RunRecord[] }) {
  const [sort, setSort] = useState<{ key: SortKey; descending: boolean }>({ key: 'ts', descending: true });
  const sorted = useMemo(() => {
    const list = [...runs].sort((a, b) => compare(a, b, sort.key));
    return (sort.descending ? list.reverse() : list).slice(0, MAX_ROWS);
  }, [runs, sort]);

  return (
    <div className="table-scroll">
      <table className="runs-table" data-testid="runs-table">
        <caption className="visually-hidden">Runs, sorted by {sort.key}</caption>
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
            <th scope="col">Status</th>
          </tr>
        </thead>
        <tbody>
          {sorted.length === 0 && (
            <tr>
              <td colSpan={COLUMNS.length + 1} className="muted">
                No runs match.
              </td>
            </tr>
          )}
          {sorted.map((run) => (
            <tr key={run.run_id || `${run.ts}-${run.model}`} data-testid="runs-row" data-run-id={run.run_id}>
              <td>{formatDateTime(run.ts)}</td>
              <td>{run.agent_name}</td>
              <td className="mono">{run.model}</td>
              <td className="numeric">{formatMs(run.latency_ms)}</td>
              <td className="numeric">{formatMs(run.ttft_ms)}</td>
              <td className="numeric">{formatNumber(run.total_tokens)}</td>
              <td className="numeric">{formatNumber(run.tokens_per_s)}</td>
              <td className="numeric">{formatCost(run.cost_usd)}</td>
              <td>{run.experiment_id}</td>
              <td>{run.task_label}</td>
              <td>
                <span className={`pill pill-${status(run)}`}>{status(run)}</span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {runs.length > MAX_ROWS && <p className="muted small">Showing {MAX_ROWS} of {runs.length} runs; narrow the filters or download runs.csv.</p>}
    </div>
  );
}
