import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { LabError } from '../../domain/errors.js';
import type { RunRecord } from '../../domain/run.js';
import { summariseRuns, type ModelSummary } from '../../domain/run-summary.js';
import type { CompareFigures, CompareRow, Comparison, DeltaFigures } from '../../domain/compare.js';
import { parseOrThrow } from '../http-error.js';
import type { RunHistory } from '../../domain/history.js';

/**
 * `GET /api/compare?a=<experiment_id>&b=<experiment_id>` (or `agent_a`/`agent_b`, an agent
 * name or id): per-model figures of both sides and their deltas (b − a), plus the same
 * over all runs of each side, so two agents on different models still compare.
 */

const text = z.string().min(1).max(10_000);
export const compareQuerySchema = z
  .object({ a: text.optional(), b: text.optional(), agent_a: text.max(200).optional(), agent_b: text.max(200).optional() })
  .strict();

function figures(summary: ModelSummary): CompareFigures {
  return {
    count: summary.count,
    latency_p50_ms: summary.latency_ms.p50,
    latency_p95_ms: summary.latency_ms.p95,
    ttft_p50_ms: summary.ttft_ms.p50,
    cost_per_run_usd: summary.cost_usd.mean,
    unpriced_runs: summary.cost_usd.unpriced_runs,
    error_rate: summary.error_rate,
  };
}

function minus(b: number | null, a: number | null, digits: number): number | null {
  if (a === null || b === null) return null;
  const factor = 10 ** digits;
  return Math.round((b - a) * factor) / factor;
}

function delta(a: CompareFigures | null, b: CompareFigures | null): DeltaFigures | null {
  if (!a || !b) return null;
  return {
    latency_p50_ms: minus(b.latency_p50_ms, a.latency_p50_ms, 1),
    latency_p95_ms: minus(b.latency_p95_ms, a.latency_p95_ms, 1),
    ttft_p50_ms: minus(b.ttft_p50_ms, a.ttft_p50_ms, 1),
    cost_per_run_usd: minus(b.cost_per_run_usd, a.cost_per_run_usd, 10),
    error_rate: minus(b.error_rate, a.error_rate, 4) ?? 0,
    latency_p50_ratio:
      a.latency_p50_ms && b.latency_p50_ms !== null ? Math.round((b.latency_p50_ms / a.latency_p50_ms) * 1000) / 1000 : null,
  };
}

/** Compare two sets of runs per model (pure; exported for tests and the CLI). */
export function compareRuns(options: { a: readonly RunRecord[]; b: readonly RunRecord[]; labels: { a: string; b: string }; by: Comparison['by'] }): Comparison {
  const summaryA = new Map(summariseRuns(options.a).map((row) => [row.model, figures(row)]));
  const summaryB = new Map(summariseRuns(options.b).map((row) => [row.model, figures(row)]));
  const models = [...new Set([...summaryA.keys(), ...summaryB.keys()])].sort();
  const overallOf = (runs: readonly RunRecord[]) => {
    const [row] = summariseRuns(runs.map((run) => ({ ...run, model: '*' })));
    return row ? figures(row) : null;
  };
  const overallA = overallOf(options.a);
  const overallB = overallOf(options.b);
  return {
    by: options.by,
    a: { label: options.labels.a, count: options.a.length },
    b: { label: options.labels.b, count: options.b.length },
    models: models.map((model) => {
      const a = summaryA.get(model) ?? null;
      const b = summaryB.get(model) ?? null;
      return { model, a, b, delta: delta(a, b) };
    }),
    overall: { model: '*', a: overallA, b: overallB, delta: delta(overallA, overallB) },
  };
}

/** `GET /api/compare`. */
export function compareRoutes(app: FastifyInstance, options: { runs: RunHistory }): void {
  app.get('/api/compare', async (request) => {
    const query = parseOrThrow(compareQuerySchema, request.query, 'comparison');
    const byExperiment = query.a !== undefined || query.b !== undefined;
    const byAgent = query.agent_a !== undefined || query.agent_b !== undefined;
    if (byExperiment === byAgent || (byExperiment && (!query.a || !query.b)) || (byAgent && (!query.agent_a || !query.agent_b))) {
      throw new LabError(
        'bad_request:body',
        'Invalid comparison: give two experiments (a=<experiment_id>&b=<experiment_id>) or two agents (agent_a=<name or id>&agent_b=<name or id>).',
      );
    }
    if (byExperiment) {
      return compareRuns({
        a: await options.runs.findRuns({ experiment_id: query.a }),
        b: await options.runs.findRuns({ experiment_id: query.b }),
        labels: { a: query.a!, b: query.b! },
        by: 'experiment',
      });
    }
    const ofAgent = (agent: string) => options.runs.findRuns({ agent });
    return compareRuns({ a: await ofAgent(query.agent_a!), b: await ofAgent(query.agent_b!), labels: { a: query.agent_a!, b: query.agent_b! }, by: 'agent' });
  });
}
