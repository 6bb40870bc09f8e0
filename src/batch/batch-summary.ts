import { percentile } from '../domain/run-summary.js';
import type { BatchRun, LabAgent } from './lab-client.js';

/**
 * The table a batch ends with, per agent, over every run of the experiment: runs, errors,
 * aborts, p50/p95 latency and TTFT, tokens/s, cost per run and in total. Percentiles and
 * speed count only the runs that finished cleanly.
 */

export interface AgentSummary {
  agent_id: string;
  agent_name: string;
  model: string;
  runs: number;
  errors: number;
  aborted: number;
  latency_ms: { p50: number | null; p95: number | null };
  ttft_ms: { p50: number | null; p95: number | null };
  tokens_per_s: number | null;
  cost_per_run_usd: number | null;
  cost_total_usd: number;
  unpriced_runs: number;
}

const sorted = (values: Array<number | null>) => values.filter((value): value is number => value !== null && Number.isFinite(value)).sort((a, b) => a - b);

/** Summarise runs per agent (in the order of `agents`; agents without runs are listed with zeros). */
export function summariseByAgent(options: { runs: BatchRun[]; agents: LabAgent[] }): AgentSummary[] {
  return options.agents.map((agent) => {
    const runs = options.runs.filter((run) => run.agent_id === agent.id);
    const clean = runs.filter((run) => !run.aborted && run.error === '');
    const latency = sorted(clean.map((run) => run.latency_ms));
    const ttft = sorted(clean.map((run) => run.ttft_ms));
    const speed = sorted(clean.map((run) => run.tokens_per_s));
    const priced = runs.filter((run) => run.cost_usd !== null);
    const total = priced.reduce((sum, run) => sum + (run.cost_usd ?? 0), 0);
    return {
      agent_id: agent.id,
      agent_name: agent.name,
      model: agent.model,
      runs: runs.length,
      errors: runs.filter((run) => run.error !== '' && !run.aborted).length,
      aborted: runs.filter((run) => run.aborted).length,
      latency_ms: { p50: percentile(latency, 0.5), p95: percentile(latency, 0.95) },
      ttft_ms: { p50: percentile(ttft, 0.5), p95: percentile(ttft, 0.95) },
      tokens_per_s: speed.length > 0 ? Math.round((speed.reduce((sum, value) => sum + value, 0) / speed.length) * 10) / 10 : null,
      cost_per_run_usd: priced.length > 0 ? total / priced.length : null,
      cost_total_usd: total,
      unpriced_runs: runs.length - priced.length,
    };
  });
}

const ms = (value: number | null) => (value === null ? '—' : `${Math.round(value)}`);
const usd = (value: number | null) => (value === null ? 'unpriced' : value === 0 ? '$0' : value >= 0.01 ? `$${value.toFixed(4)}` : `$${value.toPrecision(3)}`);

/** The summary as an aligned text table. */
export function formatSummaryTable(rows: AgentSummary[]): string {
  const header = ['agent', 'model', 'runs', 'errors', 'aborted', 'lat p50', 'lat p95', 'ttft p50', 'ttft p95', 'tok/s', 'cost/run', 'cost total'];
  const body = rows.map((row) => [
    row.agent_name,
    row.model,
    String(row.runs),
    String(row.errors),
    String(row.aborted),
    ms(row.latency_ms.p50),
    ms(row.latency_ms.p95),
    ms(row.ttft_ms.p50),
    ms(row.ttft_ms.p95),
    row.tokens_per_s === null ? '—' : row.tokens_per_s.toFixed(1),
    usd(row.cost_per_run_usd),
    row.unpriced_runs === row.runs && row.runs > 0 ? 'unpriced' : usd(row.cost_total_usd),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...body.map((cells) => cells[column]!.length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column < 2 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ').trimEnd();
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...body.map(line)].join('\n') + '\n(latency and TTFT in ms, over runs that finished cleanly)';
}
