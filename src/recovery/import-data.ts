import path from 'node:path';
import { stat } from 'node:fs/promises';
import type { Agent } from '../domain/agent.js';
import { RUN_COLUMNS } from '../domain/run.js';
import { SCORE_COLUMNS, parseScoreRow } from '../domain/score.js';
import { AgentStore } from '../store/agent-store.js';
import { checkRunRow, parseRunRow } from '../store/run-row.js';
import { REVOKED_SESSIONS_FILE, RevokedSessionsFile } from '../store/revoked-sessions-file.js';
import { SessionStore } from '../store/session-store.js';
import { agentRow, runRow, scoreRow, sessionRow, type Database } from '../store/postgres/index.js';
import { readCsvFileRows } from './csv-file-rows.js';
import type { ProgressCallback } from './progress.js';
import { noProgress } from './progress.js';
import { RecoveryError } from './recovery-error.js';

/**
 * `agent-lab import DIR`: load a files data directory (agents.json, sessions/*.json,
 * runs.csv, scores.csv, and the logouts still in force; docs/data-files.md) into the PostgreSQL database of DATABASE_URL.
 * Idempotent: a record whose id is already in the database is skipped, so an interrupted
 * import is finished by running it again. Runs and scores go in file order, so the database
 * keeps the files' order. Nothing unreadable is imported: each such record is a problem in
 * the report, with its file and line.
 */

/** Rows sent to the database in one INSERT. */
const BATCH_SIZE = 500;

export interface ImportCounts {
  /** Records read from the files. */
  read: number;
  /** Records added to the database. */
  imported: number;
  /** Records already in the database (same id), left as they are there. */
  skipped: number;
}

export interface ImportProblem {
  file: string;
  line?: number;
  message: string;
}

export interface ImportReport {
  sourceDir: string;
  agents: ImportCounts;
  sessions: ImportCounts;
  runs: ImportCounts;
  scores: ImportCounts;
  /** Logouts still in force (revoked-sessions.json). */
  logouts: ImportCounts;
  /** Records left out because they could not be read. */
  problems: ImportProblem[];
  durationMs: number;
}

const emptyCounts = (): ImportCounts => ({ read: 0, imported: 0, skipped: 0 });

export async function importDataDirectory(options: { sourceDir: string; db: Database; onProgress?: ProgressCallback }): Promise<ImportReport> {
  const started = performance.now();
  const sourceDir = path.resolve(options.sourceDir);
  const onProgress = options.onProgress ?? noProgress;
  const isDirectory = await stat(sourceDir).then(
    (entry) => entry.isDirectory(),
    () => false,
  );
  if (!isDirectory) {
    throw new RecoveryError('not_found:data', `${sourceDir} is not a directory`, { hint: 'give the files data directory to import (the DATA_DIR of a files-mode lab)' });
  }

  const problems: ImportProblem[] = [];
  const report: ImportReport = {
    sourceDir,
    agents: emptyCounts(),
    sessions: emptyCounts(),
    runs: emptyCounts(),
    scores: emptyCounts(),
    logouts: emptyCounts(),
    problems,
    durationMs: 0,
  };
  const { db } = options;

  // Agents: agents.json as the files engine reads it (a damaged file is one problem).
  let agents: Agent[] = [];
  try {
    agents = await new AgentStore({ dataDir: sourceDir }).list();
  } catch (error) {
    problems.push({ file: 'agents.json', message: `not imported: ${(error as Error).message}` });
  }
  report.agents = await insertInBatches({
    items: agents,
    insert: async (batch) => countInserted(await db.insertInto('agents').values(batch.map(agentRow)).onConflict((conflict) => conflict.column('id').doNothing()).execute()),
  });

  // Logouts still in force (revoked-sessions.json): imported so no signed-out cookie works again
  // on the database's instances.
  let logouts: Array<{ id: string; expires_at: Date }> = [];
  try {
    logouts = [...(await new RevokedSessionsFile({ dataDir: sourceDir }).load())].map(([id, expiresAt]) => ({ id, expires_at: new Date(expiresAt) }));
  } catch (error) {
    problems.push({ file: REVOKED_SESSIONS_FILE, message: `not imported: ${(error as Error).message}` });
  }
  report.logouts = await insertInBatches({
    items: logouts,
    insert: async (batch) => countInserted(await db.insertInto('revoked_sessions').values(batch).onConflict((conflict) => conflict.column('id').doNothing()).execute()),
  });

  // Sessions: every readable file; a damaged one is a problem (`agent-lab check` names why).
  const sessionStore = new SessionStore({ dataDir: sourceDir });
  const summaries = await sessionStore.list();
  const sessionIds: string[] = [];
  for (const summary of summaries) {
    if (summary.damaged) problems.push({ file: `sessions/${summary.id}.json`, message: `not imported: ${summary.error}` });
    else sessionIds.push(summary.id);
  }
  // Oldest first, so the database's order matches the files' creation order.
  sessionIds.reverse();
  let sessionsDone = 0;
  report.sessions = await insertInBatches({
    items: sessionIds,
    insert: async (batch) => {
      const sessions = [];
      for (const id of batch) {
        try {
          sessions.push(await sessionStore.get(id));
        } catch (error) {
          problems.push({ file: `sessions/${id}.json`, message: `not imported: ${(error as Error).message}` });
        }
      }
      sessionsDone += batch.length;
      onProgress({ phase: 'sessions', done: sessionsDone, total: sessionIds.length });
      if (sessions.length === 0) return 0;
      return countInserted(await db.insertInto('sessions').values(sessions.map(sessionRow)).onConflict((conflict) => conflict.column('id').doNothing()).execute());
    },
  });
  report.sessions.read = sessionIds.length;

  // runs.csv: rows through the same row schema `agent-lab check` uses.
  report.runs = await importCsvFile({
    file: 'runs.csv',
    sourceDir,
    columns: RUN_COLUMNS,
    headerHint: ' (run `agent-lab check` on it, or start the lab on it once to migrate an older file)',
    problems,
    onProgress,
    toRecord: (row) => {
      const rowProblems = checkRunRow(row);
      return rowProblems.length > 0 ? rowProblems.join('; ') : parseRunRow(row);
    },
    insert: async (batch) =>
      countInserted(await db.insertInto('runs').values(batch.map(runRow)).onConflict((conflict) => conflict.column('run_id').doNothing()).execute()),
  });

  // scores.csv: rows the lab can read as scores.
  report.scores = await importCsvFile({
    file: 'scores.csv',
    sourceDir,
    columns: SCORE_COLUMNS,
    headerHint: '',
    problems,
    onProgress,
    toRecord: (row) => parseScoreRow(row) ?? 'not a score (kind or value out of range)',
    insert: async (batch) =>
      countInserted(await db.insertInto('scores').values(batch.map(scoreRow)).onConflict((conflict) => conflict.column('score_id').doNothing()).execute()),
  });

  report.durationMs = Math.round(performance.now() - started);
  return report;
}

