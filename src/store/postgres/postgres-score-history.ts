import { sql, type Expression, type Insertable, type Selectable, type SqlBool } from 'kysely';
import type { ScoreFilter, ScoreHistory } from '../../domain/history.js';
import type { ScoreKind, ScoreRecord } from '../../domain/score.js';
import { databaseCall } from './database-error.js';
import { replaceUnstorableCharacters } from './storable-text.js';
import { atOrAfter, timeOf } from './time-columns.js';
import type { Database, ScoresTable } from './database.js';

/** Rows per INSERT: 16 parameters each stays far below PostgreSQL's 65,535. */
const INSERT_BATCH = 1000;

/**
 * Scores in the `scores` table, queried by WHERE on indexed columns (run_ids as one array
 * parameter), with the reference meaning of `applyScoreFilter`.
 */
export class PostgresScoreHistory implements ScoreHistory {
  readonly #db: Database;

  constructor(options: { db: Database }) {
    this.#db = options.db;
  }

  /** Insert the scores in one transaction; a score_id already stored is kept as it is. */
  async append(scores: ScoreRecord[]): Promise<void> {
    if (scores.length === 0) return;
    await databaseCall('recording scores', () =>
      this.#db.transaction().execute(async (transaction) => {
        for (let index = 0; index < scores.length; index += INSERT_BATCH) {
          await transaction
            .insertInto('scores')
            .values(scores.slice(index, index + INSERT_BATCH).map(scoreRow))
            .onConflict((conflict) => conflict.column('score_id').doNothing())
            .execute();
        }
      }),
    );
  }

  async findScores(query: ScoreFilter): Promise<ScoreRecord[]> {
    // Text as stored: PostgreSQL refuses a U+0000 in a query parameter too.
    const filter = replaceUnstorableCharacters(query);
    if (filter.run_ids !== undefined && filter.run_ids.length === 0) return [];
    const rows = await databaseCall('reading scores', () => {
      const query = this.#db
        .selectFrom('scores')
        .selectAll()
        .where((builder) => {
          const conditions: Array<Expression<SqlBool>> = [];
          if (filter.run_ids !== undefined) conditions.push(sql<SqlBool>`run_id = any(${[...filter.run_ids]}::text[])`);
          if (filter.experiment_id !== undefined) conditions.push(builder('experiment_id', '=', filter.experiment_id));
          if (filter.kind !== undefined) conditions.push(builder('kind', '=', filter.kind));
          if (filter.since !== undefined) conditions.push(atOrAfter('scored_at', filter.since));
          return builder.and(conditions);
        });
      return filter.limit ? query.orderBy('seq', 'desc').limit(filter.limit).execute() : query.orderBy('seq').execute();
    });
    if (filter.limit) rows.reverse();
    return rows.map(toScoreRecord);
  }
}

/** A score as a row of `scores` (for appending, and for `agent-lab import`). */
export function scoreRow(score: ScoreRecord): Insertable<ScoresTable> {
  const clean = replaceUnstorableCharacters(score);
  return { ...clean, scored_at: timeOf(clean.ts) };
}

/** A row of `scores` → the score record the API returns. */
export function toScoreRecord(row: Selectable<ScoresTable>): ScoreRecord {
  return {
    ts: row.ts,
    score_id: row.score_id,
    run_id: row.run_id,
    experiment_id: row.experiment_id,
    agent_id: row.agent_id,
    model: row.model,
    scorer: row.scorer,
    kind: row.kind as ScoreKind,
    value: row.value,
    pass: row.pass,
    reason: row.reason,
    judge_run_id: row.judge_run_id,
    opponent_run_id: row.opponent_run_id,
    eval_case: row.eval_case,
    rater: row.rater,
  };
}
