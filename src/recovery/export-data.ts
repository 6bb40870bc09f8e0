import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { RUN_COLUMNS, runToCsvFields } from '../domain/run.js';
import { SCORE_COLUMNS, scoreToCsvFields } from '../domain/score.js';
import { encodeCsvRecords } from '../store/csv-codec.js';
import { toRunRecord, toScoreRecord, type Database } from '../store/postgres/index.js';
import { fsyncPath } from '../store/atomic-file.js';
import { readCsvFileRows } from './csv-file-rows.js';
import { fromFileSystemError } from './recovery-error.js';

/**
 * `agent-lab export`: the history in the runs.csv (or scores.csv) format of
 * docs/data-files.md, whichever engine holds it. From PostgreSQL the rows are read in
 * recording order a batch at a time, and from a files data directory a chunk of the file at a
 * time (memory stays flat however long the history is), its complete records copied field for field (a torn
 * last record or a row with the wrong field count is left out, as `check` would report it).
 * Fields are written as stored: no spreadsheet escaping (that is the browser download's job).
 */

export type ExportType = 'runs' | 'scores';
export const EXPORT_TYPES: readonly ExportType[] = ['runs', 'scores'];

/** Rows read from the database per query. */
const BATCH_SIZE = 5_000;

export interface ExportResult {
  type: ExportType;
  rows: number;
  /** Records of a files source left out (torn, wrong field count). */
  leftOut: number;
  /** The file written, or undefined for stdout. */
  file: string | undefined;
}

export type ExportSource = { engine: 'postgres'; db: Database } | { engine: 'files'; dataDir: string };

/** Write the export to `out` (a path, written atomically) or to stdout. */
export async function exportHistory(options: { source: ExportSource; type: ExportType; out?: string }): Promise<ExportResult> {
  if (options.out === undefined) {
    const counts = await writeHistory({ ...options, stream: process.stdout });
    return { type: options.type, ...counts, file: undefined };
  }
  const file = path.resolve(options.out);
  const temporary = `${file}.tmp-${process.pid}`;
  try {
    const stream = createWriteStream(temporary, { flags: 'wx' });
    await once(stream, 'open');
    const counts = await writeHistory({ ...options, stream });
    stream.end();
    await once(stream, 'finish');
    await fsyncPath(temporary);
    await rename(temporary, file);
    return { type: options.type, ...counts, file };
  } catch (error) {
    await rm(temporary, { force: true });
    throw fromFileSystemError(error, { action: 'write', path: file });
  }
}

async function writeHistory(options: { source: ExportSource; type: ExportType; stream: Writable }): Promise<{ rows: number; leftOut: number }> {
  const columns = options.type === 'runs' ? RUN_COLUMNS : SCORE_COLUMNS;
  await write(options.stream, encodeCsvRecords([[...columns]]));
  if (options.source.engine === 'files') {
    let rows = 0;
    let leftOut = 0;
    for await (const batch of readCsvFileRows(path.join(options.source.dataDir, `${options.type}.csv`))) {
      if (batch.rows.length > 0) await write(options.stream, encodeCsvRecords(batch.rows.map(({ row }) => columns.map((column) => row[column] ?? ''))));
      rows += batch.rows.length;
      leftOut += batch.problems.length;
    }
    return { rows, leftOut };
  }
  const { db } = options.source;
  let rows = 0;
  let after = 0;
  for (;;) {
    const records =
      options.type === 'runs'
        ? (await db.selectFrom('runs').selectAll().where('seq', '>', after).orderBy('seq').limit(BATCH_SIZE).execute()).map((row) => ({
            seq: row.seq,
            fields: runToCsvFields(toRunRecord(row)),
          }))
        : (await db.selectFrom('scores').selectAll().where('seq', '>', after).orderBy('seq').limit(BATCH_SIZE).execute()).map((row) => ({
            seq: row.seq,
            fields: scoreToCsvFields(toScoreRecord(row)),
          }));
    if (records.length === 0) return { rows, leftOut: 0 };
    await write(options.stream, encodeCsvRecords(records.map((record) => record.fields)));
    rows += records.length;
    after = records[records.length - 1]!.seq;
  }
}

/** Write and wait for the stream to drain when it asks to (a slow pipe or disk). */
async function write(stream: Writable, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain');
}
