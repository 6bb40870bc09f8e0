import { constants } from 'node:fs';
import { access, mkdir, open, readFile, stat, truncate } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { LabError } from '../domain/errors.js';
import { fsyncPath, writeFileAtomic } from './atomic-file.js';
import { decodeCsvRecords, encodeCsvRecord, encodeCsvRecords, type CsvRecord } from './csv-codec.js';
import { withDataLock } from './data-lock.js';
import { GroupCommit } from './group-commit.js';

/**
 * A crash-safe, append-only CSV file under the data lock: the machinery of runs.csv, generic
 * over the file (its columns and its row schema) so other files (data/scores.csv) share it.
 *
 * - Every record has the header's field count at every instant: rows are appended whole,
 *   one write and one fsync per batch of rows submitted together (group commit).
 * - A write or fsync that fails is taken back (truncated to the size before it, fsynced),
 *   so a row reported as not written is not in the file; if even that fails, the error is
 *   not retryable and says the row may be there.
 * - A torn last record (a crash mid-append) is cut off at start-up (`repairTornRecord`) and
 *   kept in a `.torn-<timestamp>` side file.
 * - Rows follow the header already in the file, matching columns by name, so a file with
 *   extra columns (a tool added them) keeps working; a file replaced by a tool is noticed
 *   and appended to; a missing one is recreated with the header.
 */

/** Opens a file for appending: the seam a test replaces with handles that fail like a full disk. */
export type OpenFile = (file: string, flags: number) => Promise<FileHandle>;

/** A whole read of the file. */
export interface CsvFileContent<Row> {
  /** The file's header. */
  columns: string[];
  /** Each record whose field count matches the header, keyed by the header's columns. */
  rows: Array<Record<string, string>>;
  /** The same rows through the row schema. */
  records: Row[];
  /** Records skipped because their field count differs from the header's (or they are incomplete). */
  skipped: number;
}

export interface AppendOnlyCsvOptions<Row> {
  /** The data directory: the lock's scope. */
  dataDir: string;
  /** The file's name inside `dataDir` (e.g. `runs.csv`). */
  fileName: string;
  /** The header of a new file, in order. */
  columns: readonly string[];
  /** The row schema: a record keyed by column → a row (tolerant: rows may come from older files). */
  parseRow: (row: Record<string, string>) => Row;
  /** File-system seam for appends (default: `fs.promises.open`). */
  openFile?: OpenFile;
}

/** What `read()` keeps between calls. */
interface ReadCache<Row> {
  key: string;
  ino: number;
  columns: string[];
  rows: Array<Record<string, string>>;
  records: Row[];
  /** Whole records skipped for their field count. */
  skippedComplete: number;
  /** True when the file ended with an incomplete record (not in completeEnd). */
  partial: boolean;
  /** Byte offset just past the last whole record read. */
  completeEnd: number;
  /** The bytes just before completeEnd (up to TAIL_CHECK_BYTES). */
  tail: Buffer;
}

/** How many bytes before the appended ones must match for an incremental read. */
const TAIL_CHECK_BYTES = 256;

/** The header is read in chunks of this size, up to HEADER_MAX_BYTES. */
const HEADER_CHUNK_BYTES = 4096;
const HEADER_MAX_BYTES = 1 << 20;

export class AppendOnlyCsv<Row> {
  readonly dataDir: string;
  readonly path: string;
  readonly columns: readonly string[];
  readonly headerLine: string;
  readonly #parseRow: (row: Record<string, string>) => Row;
  readonly #openFile: OpenFile;
  readonly #appends: GroupCommit<Map<string, string>, void>;
  #cache: ReadCache<Row> | undefined;

  constructor(options: AppendOnlyCsvOptions<Row>) {
    this.dataDir = path.resolve(options.dataDir);
    this.path = path.join(this.dataDir, options.fileName);
    this.columns = [...options.columns];
    this.headerLine = encodeCsvRecord(this.columns);
    this.#parseRow = options.parseRow;
    this.#openFile = options.openFile ?? open;
    this.#appends = new GroupCommit(this.dataDir, (rows) => this.#writeRows(rows));
  }

  /**
   * Append one row (values by column name) whole and durably: resolves once it is fsynced.
   * Rows submitted while a write is in flight are written together by the next one.
   */
  async append(values: ReadonlyMap<string, string> | Record<string, string>): Promise<void> {
    const row = values instanceof Map ? new Map(values) : new Map(Object.entries(values));
    await this.#appends.submit(row);
  }

