import { constants } from 'node:fs';
import { copyFile, mkdir, open, readFile, stat, truncate, access } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import type { Options as ParseOptions } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { LabError } from '../domain/errors.js';
import { RUN_COLUMNS, SEED_COLUMNS, runToCsvFields } from '../domain/run.js';
import type { RunRecord } from '../domain/run.js';
import { removeStaleTemporaryFiles, writeFileAtomic } from './atomic-file.js';
import { scanCsvRecords } from './csv-records.js';
import type { CsvRecordSpan } from './csv-records.js';
import { withDataLock } from './data-lock.js';
import { GroupCommit } from './group-commit.js';
import { parseCsvBoolean } from './run-row.js';
import type { RunRow } from './run-row.js';

/**
 * `data/runs.csv`: one RFC 4180 row per run, the contract the playbooks rely on
 * (docs/data-files.md). Every record has the header's field count at every instant: rows are
 * appended whole (one write per batch of runs finishing together) under the data lock; a
 * torn last record left by a crash is cut off at start-up; files from the Python Agent Lab
 * are migrated atomically.
 */

/** Opens a file for appending (the seam a test replaces with handles that fail like a full disk). */
export type OpenFile = (file: string, flags: number) => Promise<FileHandle>;

/** What `RunsCsv.init()` found and did. */
export interface RunsCsvInitResult {
  /** True when runs.csv did not exist (or was empty) and a header-only file was written. */
  created: boolean;
  /** Set when a legacy file was migrated: `legacy-15`, `legacy-16` or `legacy-<n>` columns. */
  migratedFrom?: string;
  /** The untouched original, kept when migrating. */
  backupPath?: string;
  /** True when a torn last record was moved out of runs.csv. */
  repairedTornRecord: boolean;
  /** The side file holding the torn fragment, when there was one. */
  tornPath?: string;
  /** Legacy rows whose field count did not match their header, kept aside when migrating. */
  damagedRowsPath?: string;
  /** Temporary files left by writers killed mid-write, removed (set only when there were some). */
  removedTemporaryFiles?: string[];
}

/** A whole read of runs.csv. */
export interface RunsCsvContent {
  /** The file's header (RUN_COLUMNS, possibly followed by extra columns). */
  columns: string[];
  rows: RunRow[];
  /** Records skipped because their field count differs from the header's (or they are incomplete). */
  skipped: number;
}

/** Both line endings, explicitly: csv-parse would otherwise keep whichever it met first. */
const PARSE_OPTIONS: ParseOptions = {
  bom: true,
  relax_column_count: true,
  relax_quotes: true,
  record_delimiter: ['\r\n', '\n'],
  skip_empty_lines: false,
};

const BOOLEAN_COLUMNS = new Set<string>(['streaming', 'tool_web_enabled', 'aborted']);
const LEGACY_15 = SEED_COLUMNS.filter((column) => column !== 'aborted');
const HEADER_LINE = csvLine([...RUN_COLUMNS]);
/** The header is read in chunks of this size, up to HEADER_MAX_BYTES. */
const HEADER_CHUNK_BYTES = 4096;
const HEADER_MAX_BYTES = 1 << 20;

/** The runs.csv of one data directory. */
export class RunsCsv {
  readonly dataDir: string;
  readonly #file: string;
  #cache: { key: string; content: RunsCsvContent } | undefined;
  readonly #appends: GroupCommit<Map<string, string>, void>;

  readonly #openFile: OpenFile;

  /**
   * `openFile` is the file-system seam for appends (default: `fs.promises.open`); tests pass
   * one whose handles fail like a full disk does.
   */
  constructor(options: { dataDir: string; openFile?: OpenFile }) {
    this.dataDir = path.resolve(options.dataDir);
    this.#file = path.join(this.dataDir, 'runs.csv');
    this.#openFile = options.openFile ?? open;
    this.#appends = new GroupCommit(this.dataDir, (rows) => this.#writeRows(rows));
  }

  /** Absolute path of runs.csv. */
  get path(): string {
    return this.#file;
  }

