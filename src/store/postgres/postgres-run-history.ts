import { sql, type Expression, type ExpressionBuilder, type Insertable, type Selectable, type SqlBool } from 'kysely';
import { foldAsciiCase, runTimeIso, type ExperimentQuery, type ExperimentRecord, type RunFilter, type RunHistory, type RunsSummary } from '../../domain/history.js';
import type { ModelListSource, RunRecord, WebStatus } from '../../domain/run.js';
import { compareModelSummaries, summariseModel } from '../../domain/run-summary.js';
import { databaseCall } from './database-error.js';
import { replaceUnstorableCharacters } from './storable-text.js';
import { atOrAfter, timeOf } from './time-columns.js';
import type { Database, LabDatabase, RunsTable } from './database.js';

/**
 * Runs in the `runs` table. Every filter is a WHERE on an indexed column, "the last N" reads
 * the (column, seq) index backwards, and the summary is computed by aggregates in the
 * database, so a query costs what it returns, not the size of the history. The answers equal
 * the reference meaning in src/domain/history.ts (`applyRunFilter`, `summariseFiltered`).
 */
export class PostgresRunHistory implements RunHistory {
  readonly #db: Database;

  constructor(options: { db: Database }) {
    this.#db = options.db;
  }

  /** Insert the run; resolves once the row is committed. The same run_id twice is stored once. */
  async append(run: RunRecord): Promise<void> {
    await databaseCall('recording a run', () =>
      this.#db
        .insertInto('runs')
        .values(runRow(run))
        .onConflict((conflict) => conflict.column('run_id').doNothing())
        .execute(),
    );
  }

  async findRuns(filter: RunFilter): Promise<RunRecord[]> {
    const rows = await databaseCall('reading runs', () => {
      const query = this.#db.selectFrom('runs').selectAll().where((builder) => runConditions(builder, filter));
      return filter.limit ? query.orderBy('seq', 'desc').limit(filter.limit).execute() : query.orderBy('seq').execute();
    });
    if (filter.limit) rows.reverse();
    return rows.map(toRunRecord);
  }

  async findRunIds(filter: RunFilter): Promise<string[]> {
    const rows = await databaseCall('reading run ids', () => {
      const query = this.#db.selectFrom('runs').select('run_id').where((builder) => runConditions(builder, filter));
      return filter.limit ? query.orderBy('seq', 'desc').limit(filter.limit).execute() : query.orderBy('seq').execute();
    });
    if (filter.limit) rows.reverse();
    return rows.map((row) => row.run_id);
  }

  /**
   * One GROUP BY over the (experiment_id, seq) index (count, first and last seq per
   * experiment: an index-only scan), then the two runs at those seqs for their times.
   */
  async listExperiments(query: ExperimentQuery): Promise<ExperimentRecord[]> {
    const rows = await databaseCall('listing experiments', () =>
      this.#db
        .with('experiments', (db) => {
          let grouped = db
            .selectFrom('runs')
            .select(['experiment_id', sql<number>`count(*)::int`.as('runs'), sql<string>`min(seq)`.as('first_seq'), sql<string>`max(seq)`.as('last_seq')])
            .where('experiment_id', '<>', '');
          if (query.q !== undefined) {
            grouped = grouped.where(sql<SqlBool>`strpos(translate(experiment_id, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'), ${foldAsciiCase(replaceUnstorableCharacters(query.q))}) > 0`);
          }
          return grouped.groupBy('experiment_id').orderBy('last_seq', 'desc').limit(query.limit);
        })
        .selectFrom('experiments')
        .innerJoin('runs as first_run', 'first_run.seq', 'experiments.first_seq')
        .innerJoin('runs as last_run', 'last_run.seq', 'experiments.last_seq')
        .select(['experiments.experiment_id', 'experiments.runs', 'first_run.ts as first_ts', 'last_run.ts as last_ts'])
        .orderBy('experiments.last_seq', 'desc')
        .execute(),
    );
    return rows.map((row) => ({ experiment_id: row.experiment_id, runs: row.runs, first_run_at: runTimeIso(row.first_ts), last_run_at: runTimeIso(row.last_ts) }));
  }

