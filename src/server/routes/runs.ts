import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { NUMERIC_RUN_COLUMNS, RUN_COLUMNS, runToCsvFields, type RunRecord } from '../../domain/run.js';
import { neutraliseFormula } from '../../domain/spreadsheet-safe.js';
import type { RunFilter, RunHistory } from '../../domain/history.js';
import { encodeCsvRecords } from '../../store/index.js';
import { parseOrThrow } from '../http-error.js';

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
  .strict() satisfies z.ZodType<RunFilter>;

/**
 * `GET /api/runs` without `limit` answers the newest this many matching runs (with
 * `truncated: true` when there were more): a history of a million runs is not one JSON
 * answer. Ask with `limit` (up to 100,000) for more, or download `/api/runs.csv`.
 */
export const DEFAULT_RUNS_LIMIT = 10_000;

/** The runs matching `filter`; without `limit`, the newest DEFAULT_RUNS_LIMIT, `truncated` when there were more. */
export async function findRunsCapped(history: Pick<RunHistory, 'findRuns'>, filter: RunFilter): Promise<{ runs: RunRecord[]; truncated: boolean }> {
  if (filter.limit !== undefined) return { runs: await history.findRuns(filter), truncated: false };
  // One more than the cap tells whether there were more.
  const runs = await history.findRuns({ ...filter, limit: DEFAULT_RUNS_LIMIT + 1 });
  return runs.length > DEFAULT_RUNS_LIMIT ? { runs: runs.slice(1), truncated: true } : { runs, truncated: false };
}

/** Runs per page of the streamed `/api/runs.csv`. */
const DOWNLOAD_PAGE_RUNS = 5_000;

const NUMERIC_INDEXES = new Set(RUN_COLUMNS.flatMap((column, index) => ((NUMERIC_RUN_COLUMNS as readonly string[]).includes(column) ? [index] : [])));

/** A run's fields for the download: text that a spreadsheet would run as a formula gets a leading `'`; numbers stay numbers. */
function downloadFields(run: RunRecord): string[] {
  return runToCsvFields(run).map((value, index) => (NUMERIC_INDEXES.has(index) ? value : neutraliseFormula(value)));
}

/** `GET /api/runs` (filters), `GET /api/runs.csv` (download), `GET /api/runs/summary` (per model). */
export function runRoutes(app: FastifyInstance, options: { runs: RunHistory }): void {
  app.get('/api/runs', async (request) => {
    const filter = parseOrThrow(runFilterSchema, request.query, 'filter');
    const { runs, truncated } = await findRunsCapped(options.runs, filter);
    return truncated ? { count: runs.length, runs, truncated, limit: DEFAULT_RUNS_LIMIT } : { count: runs.length, runs };
  });

  app.get('/api/runs.csv', async (request, reply) => {
    const filter = parseOrThrow(runFilterSchema, request.query, 'filter');
    const history = options.runs;
    reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="runs.csv"');
    // The store's codec: LF line endings, and a lone CR inside a field quoted too.
    if (!history.findRunPages) return reply.send(encodeCsvRecords([[...RUN_COLUMNS], ...(await history.findRuns(filter)).map(downloadFields)]));
    // A page at a time, so a million-run download never sits in memory whole.
    const pages = history.findRunPages(filter, { pageSize: DOWNLOAD_PAGE_RUNS });
    async function* csvText(): AsyncIterable<string> {
      yield encodeCsvRecords([[...RUN_COLUMNS]]);
      for await (const page of pages) yield encodeCsvRecords(page.map(downloadFields));
    }
    return reply.send(Readable.from(csvText()));
  });

  app.get('/api/runs/summary', async (request) => {
    const filter = parseOrThrow(runFilterSchema, request.query, 'filter');
    return options.runs.summarise(filter);
  });
}