  /** Forget the cached read (after the file was changed other than by `append`). */
  invalidate(): void {
    this.#cache = undefined;
  }

  /**
   * Read the whole file without taking the lock (rows are appended whole, the file is
   * replaced atomically). An incomplete last record (a write in flight, or torn) and records
   * with the wrong field count are skipped and counted, never thrown. Cached until the file
   * changes; when it only grew (rows appended), only the new bytes are decoded (a tool that
   * rewrites the file in place, same inode, keeping its last 256 bytes, is not noticed: tools
   * replace it by rename, as rebuild-csv does).
   */
  async read(): Promise<CsvFileContent<Row>> {
    let info;
    try {
      info = await stat(this.path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { columns: [...this.columns], rows: [], records: [], skipped: 0 };
      throw error;
    }
    const key = `${info.ino}:${info.size}:${info.mtimeMs}`;
    if (this.#cache?.key !== key) {
      const previous = this.#cache;
      this.#cache =
        (previous && previous.ino === info.ino && info.size > previous.completeEnd ? await this.#readGrowth(previous, { key, size: info.size }) : undefined) ??
        this.#decodeWhole(await readFile(this.path), { key, ino: info.ino });
    }
    const { columns, rows, records, skippedComplete, partial } = this.#cache;
    return { columns, rows: [...rows], records: [...records], skipped: skippedComplete + (partial ? 1 : 0) };
  }

  #decodeWhole(bytes: Buffer, identity: { key: string; ino: number }): ReadCache<Row> {
    const decoded = decodeCsvRecords(bytes);
    const columns = decoded[0]?.fields ?? [...this.columns];
    const cache: ReadCache<Row> = { ...identity, columns, rows: [], records: [], skippedComplete: 0, partial: false, completeEnd: decoded[0]?.end ?? 0, tail: Buffer.alloc(0) };
    this.#addRecords(cache, decoded.slice(1), bytes);
    return cache;
  }

  /**
   * The cached content plus the records appended since, or undefined when the file changed
   * otherwise (the bytes just before the new ones differ from what was read: a rewrite in place).
   */
  async #readGrowth(previous: ReadCache<Row>, next: { key: string; size: number }): Promise<ReadCache<Row> | undefined> {
    const from = previous.completeEnd - previous.tail.length;
    const handle = await open(this.path, 'r');
    let bytes: Buffer;
    try {
      bytes = Buffer.alloc(next.size - from);
      const { bytesRead } = await handle.read(bytes, 0, bytes.length, from);
      bytes = bytes.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
    if (!bytes.subarray(0, previous.tail.length).equals(previous.tail)) return undefined;
    const cache: ReadCache<Row> = { ...previous, key: next.key, rows: [...previous.rows], records: [...previous.records], partial: false };
    const appended = bytes.subarray(previous.tail.length);
    this.#addRecords(cache, decodeCsvRecords(appended), appended, previous.completeEnd);
    const end = cache.completeEnd - from;
    cache.tail = Buffer.from(bytes.subarray(Math.max(0, end - TAIL_CHECK_BYTES), end));
    return cache;
  }

  /** Add decoded data records to the cache; `offset` is where `bytes` starts in the file. */
  #addRecords(cache: ReadCache<Row>, decoded: CsvRecord[], bytes: Buffer, offset = 0): void {
    for (const record of decoded) {
      if (!record.terminated) {
        cache.partial = true; // a write in flight, or torn: read again next time
        break;
      }
      cache.completeEnd = offset + record.end;
      if (record.fields.length !== cache.columns.length) {
        cache.skippedComplete += 1;
        continue;
      }
      const row: Record<string, string> = {};
      cache.columns.forEach((column, index) => {
        row[column] = record.fields[index] ?? '';
      });
      cache.rows.push(row);
      cache.records.push(this.#parseRow(row));
    }
    // The last bytes read, to tell an append from a rewrite in place next time.
    const end = cache.completeEnd - offset;
    if (end > 0) cache.tail = Buffer.from(bytes.subarray(Math.max(0, end - TAIL_CHECK_BYTES), end));
  }

  /**
   * Start-up for a file with no legacy forms (RunsCsv has its own, with migration): under the
   * data lock, create a header-only file when it is missing or empty, else cut a torn last
   * record off. Rejects with `unavailable:store`, leaving the file alone, when its header
   * lacks one of the columns.
   */
  async init(): Promise<{ created: boolean; tornPath?: string }> {
    return withDataLock(this.dataDir, async () => {
      const bytes = await this.readBytes();
      if (bytes.length === 0) {
        await this.writeHeaderOnly();
        return { created: true };
      }
      const records = decodeCsvRecords(bytes);
      const header = records[0]?.fields ?? [];
      const missing = this.columns.filter((column) => !header.includes(column));
      if (missing.length > 0) {
        throw new LabError('unavailable:store', `${this.path} lacks the columns ${missing.join(', ')}; it was left as it is. Move it aside to start a new one.`);
      }
      const repair = await this.repairTornRecord({ bytes, records, fieldCount: header.length, cut: true, stamp: fileStamp() });
      return repair.tornPath ? { created: false, tornPath: repair.tornPath } : { created: false };
    });
  }

  /** The file's bytes; empty when it does not exist. */
  async readBytes(): Promise<Buffer> {
    try {
      return await readFile(this.path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      return Buffer.alloc(0);
    }
  }

  /** Create a header-only file, atomically (no reader ever sees a file without its header). */
  async writeHeaderOnly(): Promise<void> {
    await mkdir(this.dataDir, { recursive: true });
    await writeFileAtomic(this.path, this.headerLine);
    this.#cache = undefined;
  }

  /**
   * At start-up, under the lock: when the last record of `bytes` (the file's content,
   * decoded as `records`) is torn (no line ending, or not the header's field count), keep
   * it in `<file>.torn-<stamp>` and, with `cut`, cut it off the file. Returns the side file,
   * and where the whole records end. A header alone without its line ending is completed.
   */
  async repairTornRecord(options: { bytes: Buffer; records: CsvRecord[]; fieldCount: number; cut: boolean; stamp: string }): Promise<{ tornPath?: string; completeEnd: number }> {
    const { bytes, records, fieldCount } = options;
    const header = records[0];
    const last = records[records.length - 1];
    if (!header || !last) return { completeEnd: bytes.length };
    if (records.length === 1) {
      if (!header.terminated && !header.openQuote && options.cut) await this.#appendRaw('\n');
      return { completeEnd: bytes.length };
    }
    if (last.terminated && last.fields.length === fieldCount) return { completeEnd: bytes.length };
    const tornPath = await this.moveTailAside({ start: last.start, fragment: bytes.subarray(last.start), cut: options.cut, stamp: options.stamp });
    return { tornPath, completeEnd: last.start };
  }

  /**
   * Keep `fragment` (the file's bytes from `start` to its end: a torn record) in
   * `<file>.torn-<stamp>` and, with `cut`, cut the file at `start`. Returns the side file.
   */
  async moveTailAside(options: { start: number; fragment: Buffer; cut: boolean; stamp: string }): Promise<string> {
    const tornPath = await uniquePath(`${this.path}.torn-${options.stamp}`);
    await writeFileAtomic(tornPath, options.fragment);
    if (options.cut) {
      // The side file already holds the fragment, so a crash here only means the same
      // fragment is saved again at the next start.
      await truncate(this.path, options.start);
      await fsyncPath(this.path);
    }
    this.#cache = undefined;
    return tornPath;
  }

  /** Write a batch of rows with one write and one fsync; all or none. */
  async #writeRows(rows: Array<Map<string, string>>): Promise<Array<PromiseSettledResult<void>>> {
    const handle = await this.#openForAppend();
    try {
      const { size } = await handle.stat();
      let columns: readonly string[];
      let prefix: string;
      if (size === 0) {
        columns = this.columns;
        prefix = this.headerLine;
      } else {
        columns = await readHeader(handle, size, this.path);
        if (!columns.some((column) => (rows[0] as Map<string, string>).has(column))) {
          throw new LabError(
            'unavailable:store',
            `Could not record the row: ${this.path} has a header the lab does not recognise. Run \`npx --no-install agent-lab check\`.`,
          );
        }
        // A file a tool left without its final line ending must not swallow our row.
        const lastByte = Buffer.alloc(1);
        await handle.read(lastByte, 0, 1, size - 1);
        prefix = lastByte[0] === 0x0a ? '' : '\n';
      }
      const text = prefix + encodeCsvRecords(rows.map((fields) => columns.map((column) => fields.get(column) ?? '')));
      await appendDurably({ handle, bytes: Buffer.from(text, 'utf8'), sizeBefore: size, file: this.path });
    } finally {
      await handle.close();
    }
    return rows.map(() => ({ status: 'fulfilled', value: undefined }));
  }

  async #openForAppend(): Promise<FileHandle> {
    const flags = constants.O_RDWR | constants.O_APPEND;
    try {
      return await this.#openFile(this.path, flags);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    // Gone (deleted or moved by hand): recreate it with its header.
    await this.writeHeaderOnly();
    return this.#openFile(this.path, flags);
  }

  async #appendRaw(text: string): Promise<void> {
    const handle = await open(this.path, constants.O_WRONLY | constants.O_APPEND);
    try {
      const { size } = await handle.stat();
      await appendDurably({ handle, bytes: Buffer.from(text, 'utf8'), sizeBefore: size, file: this.path });
    } finally {
      await handle.close();
    }
  }
}

