import { constants } from 'node:fs';
import { mkdir, open, readFile, stat, truncate } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { LabError } from '../domain/errors.js';
import { SCORE_COLUMNS, parseScoreRow, scoreToCsvFields, type ScoreRecord } from '../domain/score.js';
import { writeFileAtomic } from './atomic-file.js';
import { scanCsvRecords, type CsvRecordSpan } from './csv-records.js';
import { withDataLock } from './data-lock.js';
import { GroupCommit } from './group-commit.js';
import { PARSE_OPTIONS, appendDurably, csvLine, fileTimestamp, fsyncPath, parseFields, readHeader, uniquePath, writeWhole } from './runs-csv.js';

/**
 * `data/scores.csv`: one RFC 4180 row per verdict (SPEC.md "Evaluations"), append-only and
 * crash-safe exactly like runs.csv: rows are appended whole under the data lock, verdicts
 * arriving together share one write and one fsync (group commit), a torn last record left by
 * a crash is moved to a side file at start-up, and a header-only file is created at start.
 */

const HEADER_LINE = csvLine([...SCORE_COLUMNS]);

/** What `ScoresCsv.init()` found and did. */
export interface ScoresCsvInitResult {
  created: boolean;
  repairedTornRecord: boolean;
  tornPath?: string;
}

/** A whole read of scores.csv. */
export interface ScoresCsvContent {
  columns: string[];
  scores: ScoreRecord[];
  /** Records skipped: wrong field count, incomplete, or not a score the lab writes (bad kind or value). */
  skipped: number;
}

/** True when `columns` start with SCORE_COLUMNS in order (extra columns a tool added are kept). */
export function isScoresHeader(columns: readonly string[]): boolean {
  return SCORE_COLUMNS.every((column, index) => columns[index] === column);
}

/** The scores.csv of one data directory. */
export class ScoresCsv {
  readonly dataDir: string;
  readonly #file: string;
  #cache: { key: string; content: ScoresCsvContent } | undefined;
  readonly #appends: GroupCommit<ScoreRecord[], void>;

  constructor(options: { dataDir: string }) {
    this.dataDir = path.resolve(options.dataDir);
    this.#file = path.join(this.dataDir, 'scores.csv');
    this.#appends = new GroupCommit(this.dataDir, (batches) => this.#writeRows(batches));
  }

  get path(): string {
    return this.#file;
  }