  /**
   * Prepare the data directory at start-up: create `data/`, `data/sessions/` and a
   * header-only runs.csv when missing; repair a torn last record; migrate a Python Agent
   * Lab file. Rejects with LabError `unavailable:store` when the header is not one the lab
   * knows (the file is then left untouched).
   */
  async init(): Promise<RunsCsvInitResult> {
    const sessions = path.join(this.dataDir, 'sessions');
    await mkdir(sessions, { recursive: true });
    return withDataLock(this.dataDir, async () => {
      const result = await this.#initLocked();
      const removed = [
        ...(await removeStaleTemporaryFiles(this.dataDir)),
        ...(await removeStaleTemporaryFiles(sessions)).map((name) => path.join('sessions', name)),
      ];
      return removed.length > 0 ? { ...result, removedTemporaryFiles: removed } : result;
    });
  }

  async #initLocked(): Promise<RunsCsvInitResult> {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.#file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      await writeFileAtomic(this.#file, HEADER_LINE);
      return { created: true, repairedTornRecord: false };
    }
    if (bytes.length === 0) {
      await writeFileAtomic(this.#file, HEADER_LINE);
      return { created: true, repairedTornRecord: false };
    }

    const records = scanCsvRecords(bytes);
    const headerSpan = records[0] as CsvRecordSpan;
    const columns = parseFields(bytes.subarray(headerSpan.start, headerSpan.end));
    const kind = classifyHeader(columns);
    if (kind === 'unknown') {
      throw new LabError(
        'unavailable:store',
        `${this.#file} has a header the lab does not recognise (${columns.slice(0, 5).join(',')}...); it was left as it is. ` +
          'Run `npx --no-install agent-lab check`, or move it aside to start a new one.',
      );
    }

    const result: RunsCsvInitResult = { created: false, repairedTornRecord: false };
    let completeEnd = bytes.length;
    const last = records[records.length - 1] as CsvRecordSpan;
    if (kind === 'current' && records.length === 1 && !headerSpan.terminated && !headerSpan.openQuote) {
      // A header without its line ending: complete it rather than call it torn.
      await this.#appendRaw('\n');
    } else if (records.length > 1 && (!last.terminated || last.fields !== columns.length)) {
      const stamp = fileTimestamp();
      const tornPath = await uniquePath(`${this.#file}.torn-${stamp}`);
      await writeFileAtomic(tornPath, bytes.subarray(last.start));
      completeEnd = last.start;
      if (kind === 'current') {
        // Cut the fragment off in place; the side file already holds it, so a crash here
        // only means the same fragment is saved again at the next start.
        await truncate(this.#file, completeEnd);
        await this.#fsyncFile();
      }
      result.repairedTornRecord = true;
      result.tornPath = tornPath;
    }

    if (kind === 'legacy') {
      Object.assign(result, await this.#migrate(bytes, records, columns, completeEnd));
    }
    this.#cache = undefined;
    return result;
  }

  async #migrate(
    bytes: Buffer,
    records: CsvRecordSpan[],
    columns: string[],
    completeEnd: number,
  ): Promise<Pick<RunsCsvInitResult, 'migratedFrom' | 'backupPath' | 'damagedRowsPath'>> {
    const stamp = fileTimestamp();
    const backupPath = await uniquePath(`${this.#file}.bak-${stamp}`);
    await copyFile(this.#file, backupPath, constants.COPYFILE_EXCL);
    await fsyncPath(backupPath);

    const migrated: string[][] = [[...RUN_COLUMNS]];
    const damaged: Buffer[] = [];
    for (const span of records.slice(1)) {
      if (span.end > completeEnd) break;
      const slice = bytes.subarray(span.start, span.end);
      if (span.fields !== columns.length) {
        damaged.push(slice);
        continue;
      }
      const values = parseFields(slice);
      const byName = new Map(columns.map((column, index) => [column, values[index] ?? '']));
      migrated.push(
        RUN_COLUMNS.map((column) => {
          const value = byName.get(column);
          if (value === undefined) return column === 'aborted' ? 'false' : '';
          if (!BOOLEAN_COLUMNS.has(column)) return value;
          const flag = parseCsvBoolean(value);
          return flag === undefined ? value : String(flag);
        }),
      );
    }
    let damagedRowsPath: string | undefined;
    if (damaged.length > 0) {
      damagedRowsPath = await uniquePath(`${this.#file}.damaged-${stamp}`);
      await writeFileAtomic(damagedRowsPath, Buffer.concat([bytes.subarray(0, records[0]?.end ?? 0), ...damaged]));
    }
    await writeFileAtomic(this.#file, stringify(migrated));
    const migratedFrom =
      columns.length === LEGACY_15.length && sameColumns(columns, LEGACY_15)
        ? 'legacy-15'
        : columns.length === SEED_COLUMNS.length && sameColumns(columns, SEED_COLUMNS)
          ? 'legacy-16'
          : `legacy-${columns.length}`;
    return damagedRowsPath ? { migratedFrom, backupPath, damagedRowsPath } : { migratedFrom, backupPath };
  }

  /**
   * Append one run as one whole row, durably (fsync before resolving). Runs that finish
   * while an append is in flight are written together by the next one (group commit: one
   * lock acquisition, one write, one fsync for the batch); each promise still resolves only
   * once its own row is fsynced. The file is opened by path for each batch, so a runs.csv
   * replaced by a tool is noticed and appended to; a missing one is recreated with the
   * header. Rows follow the header already in the file, matching columns by name.
   */
  async append(run: RunRecord): Promise<void> {
    const values = runToCsvFields(run);
    await this.#appends.submit(new Map<string, string>(RUN_COLUMNS.map((column, index) => [column, values[index] ?? ''])));
  }

  /** Write a batch of rows with one write and one fsync; all or none (a failed write is cut back). */
  async #writeRows(rows: Array<Map<string, string>>): Promise<Array<PromiseSettledResult<void>>> {
    const handle = await this.#openForAppend();
    try {
      const { size } = await handle.stat();
      let columns: readonly string[];
      let prefix: string;
      if (size === 0) {
        columns = RUN_COLUMNS;
        prefix = HEADER_LINE;
      } else {
        columns = await readHeader(handle, size, this.#file);
        if (!columns.some((column) => (rows[0] as Map<string, string>).has(column))) {
          throw new LabError(
            'unavailable:store',
            `Could not record the run: ${this.#file} has a header the lab does not recognise. Run \`npx --no-install agent-lab check\`.`,
          );
        }
        // A file a tool left without its final line ending must not swallow our row.
        const lastByte = Buffer.alloc(1);
        await handle.read(lastByte, 0, 1, size - 1);
        prefix = lastByte[0] === 0x0a ? '' : '\n';
      }
      const text = prefix + rows.map((fields) => csvLine(columns.map((column) => fields.get(column) ?? ''))).join('');
      await appendDurably({ handle, bytes: Buffer.from(text, 'utf8'), sizeBefore: size, file: this.#file });
    } finally {
      await handle.close();
    }
    return rows.map(() => ({ status: 'fulfilled', value: undefined }));
  }

  /** Every row whose field count matches the header, keyed by the header's columns. */
  async readAll(): Promise<RunRow[]> {
    return (await this.read()).rows;
  }

  /**
   * Read the whole file without taking the lock (rows are appended whole and the file is
   * replaced atomically). An incomplete last record (a write in flight, or torn) and
   * records with the wrong field count are skipped and counted, never thrown.
   */
  async read(): Promise<RunsCsvContent> {
    let info;
    try {
      info = await stat(this.#file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { columns: [...RUN_COLUMNS], rows: [], skipped: 0 };
      throw error;
    }
    const key = `${info.ino}:${info.size}:${info.mtimeMs}`;
    if (this.#cache?.key === key) return { ...this.#cache.content, rows: [...this.#cache.content.rows] };

    const bytes = await readFile(this.#file);
    const records = scanCsvRecords(bytes);
    let end = bytes.length;
    let skipped = 0;
    const last = records[records.length - 1];
    if (last && records.length > 1 && !last.terminated) {
      end = last.start;
      skipped += 1;
    }
    const table = end === 0 ? [] : (parse(bytes.subarray(0, end), PARSE_OPTIONS) as string[][]);
    const columns = table[0] ?? [...RUN_COLUMNS];
    const rows: RunRow[] = [];
    for (const record of table.slice(1)) {
      if (record.length !== columns.length) {
        skipped += 1;
        continue;
      }
      const row: RunRow = {};
      columns.forEach((column, index) => {
        row[column] = record[index] ?? '';
      });
      rows.push(row);
    }
    const content = { columns, rows, skipped };
    this.#cache = { key, content };
    return { ...content, rows: [...rows] };
  }

  async #openForAppend(): Promise<FileHandle> {
    const flags = constants.O_RDWR | constants.O_APPEND;
    try {
      return await this.#openFile(this.#file, flags);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    // Gone (deleted or moved by hand): recreate it with its header, atomically, so no
    // reader ever sees a file without one.
    await mkdir(this.dataDir, { recursive: true });
    await writeFileAtomic(this.#file, HEADER_LINE);
    return this.#openFile(this.#file, flags);
  }

  async #appendRaw(text: string): Promise<void> {
    const handle = await open(this.#file, constants.O_WRONLY | constants.O_APPEND);
    try {
      const { size } = await handle.stat();
      await writeWhole(handle, Buffer.from(text, 'utf8'), size);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  async #fsyncFile(): Promise<void> {
    await fsyncPath(this.#file);
  }
}

/** One CSV record with RFC 4180 quoting and a LF line ending. */
function csvLine(fields: readonly string[]): string {
  return stringify([fields]);
}

function parseFields(bytes: Uint8Array): string[] {
  const table = parse(Buffer.from(bytes), PARSE_OPTIONS) as string[][];
  return table[0] ?? [];
}

function sameColumns(columns: readonly string[], expected: readonly string[]): boolean {
  return columns.length === expected.length && expected.every((column, index) => columns[index] === column);
}

/**
 * `current`: RUN_COLUMNS in order, perhaps followed by extra columns (kept as they are).
 * `legacy`: distinct known columns only, but not the full set (a Python Agent Lab file):
 * migrated. Anything else is `unknown`.
 */
function classifyHeader(columns: readonly string[]): 'current' | 'legacy' | 'unknown' {
  if (RUN_COLUMNS.every((column, index) => columns[index] === column)) return 'current';
  const known = new Set<string>(RUN_COLUMNS);
  const distinct = new Set(columns);
  const seedPresent = LEGACY_15.every((column) => distinct.has(column));
  if (distinct.size === columns.length && columns.every((column) => known.has(column)) && seedPresent) return 'legacy';
  return 'unknown';
}

/**
 * Write all of `bytes` and fsync. When the write or the fsync fails (a full disk, an I/O
 * error), the file is cut back to `sizeBefore` under the caller's lock and that is fsynced,
 * so a run answered "not recorded, retry" is not in the file and a retry cannot duplicate
 * it. If even that fails, the error says the rows may be there and is not retryable.
 */
async function appendDurably(options: { handle: FileHandle; bytes: Buffer; sizeBefore: number; file: string }): Promise<void> {
  const { handle, bytes, sizeBefore, file } = options;
  try {
    await writeWhole(handle, bytes, sizeBefore);
    await handle.sync();
  } catch (error) {
    try {
      await handle.truncate(sizeBefore);
      await handle.sync();
    } catch (rollbackError) {
      throw new LabError(
        'unavailable:store',
        `Could not record the run (${(error as Error).message}), nor take back what reached ${file} (${(rollbackError as Error).message}): ` +
          'the run may be in runs.csv; check with `npx --no-install agent-lab check` before running it again.',
        { cause: error, retryable: false },
      );
    }
    throw error;
  }
}

/** Write all of `bytes`; on failure cut the file back to `sizeBefore` so no partial row stays. */
async function writeWhole(handle: FileHandle, bytes: Buffer, sizeBefore: number): Promise<void> {
  let offset = 0;
  try {
    while (offset < bytes.length) {
      const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset);
      offset += bytesWritten;
    }
  } catch (error) {
    if (offset > 0) await handle.truncate(sizeBefore);
    throw error;
  }
}

/** The file's header, read from its start in chunks until the first record ends. */
async function readHeader(handle: FileHandle, size: number, file: string): Promise<string[]> {
  let length = Math.min(size, HEADER_CHUNK_BYTES);
  for (;;) {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, 0);
    const [first] = scanCsvRecords(buffer.subarray(0, bytesRead), { limit: 1 });
    if (first && (first.terminated || bytesRead >= size)) return parseFields(buffer.subarray(first.start, first.end));
    if (length >= HEADER_MAX_BYTES || length >= size) {
      throw new LabError('unavailable:store', `Could not record the run: the header of ${file} is not readable.`);
    }
    length = Math.min(size, length * 4, HEADER_MAX_BYTES);
  }
}

async function fsyncPath(file: string): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** `base`, or `base.1`, `base.2`... if taken (side files are never overwritten). */
async function uniquePath(base: string): Promise<string> {
  for (let attempt = 0; ; attempt += 1) {
    const candidate = attempt === 0 ? base : `${base}.${attempt}`;
    try {
      await access(candidate);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return candidate;
      throw error;
    }
  }
}

/** UTC `YYYYMMDDTHHMMSSZ`, for side-file names. */
export function fileTimestamp(date = new Date()): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