/**
 * Write all of `bytes` and fsync. When the write or the fsync fails (a full disk, an I/O
 * error), the file is cut back to `sizeBefore` under the caller's lock and that is fsynced,
 * so a row answered "not recorded, retry" is not in the file and a retry cannot duplicate
 * it. If even that fails, the error says the rows may be there and is not retryable.
 */
async function appendDurably(options: { handle: FileHandle; bytes: Buffer; sizeBefore: number; file: string }): Promise<void> {
  const { handle, bytes, sizeBefore, file } = options;
  try {
    let offset = 0;
    while (offset < bytes.length) {
      const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset);
      offset += bytesWritten;
    }
    await handle.sync();
  } catch (error) {
    try {
      await handle.truncate(sizeBefore);
      await handle.sync();
    } catch (rollbackError) {
      throw new LabError(
        'unavailable:store',
        `Could not record the run (${(error as Error).message}), nor take back what reached ${file} (${(rollbackError as Error).message}): ` +
          'the run may be in the file; check with `npx --no-install agent-lab check` before running it again.',
        { cause: error, retryable: false },
      );
    }
    throw error;
  }
}

/** The file's header, read from its start in chunks until the first record ends. */
async function readHeader(handle: FileHandle, size: number, file: string): Promise<string[]> {
  let length = Math.min(size, HEADER_CHUNK_BYTES);
  for (;;) {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, 0);
    const [first] = decodeCsvRecords(buffer.subarray(0, bytesRead), { limit: 1 });
    if (first && (first.terminated || bytesRead >= size)) return first.fields;
    if (length >= HEADER_MAX_BYTES || length >= size) {
      throw new LabError('unavailable:store', `Could not record the row: the header of ${file} is not readable.`);
    }
    length = Math.min(size, length * 4, HEADER_MAX_BYTES);
  }
}