  /**
   * Start-up: create a header-only scores.csv when missing or empty, cut off a torn last
   * record (saved beside it as `scores.csv.torn-<time>`). A header the lab does not know is
   * `unavailable:store` and the file is left as it is.
   */
  async init(): Promise<ScoresCsvInitResult> {
    await mkdir(this.dataDir, { recursive: true });
    return withDataLock(this.dataDir, async () => {
      this.#cache = undefined;
      let bytes: Buffer;
      try {
        bytes = await readFile(this.#file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        bytes = Buffer.alloc(0);
      }
      if (bytes.length === 0) {
        await writeFileAtomic(this.#file, HEADER_LINE);
        return { created: true, repairedTornRecord: false };
      }
      const records = scanCsvRecords(bytes);
      const header = records[0] as CsvRecordSpan;
      const columns = parseFields(bytes.subarray(header.start, header.end));
      if (!isScoresHeader(columns)) {
        throw new LabError(
          'unavailable:store',
          `${this.#file} has a header the lab does not recognise (${columns.slice(0, 5).join(',')}...); it was left as it is. Run \`npx --no-install agent-lab check\`.`,
        );
      }
      if (records.length === 1 && !header.terminated) {
        await appendText(this.#file, '\n');
        return { created: false, repairedTornRecord: false };
      }
      const last = records[records.length - 1] as CsvRecordSpan;
      if (records.length > 1 && (!last.terminated || last.fields !== columns.length)) {
        const tornPath = await uniquePath(`${this.#file}.torn-${fileTimestamp()}`);
        await writeFileAtomic(tornPath, bytes.subarray(last.start));
        // The side file holds the fragment first, so a crash here only saves it again next start.
        await truncate(this.#file, last.start);
        await fsyncPath(this.#file);
        return { created: false, repairedTornRecord: true, tornPath };
      }
      return { created: false, repairedTornRecord: false };
    });
  }

  /** Append scores as whole rows, durably (resolves after fsync); concurrent appends share one write. */
  async append(scores: ScoreRecord[]): Promise<void> {
    if (scores.length === 0) return;
    await this.#appends.submit(scores);
  }

  async #writeRows(batches: ScoreRecord[][]): Promise<Array<PromiseSettledResult<void>>> {
    const handle = await this.#openForAppend();
    try {
      const { size } = await handle.stat();
      let columns: readonly string[] = SCORE_COLUMNS;
      let prefix = '';
      if (size === 0) prefix = HEADER_LINE;
      else {
        columns = await readHeader(handle, size, this.#file);
        if (!isScoresHeader(columns)) {
          throw new LabError('unavailable:store', `Could not record the score: ${this.#file} has a header the lab does not recognise. Run \`npx --no-install agent-lab check\`.`);
        }
        const lastByte = Buffer.alloc(1);
        await handle.read(lastByte, 0, 1, size - 1);
        if (lastByte[0] !== 0x0a) prefix = '\n';
      }
      const padding = columns.length - SCORE_COLUMNS.length;
      const lines = batches.flat().map((score) => csvLine([...scoreToCsvFields(score), ...Array<string>(padding).fill('')]));
      // A failed write or fsync is taken back, so a score reported "not recorded" is not in the file.
      await appendDurably({ handle, bytes: Buffer.from(prefix + lines.join(''), 'utf8'), sizeBefore: size, file: this.#file, what: 'score' });
    } finally {
      await handle.close();
    }
    return batches.map(() => ({ status: 'fulfilled', value: undefined }));
  }

  async #openForAppend(): Promise<FileHandle> {
    const flags = constants.O_RDWR | constants.O_APPEND;
    try {
      return await open(this.#file, flags);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    // Gone (moved by hand, or a restore in progress): recreate it with its header, atomically.
    await mkdir(this.dataDir, { recursive: true });
    await writeFileAtomic(this.#file, HEADER_LINE);
    return open(this.#file, flags);
  }

  /** Every readable score, without the lock (rows are appended whole; an incomplete last one is skipped). */
  async read(): Promise<ScoresCsvContent> {
    let info;
    try {
      info = await stat(this.#file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { columns: [...SCORE_COLUMNS], scores: [], skipped: 0 };
      throw error;
    }
    const key = `${info.ino}:${info.size}:${info.mtimeMs}`;
    if (this.#cache?.key === key) return { ...this.#cache.content, scores: [...this.#cache.content.scores] };
    const bytes = await readFile(this.#file);
    const content = parseScoresCsv(bytes);
    this.#cache = { key, content };
    return { ...content, scores: [...content.scores] };
  }

  async readScores(): Promise<ScoreRecord[]> {
    return (await this.read()).scores;
  }
}

/** Parse scores.csv bytes; records that are not whole, well-formed scores are skipped and counted. */
export function parseScoresCsv(bytes: Buffer): ScoresCsvContent {
  const records = scanCsvRecords(bytes);
  let end = bytes.length;
  let skipped = 0;
  const last = records[records.length - 1];
  if (last && records.length > 1 && !last.terminated) {
    end = last.start;
    skipped += 1;
  }
  const table = end === 0 ? [] : (parse(bytes.subarray(0, end), PARSE_OPTIONS) as string[][]);
  const columns = table[0] ?? [...SCORE_COLUMNS];
  const scores: ScoreRecord[] = [];
  for (const record of table.slice(1)) {
    if (record.length !== columns.length) {
      skipped += 1;
      continue;
    }
    const row: Record<string, string> = {};
    columns.forEach((column, index) => (row[column] = record[index] ?? ''));
    const score = parseScoreRow(row);
    if (score) scores.push(score);
    else skipped += 1;
  }
  return { columns, scores, skipped };
}

async function appendText(file: string, text: string): Promise<void> {
  const handle = await open(file, constants.O_WRONLY | constants.O_APPEND);
  try {
    const { size } = await handle.stat();
    await writeWhole(handle, Buffer.from(text, 'utf8'), size);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
