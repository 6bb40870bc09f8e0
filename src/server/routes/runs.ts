import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { NUMERIC_RUN_COLUMNS, RUN_COLUMNS, runToCsvFields, type RunRecord } from '../../domain/run.js';
import { neutraliseFormula } from '../../domain/spreadsheet-safe.js';
import { summariseRuns } from '../../domain/run-summary.js';
import { encodeCsvRecords } from '../../store/index.js';
import { parseOrThrow } from '../http-error.js';

/** The runs storage the routes need (src/store RunsCsv). */
export interface RunsPort {
  readRuns(): Promise<RunRecord[]>;
}

/** The run filters of `/api/runs` (also used by `/api/scores` and `/api/leaderboard`). */
export const runFilterSchema = z
  .object({
    experiment_id: z.string().max(10_000).optional(),
    task_label: z.string().max(10_000).optional(),
    model: z.string().max(200).optional(),
    agent: z.string().max(200).optional(),
    session_id: z.string().max(64).optional(),
    bakeoff_id: z.string().max(64).optional(),
    since: z
      .string()
      .refine((value) => !Number.isNaN(Date.parse(value)), 'since must be an ISO 8601 date or time, such as 2026-11-30 or 2026-11-30T12:00:00Z')
      .optional(),
    limit: z.coerce.number().int().min(1).max(100_000).optional(),
  })
  .strict();
export type RunFilter = z.output<typeof runFilterSchema>;

/** The runs matching a filter (`limit`: the last N). */
export function applyRunFilter(runs: RunRecord[], filter: RunFilter): RunRecord[] {
  const since = filter.since ? Date.parse(filter.since) : undefined;
  const matched = runs.filter(
    (run) =>
      (filter.experiment_id === undefined || run.experiment_id === filter.experiment_id) &&
      (filter.task_label === undefined || run.task_label === filter.task_label) &&
      (filter.model === undefined || run.model === filter.model) &&
      (filter.agent === undefined || run.agent_name === filter.agent || run.agent_id === filter.agent) &&
      (filter.session_id === undefined || run.session_id === filter.session_id) &&
      (filter.bakeoff_id === undefined || run.bakeoff_id === filter.bakeoff_id) &&
      (since === undefined || Date.parse(run.ts) >= since),
  );
  return filter.limit ? matched.slice(-filter.limit) : matched;
}

const NUMERIC_INDEXES = new Set(RUN_COLUMNS.flatMap((column, index) => ((NUMERIC_RUN_COLUMNS as readonly string[]).includes(column) ? [index] : [])));

/** A run's fields for the download: text that a spreadsheet would run as a formula gets a leading `'`; numbers stay numbers. */
function downloadFields(run: RunRecord): string[] {
  return runToCsvFields(run).map((value, index) => (NUMERIC_INDEXES.has(index) ? value : neutraliseFormula(value)));
}

/** `GET /api/runs` (filters), `GET /api/runs.csv` (download), `GET /api/runs/summary` (per model). */
export function runRoutes(app: FastifyInstance, options: { runs: RunsPort }): void {
  app.get('/api/runs', async (request) => {
    const filter = parseOrThrow(runFilterSchema, request.query, 'filter');
    const runs = applyRunFilter(await options.runs.readRuns(), filter);
    return { count: runs.length, runs };
  });

  app.get('/api/runs.csv', async (request, reply) => {
    const filter = parseOrThrow(runFilterSchema, request.query, 'filter');
    const runs = applyRunFilter(await options.runs.readRuns(), filter);
    // The store's codec: LF line endings, and a lone CR inside a field quoted too.
    const csv = encodeCsvRecords([[...RUN_COLUMNS], ...runs.map(downloadFields)]);
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', 'attachment; filename="runs.csv"')
      .send(csv);
  });

  app.get('/api/runs/summary', async (request) => {
    const filter = parseOrThrow(runFilterSchema, request.query, 'filter');
    const runs = applyRunFilter(await options.runs.readRuns(), filter);
    return { count: runs.length, models: summariseRuns(runs) };
  });
}