/** A file's first record (its header), read alone; undefined for a missing or empty file. */
export async function readFirstRecord(file: string): Promise<{ fields: string[]; terminated: boolean; fileSize: number } | undefined> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  if (size === 0) return undefined;
  const handle = await open(file, 'r');
  try {
    for (let length = Math.min(size, HEADER_CHUNK_BYTES * 16); ; length = Math.min(size, length * 4)) {
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, 0);
      const [first] = decodeCsvRecords(buffer.subarray(0, bytesRead), { limit: 1 });
      if (first && (first.terminated || bytesRead >= size)) return { fields: first.fields, terminated: first.terminated, fileSize: size };
      if (length >= size) return { fields: first?.fields ?? [], terminated: false, fileSize: size };
    }
  } finally {
    await handle.close();
  }
}

/** Keep the torn tail of `file` from `start` aside and cut it off (AppendOnlyCsv.moveTailAside), reading the fragment first. */
export async function readTail(file: string, options: { start: number; end: number }): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const fragment = Buffer.alloc(options.end - options.start);
    let done = 0;
    while (done < fragment.length) {
      const { bytesRead } = await handle.read(fragment, done, fragment.length - done, options.start + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return fragment.subarray(0, done);
  } finally {
    await handle.close();
  }
}

/** `base`, or `base.1`, `base.2`... if taken (side files are never overwritten). */
export async function uniquePath(base: string): Promise<string> {
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
export function fileStamp(date = new Date()): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}