  /** The runs `findRuns` returns, a page at a time in recording order (keyset on seq), for downloads. */
  async *findRunPages(filter: RunFilter, options: { pageSize: number }): AsyncIterable<RunRecord[]> {
    if (filter.limit) {
      // "The last N" is at most 100,000 rows: read them as findRuns does, hand them out in pages.
      const runs = await this.findRuns(filter);
      for (let from = 0; from < runs.length; from += options.pageSize) yield runs.slice(from, from + options.pageSize);
      return;
    }
    let after = 0;
    for (;;) {
      const rows = await databaseCall('reading runs', () =>
        this.#db
          .selectFrom('runs')
          .selectAll()
          .where((builder) => runConditions(builder, filter))
          .where('seq', '>', after)
          .orderBy('seq')
          .limit(options.pageSize)
          .execute(),
      );
      if (rows.length > 0) yield rows.map(toRunRecord);
      if (rows.length < options.pageSize) return;
      after = rows[rows.length - 1]!.seq;
    }
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    const row = await databaseCall('reading a run', () => this.#db.selectFrom('runs').selectAll().where('run_id', '=', replaceUnstorableCharacters(runId)).executeTakeFirst());
    return row ? toRunRecord(row) : undefined;
  }

  /**
   * Per-model figures in one query: nearest-rank percentiles are `percentile_disc` (the first
   * value whose rank reaches ceil(fraction × n), as `percentile` computes), floating-point sums
   * are added in file order (seq) as `summariseRuns` adds them, and the rounding is the
   * domain's own (`summariseModel`).
   */
  async summarise(filter: RunFilter): Promise<RunsSummary> {
    const rows = await databaseCall('summarising runs', () => {
      let matched = this.#db
        .selectFrom('runs')
        .select(['seq', 'model', 'latency_ms', 'ttft_ms', 'tokens_per_s', 'cost_usd', 'prompt_tokens', 'completion_tokens', 'total_tokens', 'error', 'aborted'])
        .where((builder) => runConditions(builder, filter));
      if (filter.limit) matched = matched.orderBy('seq', 'desc').limit(filter.limit);
      const clean = sql`not aborted and error = ''`;
      const finite = (column: string) => sql`${sql.ref(column)} not in ('NaN'::float8, 'Infinity'::float8, '-Infinity'::float8)`;
      const percentileOf = (fraction: number, column: string) =>
        sql<number | null>`percentile_disc(${sql.lit(fraction)}) within group (order by ${sql.ref(column)}) filter (where ${clean} and ${finite(column)})`;
      return this.#db
        .with('matched', () => matched)
        .selectFrom('matched')
        .select([
          'model',
          sql<number>`count(*)`.as('count'),
          percentileOf(0.5, 'latency_ms').as('latency_p50'),
          percentileOf(0.95, 'latency_ms').as('latency_p95'),
          percentileOf(0.5, 'ttft_ms').as('ttft_p50'),
          percentileOf(0.95, 'ttft_ms').as('ttft_p95'),
          percentileOf(0.5, 'tokens_per_s').as('speed_p50'),
          sql<number | null>`sum(tokens_per_s order by seq) filter (where ${clean} and ${finite('tokens_per_s')})`.as('speed_sum'),
          sql<number>`count(*) filter (where ${clean} and ${finite('tokens_per_s')})`.as('speed_count'),
          sql<number | null>`sum(cost_usd order by seq)`.as('cost_total'),
          sql<number>`count(cost_usd)`.as('priced_count'),
          sql<number>`sum(prompt_tokens)`.as('prompt_tokens'),
          sql<number>`sum(completion_tokens)`.as('completion_tokens'),
          sql<number>`sum(total_tokens)`.as('total_tokens'),
          sql<number>`count(*) filter (where error <> '' and not aborted)`.as('errors'),
          sql<number>`count(*) filter (where aborted)`.as('aborts'),
        ])
        .groupBy('model')
        .execute();
    });
    const models = rows
      .map((row) =>
        summariseModel({
          model: row.model,
          count: row.count,
          latency: { p50: row.latency_p50, p95: row.latency_p95 },
          ttft: { p50: row.ttft_p50, p95: row.ttft_p95 },
          tokensPerSecond: { sum: row.speed_sum ?? 0, count: row.speed_count, p50: row.speed_p50 },
          pricedCount: row.priced_count,
          totalCost: row.cost_total ?? 0,
          tokens: { prompt: row.prompt_tokens, completion: row.completion_tokens, total: row.total_tokens },
          errorCount: row.errors,
          abortCount: row.aborts,
        }),
      )
      .sort(compareModelSummaries);
    return { count: models.reduce((sum, model) => sum + model.count, 0), models };
  }
}

/**
 * The WHERE of a RunFilter (without `limit`): the reference meaning of `applyRunFilter`. Its
 * text goes through replaceUnstorableCharacters as stored values did: PostgreSQL refuses a
 * U+0000 in a query parameter too (a 503 for a bad query, before).
 */
export function runConditions(builder: ExpressionBuilder<LabDatabase, 'runs'>, query: RunFilter): Expression<SqlBool> {
  const filter = replaceUnstorableCharacters(query);
  const conditions: Array<Expression<SqlBool>> = [];
  if (filter.experiment_id !== undefined) conditions.push(builder('experiment_id', '=', filter.experiment_id));
  if (filter.task_label !== undefined) conditions.push(builder('task_label', '=', filter.task_label));
  if (filter.model !== undefined) conditions.push(builder('model', '=', filter.model));
  if (filter.agent !== undefined) conditions.push(builder.or([builder('agent_name', '=', filter.agent), builder('agent_id', '=', filter.agent)]));
  if (filter.session_id !== undefined) conditions.push(builder('session_id', '=', filter.session_id));
  if (filter.bakeoff_id !== undefined) conditions.push(builder('bakeoff_id', '=', filter.bakeoff_id));
  if (filter.since !== undefined) conditions.push(atOrAfter('started_at', filter.since));
  return builder.and(conditions);
}

/** A run as a row of `runs` (for appending, and for `agent-lab import`). */
export function runRow(run: RunRecord): Insertable<RunsTable> {
  const clean = replaceUnstorableCharacters(run);
  return {
    run_id: clean.run_id,
    ts: clean.ts,
    started_at: timeOf(clean.ts),
    agent_name: clean.agent_name,
    model: clean.model,
    prompt_tokens: clean.prompt_tokens,
    completion_tokens: clean.completion_tokens,
    total_tokens: clean.total_tokens,
    latency_ms: clean.latency_ms,
    cost_usd: clean.cost_usd,
    experiment_id: clean.experiment_id,
    task_label: clean.task_label,
    run_notes: clean.run_notes,
    streaming: clean.streaming,
    model_list_source: clean.model_list_source,
    tool_web_enabled: clean.tool_web_enabled,
    web_status: clean.web_status,
    aborted: clean.aborted,
    session_id: clean.session_id,
    agent_id: clean.agent_id,
    ttft_ms: clean.ttft_ms,
    tokens_per_s: clean.tokens_per_s,
    finish_reason: clean.finish_reason,
    error: clean.error,
    bakeoff_id: clean.bakeoff_id,
  };
}

/** A row of `runs` → the run record the API returns. */
export function toRunRecord(row: Selectable<RunsTable>): RunRecord {
  return {
    run_id: row.run_id,
    session_id: row.session_id,
    agent_id: row.agent_id,
    agent_name: row.agent_name,
    model: row.model,
    ts: row.ts,
    prompt_tokens: row.prompt_tokens,
    completion_tokens: row.completion_tokens,
    total_tokens: row.total_tokens,
    latency_ms: row.latency_ms,
    ttft_ms: row.ttft_ms,
    tokens_per_s: row.tokens_per_s,
    cost_usd: row.cost_usd,
    experiment_id: row.experiment_id,
    task_label: row.task_label,
    run_notes: row.run_notes,
    streaming: row.streaming,
    model_list_source: row.model_list_source as ModelListSource,
    tool_web_enabled: row.tool_web_enabled,
    web_status: row.web_status as WebStatus,
    aborted: row.aborted,
    finish_reason: row.finish_reason,
    error: row.error,
    bakeoff_id: row.bakeoff_id,
  };
}
