import { SCORE_COLUMNS, parseScoreRow, scoreToCsvFields, type ScoreRecord } from '../domain/score.js';
import { applyScoreFilter, type ScoreFilter, type ScoreHistory } from '../domain/history.js';
import { LabError } from '../domain/errors.js';
import { AppendOnlyCsv, fileStamp, readFirstRecord, readTail, type OpenFile } from './append-only-csv.js';
import { decodeCsvRecords } from './csv-codec.js';
import { withDataLock } from './data-lock.js';
import { IndexedCsv } from './indexed-csv.js';
import { ScoreIndex } from './score-index.js';

/**
 * `data/scores.csv`: one RFC 4180 row per verdict (docs/data-files.md), append-only and
 * crash-safe exactly like runs.csv because it is the same machinery (AppendOnlyCsv): rows
 * appended whole under the data lock, verdicts arriving together share one write and one
 * fsync (group commit), a failed write is taken back, a torn last record left by a crash is
 * moved to a side file at start-up, a header-only file is created at start, and a read after
 * an append decodes only the new bytes. Queries (`findScores`) go through a score index
 * (score-index.ts) and read back only the scores they return; start-up scans the file once
 * to build it instead of decoding it whole.
 */

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

/** The scores.csv of one data directory: the files engine's ScoreHistory. */
export class ScoresCsv implements ScoreHistory {
  readonly #file: AppendOnlyCsv<ScoreRecord | undefined>;
  readonly #indexed: IndexedCsv<ScoreIndex, ScoreRecord | undefined>;

  constructor(options: { dataDir: string; openFile?: OpenFile }) {
    this.#file = new AppendOnlyCsv({
      dataDir: options.dataDir,
      fileName: 'scores.csv',
      columns: SCORE_COLUMNS,
      parseRow: parseScoreRow,
      ...(options.openFile ? { openFile: options.openFile } : {}),
    });
    this.#indexed = new IndexedCsv({
      path: this.#file.path,
      createIndex: (index) => new ScoreIndex(index),
      parseRow: parseScoreRow,
      defaultColumns: SCORE_COLUMNS,
      averageRowBytes: 200,
    });
  }

  get dataDir(): string {
    return this.#file.dataDir;
  }

  get path(): string {
    return this.#file.path;
  }

  /**
   * Start-up: create a header-only scores.csv when missing or empty, cut off a torn last
   * record (saved beside it as `scores.csv.torn-<time>`). A header without the score columns
   * is `unavailable:store` and the file is left as it is.
   */
  async init(): Promise<ScoresCsvInitResult> {
    const header = await readFirstRecord(this.path);
    // Missing, empty, or a header without its line ending: small, AppendOnlyCsv's whole-file start.
    if (!header?.terminated) return this.#initWholeFile();
    return withDataLock(this.dataDir, async () => {
      const missing = SCORE_COLUMNS.filter((column) => !header.fields.includes(column));
      if (missing.length > 0) {
        throw new LabError('unavailable:store', `${this.path} lacks the columns ${missing.join(', ')}; it was left as it is. Move it aside to start a new one.`);
      }
      const opened = await this.#indexed.open();
      if (opened.tornFrom === undefined) return { created: false, repairedTornRecord: false };
      const fragment = await readTail(this.path, { start: opened.tornFrom, end: opened.size });
      const tornPath = await this.#file.moveTailAside({ start: opened.tornFrom, fragment, cut: true, stamp: fileStamp() });
      return { created: false, repairedTornRecord: true, tornPath };
    });
  }

  async #initWholeFile(): Promise<ScoresCsvInitResult> {
    const result = await this.#file.init();
    return result.tornPath
      ? { created: result.created, repairedTornRecord: true, tornPath: result.tornPath }
      : { created: result.created, repairedTornRecord: false };
  }

  /** Append scores as whole rows, durably (resolves after fsync); scores appended together share one write. */
  async append(scores: ScoreRecord[]): Promise<void> {
    await Promise.all(
      scores.map((score) => {
        const fields = scoreToCsvFields(score);
        return this.#file.append(Object.fromEntries(SCORE_COLUMNS.map((column, index) => [column, fields[index] ?? ''])));
      }),
    );
  }

  /** Every readable score, without the lock (see AppendOnlyCsv.read); rows that are not scores are skipped and counted. */
  async read(): Promise<ScoresCsvContent> {
    const content = await this.#file.read();
    const scores = content.records.filter((score): score is ScoreRecord => score !== undefined);
    return { columns: content.columns, scores, skipped: content.skipped + (content.records.length - scores.length) };
  }

  async findScores(filter: ScoreFilter): Promise<ScoreRecord[]> {
    return this.#indexed.query([], async (synced) => {
      const { rows, exact } = synced.index.match(filter);
      const scores = (await this.#indexed.readRows(synced, rows)).filter((score): score is ScoreRecord => score !== undefined);
      // Rows found by a run_id hash: keep the exact ones, then the last N.
      return exact ? scores : applyScoreFilter(scores, { run_ids: filter.run_ids, limit: filter.limit });
    });
  }

  async readScores(): Promise<ScoreRecord[]> {
    return (await this.read()).scores;
  }
}

/** Parse scores.csv bytes in one go (the benchmark's and tools' whole-file read). */
export function parseScoresCsv(bytes: Buffer): ScoresCsvContent {
  const [header, ...body] = decodeCsvRecords(bytes);
  const columns = header?.fields ?? [...SCORE_COLUMNS];
  const scores: ScoreRecord[] = [];
  let skipped = 0;
  for (const record of body) {
    if (!record.terminated || record.fields.length !== columns.length) {
      skipped += 1;
      continue;
    }
    const score = parseScoreRow(Object.fromEntries(columns.map((column, index) => [column, record.fields[index] ?? ''])));
    if (score) scores.push(score);
    else skipped += 1;
  }
  return { columns, scores, skipped };
}
