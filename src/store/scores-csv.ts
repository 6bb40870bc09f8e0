import { createHash } from 'node:crypto';
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

/**
 * What the last read parsed: the file's identity and size then, where its last whole record
 * ended, and a hash of the bytes up to there (to notice a file rewritten in place).
 */
interface ReadCache {
  ino: number;
  size: number;
  mtimeMs: number;
  /** Byte offset just past the last complete record parsed. */
  end: number;
  /** SHA-1 of the bytes before `end`, as read then. */
  prefixHash: string;
  columns: string[];
  scores: ScoreRecord[];
  /** Complete records skipped (wrong field count, not a score). */
  skipped: number;
  /** True when an incomplete record followed `end` (a write in flight, or torn). */
  tail: boolean;
}

const prefixHash = (bytes: Buffer, end: number) => createHash('sha1').update(bytes.subarray(0, end)).digest('hex');

/** True when `columns` start with SCORE_COLUMNS in order (extra columns a tool added are kept). */
export function isScoresHeader(columns: readonly string[]): boolean {
  return SCORE_COLUMNS.every((column, index) => columns[index] === column);
}

/** The scores.csv of one data directory. */
export class ScoresCsv {
  readonly dataDir: string;
  readonly #file: string;
  #cache: ReadCache | undefined;
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

  /**
   * Every readable score, without the lock (rows are appended whole; an incomplete last one
   * is skipped). The file is append-only, so when it has only grown since the last read just
   * the new bytes are parsed (a leaderboard after each new score costs the new rows, not the
   * whole file); a file replaced, shrunk or rewritten in place is parsed again in full.
   */
  async read(): Promise<ScoresCsvContent> {
    let info;
    try {
      info = await stat(this.#file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { columns: [...SCORE_COLUMNS], scores: [], skipped: 0 };
      throw error;
    }
    const cache = this.#cache;
    if (cache && cache.ino === info.ino && cache.size === info.size && cache.mtimeMs === info.mtimeMs) return contentOf(cache);
    const bytes = await readFile(this.#file);
    // Hashing the part already parsed costs a small fraction of parsing it again.
    if (cache && cache.end > 0 && cache.ino === info.ino && bytes.length > cache.size && prefixHash(bytes, cache.end) === cache.prefixHash) {
      const body = parseScoreRecords({ bytes: bytes.subarray(cache.end), columns: cache.columns });
      const end = cache.end + body.end;
      this.#cache = {
        ...cache,
        size: bytes.length,
        mtimeMs: info.mtimeMs,
        end,
        prefixHash: body.end === 0 ? cache.prefixHash : prefixHash(bytes, end),
        scores: body.scores.length > 0 ? [...cache.scores, ...body.scores] : cache.scores,
        skipped: cache.skipped + body.skipped,
        tail: body.tail,
      };
      return contentOf(this.#cache);
    }
    const parsed = parseScoresCsv(bytes);
    this.#cache = {
      ino: info.ino,
      size: bytes.length,
      mtimeMs: info.mtimeMs,
      end: parsed.end,
      prefixHash: prefixHash(bytes, parsed.end),
      columns: parsed.columns,
      scores: parsed.scores,
      skipped: parsed.skipped - (parsed.tail ? 1 : 0),
      tail: parsed.tail,
    };
    return contentOf(this.#cache);
  }

  async readScores(): Promise<ScoreRecord[]> {
    return (await this.read()).scores;
  }
}

function contentOf(cache: ReadCache): ScoresCsvContent {
  return { columns: cache.columns, scores: [...cache.scores], skipped: cache.skipped + (cache.tail ? 1 : 0) };
}

/**
 * Parse scores.csv bytes; records that are not whole, well-formed scores are skipped and
 * counted (an incomplete last record too, flagged `tail`). `end` is the byte offset just
 * past the last complete record.
 */
export function parseScoresCsv(bytes: Buffer): ScoresCsvContent & { end: number; tail: boolean } {
  const [header] = scanCsvRecords(bytes, { limit: 1 });
  if (!header || !header.terminated) return { columns: [...SCORE_COLUMNS], scores: [], skipped: 0, end: 0, tail: false };
  const columns = parseFields(bytes.subarray(header.start, header.end));
  const body = parseScoreRecords({ bytes: bytes.subarray(header.end), columns });
  return { columns, scores: body.scores, skipped: body.skipped + (body.tail ? 1 : 0), end: header.end + body.end, tail: body.tail };
}

/** Parse records after the header (complete ones only); `end` is relative to `bytes`. */
function parseScoreRecords(options: { bytes: Buffer; columns: readonly string[] }): { scores: ScoreRecord[]; skipped: number; end: number; tail: boolean } {
  const { bytes, columns } = options;
  const records = scanCsvRecords(bytes);
  const last = records[records.length - 1];
  const tail = last !== undefined && !last.terminated;
  const end = tail ? last.start : bytes.length;
  const table = end === 0 ? [] : (parse(bytes.subarray(0, end), PARSE_OPTIONS) as string[][]);
  const scores: ScoreRecord[] = [];
  let skipped = 0;
  for (const record of table) {
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
  return { scores, skipped, end, tail };
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
