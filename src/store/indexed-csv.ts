import { createHash, type Hash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { decodeCsvRecords } from './csv-codec.js';
import { scanCsvRecords, type ScannedRecord } from './csv-scan.js';

/**
 * An append-only CSV file (runs.csv, scores.csv) queried through an in-memory index derived
 * from it, kept in step with the file: before each query a `stat` tells whether rows were
 * appended (only the new bytes are scanned) or the file was replaced or rewritten (a restore,
 * `rebuild-csv`, a hand edit: the index is rebuilt, so no stale row is served). Answers are
 * read back from the file by byte offset and parsed with the file's row schema, so they are
 * exactly what a whole-file read gives.
 */

/** What an index over a CSV file offers this machinery. */
export interface CsvRowIndex {
  readonly columns: string[];
  readonly rowCount: number;
  /** Add one record of the file (an index skips records it cannot use). */
  add(record: ScannedRecord): void;
  /** The byte range of an indexed row. */
  range(row: number): { start: number; end: number };
  /** Make room for about this many rows at once (called once the first chunk tells the rows' size). */
  reserve?(rows: number): void;
}

/** The index and what it covers of which file. */
export interface SyncedIndex<Index extends CsvRowIndex> {
  index: Index;
  ino: number;
  /** Bytes covered: whole records only. */
  coveredBytes: number;
  /** SHA-256 of the file's [0, coveredBytes), kept running as records are added. */
  prefixHash: Hash;
  /** The bytes just before coveredBytes (up to TAIL_CHECK_BYTES), to tell an append from a rewrite. */
  tail: Buffer;
  /** The stat the index was last checked against, and the file's size then. */
  statKey: string;
  size: number;
  /** The last record scanned: where it is and whether it had the header's field count. */
  lastRecord: { start: number; end: number; whole: boolean } | undefined;
}

export const TAIL_CHECK_BYTES = 256;
const CHUNK_BYTES = 8 << 20;
/**
 * Records read back in one positioned read at most, and reads in flight at once: each read
 * goes into one of PARALLEL_READS buffers kept for the query, so reading back rows spread
 * through the whole file (a common model's) does not allocate the file again span by span.
 */
const SPAN_BYTES = 1 << 20;
const PARALLEL_READS = 4;
/** Rows at most this far apart are read together with the bytes between them. */
const GAP_BYTES = 16 << 10;

/** The index no longer matches the file (it changed between the check and the read). */
class StaleIndexError extends Error {
  override readonly name = 'StaleIndexError';
}

export interface IndexedCsvOptions<Index extends CsvRowIndex, Row> {
  path: string;
  /** A new, empty index for a file with this header, with room for about `expectedRows`. */
  createIndex: (options: { columns: string[]; expectedRows: number }) => Index;
  /** The file's row schema (a record keyed by its header's columns → a row). */
  parseRow: (row: Record<string, string>) => Row;
  /** The header of a file without one. */
  defaultColumns: readonly string[];
  /** Bytes a row takes on average, to size a new index. */
  averageRowBytes: number;
  /** How much of the file one read brings while scanning (tests make it tiny). */
  chunkBytes?: number;
  /** Called after each sync (a caller saves snapshots from here). */
  onSynced?: (synced: SyncedIndex<Index>, change: { rebuilt: boolean; ms: number }) => void;
}

export class IndexedCsv<Index extends CsvRowIndex, Row> {
  readonly path: string;
  readonly #options: IndexedCsvOptions<Index, Row>;
  #synced: SyncedIndex<Index> | undefined;
  #syncing: Promise<SyncedIndex<Index> | undefined> | undefined;

  constructor(options: IndexedCsvOptions<Index, Row>) {
    this.path = options.path;
    this.#options = options;
  }

  /** The index as last synced (undefined before the first sync). */
  get synced(): SyncedIndex<Index> | undefined {
    return this.#synced;
  }

  /**
   * Start-up: take `restored` (an index restored from a snapshot, covering a prefix of the
   * file) or build one, then scan what follows. Returns where an incomplete or wrong-length
   * last record starts (a torn write to cut off), if there is one.
   */
  async open(restored?: SyncedIndex<Index>): Promise<{ synced: SyncedIndex<Index>; tornFrom?: number; size: number }> {
    const info = await stat(this.path);
    const handle = await open(this.path, 'r');
    let synced: SyncedIndex<Index>;
    try {
      if (restored && restored.ino === info.ino) {
        synced = restored;
        await this.#extend(synced, handle, info.size);
      } else synced = await this.#build(handle, info.ino, info.size);
    } finally {
      await handle.close();
    }
    synced.statKey = statKey(info);
    synced.size = info.size;
    this.#synced = synced;
    return { synced, ...tornTail(synced) };
  }

  /** Bring the index in step with the file, and say where a torn last record starts, if there is one. */
  async tornTail(): Promise<{ tornFrom?: number; size: number }> {
    const synced = await this.current();
    return synced ? tornTail(synced) : { size: 0 };
  }

  /** Forget the index (the next query rebuilds it). */
  forget(): void {
    this.#synced = undefined;
  }

  /** Run a query on the current index; when the file changed under it, rebuild and run it once more. `empty`: the answer without a file. */
  async query<T>(empty: T, query: (synced: SyncedIndex<Index>) => Promise<T> | T): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const synced = await this.current();
      if (!synced) return empty;
      try {
        return await query(synced);
      } catch (error) {
        if (!(error instanceof StaleIndexError) || attempt > 0) throw error;
        this.#synced = undefined;
      }
    }
  }

  /** The index, brought in step with the file (one sync at a time; queries share it). */
  async current(): Promise<SyncedIndex<Index> | undefined> {
    this.#syncing ??= this.#sync().finally(() => {
      this.#syncing = undefined;
    });
    return this.#syncing;
  }

  async #sync(): Promise<SyncedIndex<Index> | undefined> {
    let info;
    try {
      info = await stat(this.path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        this.#synced = undefined;
        return undefined;
      }
      throw error;
    }
    const key = statKey(info);
    let synced = this.#synced;
    if (synced && synced.statKey === key) return synced;
    const started = performance.now();
    let rebuilt = false;
    const handle = await open(this.path, 'r');
    try {
      if (synced && (synced.ino !== info.ino || info.size < synced.coveredBytes || !(await tailMatches(handle, synced)))) synced = undefined;
      if (synced) await this.#extend(synced, handle, info.size);
      else {
        rebuilt = this.#synced !== undefined;
        synced = await this.#build(handle, info.ino, info.size);
      }
    } finally {
      await handle.close();
    }
    synced.statKey = key;
    synced.size = info.size;
    this.#synced = synced;
    this.#options.onSynced?.(synced, { rebuilt, ms: performance.now() - started });
    return synced;
  }

  /** A new index from the file's header on. */
  async #build(handle: FileHandle, ino: number, size: number): Promise<SyncedIndex<Index>> {
    let header: { fields: string[]; end: number } | undefined;
    for (let length = Math.min(size, 64 << 10); ; length = Math.min(size, length * 4)) {
      const [first] = decodeCsvRecords(await readRange(handle, 0, length), { limit: 1 });
      if (first?.terminated) header = { fields: first.fields, end: first.end };
      if (header || length >= size) break;
    }
    // Room for the rows of a small file; a large one reserves room once its first chunk is read.
    const index = this.#options.createIndex({ columns: header?.fields ?? [...this.#options.defaultColumns], expectedRows: Math.min(65_536, Math.ceil(size / this.#options.averageRowBytes)) });
    const synced: SyncedIndex<Index> = { index, ino, coveredBytes: 0, prefixHash: createHash('sha256'), tail: Buffer.alloc(0), statKey: '', size: 0, lastRecord: undefined };
    if (!header) return synced;
    synced.prefixHash.update(await readRange(handle, 0, header.end));
    synced.coveredBytes = header.end;
    await this.#extend(synced, handle, size);
    return synced;
  }

  /** Scan the whole records between coveredBytes and `size` into the index. */
  async #extend(synced: SyncedIndex<Index>, handle: FileHandle, size: number): Promise<void> {
    let position = synced.coveredBytes;
    const startedAt = position;
    const rowsBefore = synced.index.rowCount;
    // An incomplete record at a chunk's end is carried to the front of the next read.
    let buffer = Buffer.allocUnsafe(Math.min(this.#options.chunkBytes ?? CHUNK_BYTES, Math.max(1, size - position)) * 2);
    let carried = 0;
    const fieldCount = synced.index.columns.length;
    while (position < size) {
      if (carried * 2 > buffer.length) {
        const larger = Buffer.allocUnsafe(buffer.length * 2);
        buffer.copy(larger, 0, 0, carried);
        buffer = larger;
      }
      const { bytesRead } = await handle.read(buffer, carried, Math.min(buffer.length - carried, size - position), position);
      if (bytesRead === 0) break;
      const bytes = buffer.subarray(0, carried + bytesRead);
      const base = position - carried;
      position += bytesRead;
      const { end } = scanCsvRecords({
        bytes,
        base,
        final: position >= size,
        onRecord: (record) => {
          synced.index.add(record);
          synced.lastRecord = { start: record.start, end: record.end, whole: record.fieldCount === fieldCount };
        },
      });
      synced.prefixHash.update(bytes.subarray(0, end - base));
      // The first chunk of a long scan tells how large rows are: room for all of them at once.
      if (base === startedAt && size - end > end - startedAt && end > startedAt) {
        synced.index.reserve?.(synced.index.rowCount + Math.ceil(((synced.index.rowCount - rowsBefore) / (end - startedAt)) * (size - end) * 1.05));
      }
      synced.coveredBytes = end;
      carried = bytes.length - (end - base);
      bytes.copy(buffer, 0, end - base, bytes.length);
    }
    synced.tail = await readRange(handle, Math.max(0, synced.coveredBytes - TAIL_CHECK_BYTES), synced.coveredBytes);
  }

  /**
   * The rows at `rows` (indexes into the index, oldest first), read back from the file by
   * offset (rows close together in one read), split by the scanner (the codec's records)
   * and parsed with the row schema. Throws StaleIndexError (query() rebuilds) when the bytes
   * there are not the records the index saw.
   */
  async readRows(synced: SyncedIndex<Index>, rows: ArrayLike<number>): Promise<Row[]> {
    const columns = synced.index.columns;
    return this.#scanRows(synced, rows, (record) => {
      const row: Record<string, string> = {};
      for (let column = 0; column < columns.length; column++) row[columns[column] as string] = record.field(column);
      return this.#options.parseRow(row);
    });
  }

  /**
   * One text column of the rows at `rows`, as the row schema reads a text column (the field
   * as it is), without parsing the rest of each row: a run's id, which the index does not keep.
   */
  async readColumn(synced: SyncedIndex<Index>, rows: ArrayLike<number>, column: string): Promise<string[]> {
    const position = synced.index.columns.indexOf(column);
    if (position === -1) return Array.from({ length: rows.length }, () => '');
    return this.#scanRows(synced, rows, (record) => record.field(position));
  }

  async #scanRows<T>(synced: SyncedIndex<Index>, rows: ArrayLike<number>, read: (record: ScannedRecord) => T): Promise<T[]> {
    if (rows.length === 0) return [];
    const { index } = synced;
    const spans: Array<{ start: number; end: number; rows: Array<{ start: number; end: number }> }> = [];
    for (let position = 0; position < rows.length; position++) {
      const range = index.range(rows[position] as number);
      const last = spans[spans.length - 1];
      if (last && range.start >= last.end && range.start - last.end <= GAP_BYTES && range.end - last.start <= SPAN_BYTES) {
        last.end = range.end;
        last.rows.push(range);
      } else spans.push({ start: range.start, end: range.end, rows: [range] });
    }
    const handle = await open(this.path, 'r');
    const pieces: Buffer[] = [];
    const scratch: Buffer[] = [];
    try {
      for (let first = 0; first < spans.length; first += PARALLEL_READS) {
        const batch = spans.slice(first, first + PARALLEL_READS);
        const read = await Promise.all(
          batch.map((span, slot) => {
            // A span longer than SPAN_BYTES (one very long row) gets a buffer of its own.
            if (span.end - span.start > SPAN_BYTES) return readRange(handle, span.start, span.end);
            scratch[slot] ??= Buffer.allocUnsafe(SPAN_BYTES);
            return readRange(handle, span.start, span.end, scratch[slot]);
          }),
        );
        const batchPieces: Buffer[] = [];
        batch.forEach((span, spanIndex) => {
          const bytes = read[spanIndex] as Buffer;
          for (const row of span.rows) batchPieces.push(bytes.subarray(row.start - span.start, row.end - span.start));
        });
        // The rows' bytes copied out (always: the scratch buffers are read into again by the next batch).
        pieces.push(Buffer.concat(batchPieces));
      }
    } finally {
      await handle.close();
    }
    const bytes = pieces.length === 1 ? (pieces[0] as Buffer) : Buffer.concat(pieces);
    const fieldCount = index.columns.length;
    const values: T[] = [];
    let mismatch = false;
    const { end } = scanCsvRecords({
      bytes,
      base: 1, // not the file's start: a BOM there would be data here
      final: true,
      onRecord: (record) => {
        if (record.fieldCount !== fieldCount) mismatch = true;
        values.push(read(record));
      },
    });
    if (mismatch || end !== bytes.length + 1 || values.length !== rows.length) throw new StaleIndexError(`${this.path} changed under its index`);
    return values;
  }
}