/**
 * Import a data directory's CSV file a chunk at a time, in file order (memory stays flat
 * however long the history is); each record that cannot be read (torn, wrong field count, or
 * refused by `toRecord`, which returns why) is a problem instead.
 */
async function importCsvFile<T>(options: {
  file: 'runs.csv' | 'scores.csv';
  sourceDir: string;
  columns: readonly string[];
  headerHint: string;
  problems: ImportProblem[];
  onProgress: ProgressCallback;
  toRecord: (row: Record<string, string>) => T | string;
  insert: (batch: T[]) => Promise<number>;
}): Promise<ImportCounts> {
  const { file, problems } = options;
  const counts = emptyCounts();
  for await (const batch of readCsvFileRows(path.join(options.sourceDir, file))) {
    if (!options.columns.every((column, index) => batch.columns[index] === column)) {
      problems.push({ file, line: 1, message: `not imported: the header is not the ${file} header${options.headerHint}` });
      break;
    }
    for (const problem of batch.problems) problems.push({ file, ...problem });
    const records: T[] = [];
    for (const { line, row } of batch.rows) {
      const record = options.toRecord(row);
      if (typeof record === 'string') problems.push({ file, line, message: `not imported: ${record}` });
      else records.push(record);
    }
    const inserted = await insertInBatches({ items: records, insert: options.insert });
    counts.read += inserted.read;
    counts.imported += inserted.imported;
    counts.skipped += inserted.skipped;
    options.onProgress({ phase: `${file} KiB`, done: Math.ceil(batch.bytesRead / 1024), total: Math.ceil(batch.size / 1024) });
  }
  return counts;
}

/** Insert items in batches; `insert` returns how many rows of its batch were new. */
async function insertInBatches<T>(options: { items: readonly T[]; insert: (batch: T[]) => Promise<number> }): Promise<ImportCounts> {
  let imported = 0;
  for (let index = 0; index < options.items.length; index += BATCH_SIZE) {
    imported += await options.insert(options.items.slice(index, index + BATCH_SIZE));
  }
  return { read: options.items.length, imported, skipped: options.items.length - imported };
}

function countInserted(results: ReadonlyArray<{ numInsertedOrUpdatedRows?: bigint | undefined }>): number {
  return results.reduce((sum, result) => sum + Number(result.numInsertedOrUpdatedRows ?? 0n), 0);
}