/** Bytes after the whole records (an incomplete record), or a last record with the wrong field count: torn. */
function tornTail<Index extends CsvRowIndex>(synced: SyncedIndex<Index>): { tornFrom?: number; size: number } {
  const { size, coveredBytes, lastRecord } = synced;
  if (size > coveredBytes) return { tornFrom: coveredBytes, size };
  if (lastRecord && !lastRecord.whole && lastRecord.end === size) return { tornFrom: lastRecord.start, size };
  return { size };
}

export function statKey(info: { ino: number; size: number; mtimeMs: number }): string {
  return `${info.ino}:${info.size}:${info.mtimeMs}`;
}

/** The bytes of [start, end) (fewer when the file ends first), read into `into` when given (it must be long enough). */
export async function readRange(handle: FileHandle, start: number, end: number, into?: Buffer): Promise<Buffer> {
  // Not zero-filled: only the bytes read are returned, and zero-filling megabyte spans cost as much as reading them.
  const length = Math.max(0, end - start);
  const buffer = into ? into.subarray(0, length) : Buffer.allocUnsafe(length);
  let done = 0;
  while (done < buffer.length) {
    const { bytesRead } = await handle.read(buffer, done, buffer.length - done, start + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return buffer.subarray(0, done);
}

async function tailMatches<Index extends CsvRowIndex>(handle: FileHandle, synced: SyncedIndex<Index>): Promise<boolean> {
  const bytes = await readRange(handle, synced.coveredBytes - synced.tail.length, synced.coveredBytes);
  return bytes.equals(synced.tail);
}
