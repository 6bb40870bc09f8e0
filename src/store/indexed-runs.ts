import { createHash, type Hash } from 'node:crypto';
import { open, stat, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { RUN_COLUMNS, type RunRecord } from '../domain/run.js';
import type { RunFilter, RunsSummary } from '../domain/history.js';
import { ignoreMissing } from './atomic-file.js';
import { decodeCsvRecords } from './csv-codec.js';
import { scanCsvRecords } from './csv-scan.js';
import { readIndexSnapshot, writeIndexSnapshot, IndexSnapshotUnusableError } from './index-snapshot.js';
import { RunIndex } from './run-index.js';
import { parseRunRow } from './run-row.js';

/**
 * runs.csv queried through its run index (run-index.ts), kept in step with the file: before
 * each query a `stat` tells whether rows were appended (only the new bytes are scanned), or
 * the file was replaced or rewritten (a restore, `rebuild-csv`, a hand edit: the index is
 * rebuilt, so no stale row is served). Answers are read back from runs.csv by byte offset and
 * parsed with the row schema, so they are exactly what a whole-file read gives. A snapshot
 * (index-snapshot.ts) spares start-up the full pass.
 */

/** What the index reports for the log. */
export type RunIndexEvent =
  | { kind: 'built'; rows: number; ms: number; reason: string }
  | { kind: 'loaded'; rows: number; ms: number; tailRows: number }
  | { kind: 'snapshot-written'; rows: number; bytes: number; ms: number }
  | { kind: 'snapshot-failed'; error: Error };

/** The index and what it covers of which file. */
interface Synced {
  index: RunIndex;
  ino: number;
  /** Bytes covered: whole records only. */
  coveredBytes: number;
  /** SHA-256 of runs.csv[0, coveredBytes), kept running as records are added. */
  prefixHash: Hash;
  /** The bytes just before coveredBytes (up to TAIL_CHECK_BYTES), to tell an append from a rewrite. */
  tail: Buffer;
  /** The stat the index was last checked against. */
  statKey: string;
  /** Rows when the last snapshot was written (or loaded). */
  snapshotRows: number;
  /** The last record scanned: where it starts and whether it had the header's field count. */
  lastRecord: { start: number; end: number; whole: boolean } | undefined;
}

const TAIL_CHECK_BYTES = 256;
const CHUNK_BYTES = 8 << 20;
/** Records read back in one positioned read at most, and reads in flight at once. */
const SPAN_BYTES = 4 << 20;
const PARALLEL_READS = 16;
/** Rows at most this far apart are read together with the bytes between them. */
const GAP_BYTES = 16 << 10;
/** A snapshot is written after this many rows were added since the last one. */
export const SNAPSHOT_EVERY_ROWS = 50_000;

/** The index no longer matches the file (it changed between the check and the read). */
class StaleIndexError extends Error {
  override readonly name = 'StaleIndexError';
}

export class IndexedRuns {
  readonly path: string;
  readonly snapshotPath: string;
  readonly #onEvent: (event: RunIndexEvent) => void;
  readonly #chunkBytes: number;
  #synced: Synced | undefined;
  #syncing: Promise<Synced | undefined> | undefined;
  #snapshotting: Promise<void> = Promise.resolve();

  /** `chunkBytes`: how much of runs.csv one read brings while scanning (tests make it tiny). */
  constructor(options: { path: string; snapshotPath: string; onEvent?: (event: RunIndexEvent) => void; chunkBytes?: number }) {
    this.path = options.path;
    this.#chunkBytes = options.chunkBytes ?? CHUNK_BYTES;
    this.snapshotPath = options.snapshotPath;
    this.#onEvent = options.onEvent ?? (() => undefined);
  }

  /**
   * Start-up: restore the snapshot when it matches the file's prefix (else build the index in
   * one streaming pass), then scan what was appended since. Returns where an incomplete or
   * wrong-length last record starts (a torn write to cut off), if there is one.
   */
  async open(): Promise<{ tornFrom?: number; size: number }> {
    const started = performance.now();
    const info = await stat(this.path);
    let synced: Synced | undefined;
    let reason = 'no snapshot';
    try {
      synced = await this.#restore(info.ino, info.size);
    } catch (error) {
      if (!(error instanceof IndexSnapshotUnusableError)) throw error;
      reason = error.message;
    }
    const handle = await open(this.path, 'r');
    try {
      if (synced) {
        const before = synced.index.rowCount;
        await this.#extend(synced, handle, info.size);
        this.#onEvent({ kind: 'loaded', rows: synced.index.rowCount, tailRows: synced.index.rowCount - before, ms: performance.now() - started });
      } else {
        synced = await this.#build(handle, info.ino, info.size);
        this.#onEvent({ kind: 'built', rows: synced.index.rowCount, ms: performance.now() - started, reason });
      }
    } finally {
      await handle.close();
    }
    synced.statKey = statKey(info);
    this.#synced = synced;
    const last = synced.lastRecord;
    if (info.size > synced.coveredBytes) return { tornFrom: synced.coveredBytes, size: info.size };
    if (last && !last.whole && last.end === info.size) return { tornFrom: last.start, size: info.size };
    return { size: info.size };
  }

  /** After start-up repair changed the file: write a snapshot when the pass added many rows. */
  async settle(options: { rebuild: boolean }): Promise<void> {
    if (options.rebuild) this.#synced = undefined;
    const synced = await this.#current();
    if (synced && synced.index.rowCount - synced.snapshotRows >= Math.min(SNAPSHOT_EVERY_ROWS, 1_000)) await this.saveSnapshot();
  }

  async findRuns(filter: RunFilter): Promise<RunRecord[]> {
    return this.#withFreshIndex([], async (synced) => this.#readRows(synced, synced.index.match(filter)));
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    return this.#withFreshIndex(undefined, async (synced) => (await this.#readRows(synced, synced.index.runIdCandidates(runId))).find((run) => run.run_id === runId));
  }

  async summarise(filter: RunFilter): Promise<RunsSummary> {
    const synced = await this.#current();
    if (!synced) return { count: 0, models: [] };
    const rows = synced.index.match(filter);
    return { count: rows.length, models: synced.index.summarise(rows) };
  }

  /** Write a snapshot of the index as it is now (one at a time). */
  async saveSnapshot(): Promise<void> {
    const synced = this.#synced;
    if (!synced) return;
    const started = performance.now();
    const snapshot = { state: synced.index.state(), coveredBytes: synced.coveredBytes, prefixSha256: synced.prefixHash.copy().digest('hex') };
    const rows = snapshot.state.rowCount;
    const previousRows = synced.snapshotRows;
    synced.snapshotRows = rows; // no second snapshot of the same rows while this one is written
    const write = this.#snapshotting.then(async () => {
      try {
        const { bytes } = await writeIndexSnapshot(this.snapshotPath, snapshot);
        this.#onEvent({ kind: 'snapshot-written', rows, bytes, ms: performance.now() - started });
      } catch (error) {
        if (synced.snapshotRows === rows) synced.snapshotRows = previousRows;
        throw error;
      }
    });
    this.#snapshotting = write.catch(() => undefined);
    await write;
  }

  /** Graceful shutdown: save the index when rows were added since the last snapshot. */
  async close(): Promise<void> {
    const synced = this.#synced;
    if (synced && synced.index.rowCount !== synced.snapshotRows) await this.saveSnapshot().catch((error: unknown) => this.#onEvent({ kind: 'snapshot-failed', error: error as Error }));
    await this.#snapshotting;
  }

  /** Forget the snapshot file (a tool rewrote runs.csv while the lab was down). */
  async removeSnapshot(): Promise<void> {
    await unlink(this.snapshotPath).catch(ignoreMissing);
  }

  /** Run a query on the current index; when the file changed under it, rebuild and run it once more. `empty`: the answer without a runs.csv. */
  async #withFreshIndex<T>(empty: T, query: (synced: Synced) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const synced = await this.#current();
      if (!synced) return empty;
      try {
        return await query(synced);
      } catch (error) {
        if (!(error instanceof StaleIndexError) || attempt > 0) throw error;
        this.#synced = undefined; // the file changed under the query: rebuild, once
      }
    }
  }

  /** The index, brought in step with the file (one sync at a time; queries share it). */
  async #current(): Promise<Synced | undefined> {
    this.#syncing ??= this.#sync().finally(() => {
      this.#syncing = undefined;
    });
    return this.#syncing;
  }

  async #sync(): Promise<Synced | undefined> {
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
    const handle = await open(this.path, 'r');
    try {
      if (synced && (synced.ino !== info.ino || info.size < synced.coveredBytes || !(await tailMatches(handle, synced)))) synced = undefined;
      if (synced) {
        await this.#extend(synced, handle, info.size);
      } else {
        const started = performance.now();
        synced = await this.#build(handle, info.ino, info.size);
        if (this.#synced) this.#onEvent({ kind: 'built', rows: synced.index.rowCount, ms: performance.now() - started, reason: 'runs.csv was replaced or rewritten' });
      }
    } finally {
      await handle.close();
    }
    synced.statKey = key;
    this.#synced = synced;
    if (synced.index.rowCount - synced.snapshotRows >= SNAPSHOT_EVERY_ROWS) {
      this.saveSnapshot().catch((error: unknown) => this.#onEvent({ kind: 'snapshot-failed', error: error as Error }));
    }
    return synced;
  }

  async #restore(ino: number, size: number): Promise<Synced> {
    const snapshot = await readIndexSnapshot(this.snapshotPath);
    if (snapshot.coveredBytes > size) throw new IndexSnapshotUnusableError('runs.csv is shorter than the snapshot covers');
    const prefixHash = createHash('sha256');
    const handle = await open(this.path, 'r');
    let tail: Buffer;
    try {
      const buffer = Buffer.alloc(Math.min(CHUNK_BYTES, Math.max(1, snapshot.coveredBytes)));
      for (let position = 0; position < snapshot.coveredBytes; ) {
        const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, snapshot.coveredBytes - position), position);
        if (bytesRead === 0) throw new IndexSnapshotUnusableError('runs.csv ended early');
        prefixHash.update(buffer.subarray(0, bytesRead));
        position += bytesRead;
      }
      if (prefixHash.copy().digest('hex') !== snapshot.prefixSha256) throw new IndexSnapshotUnusableError('runs.csv no longer starts with the bytes the snapshot covers');
      tail = await readRange(handle, Math.max(0, snapshot.coveredBytes - TAIL_CHECK_BYTES), snapshot.coveredBytes);
    } finally {
      await handle.close();
    }
    const index = new RunIndex({ columns: snapshot.state.columns, state: snapshot.state });
    return { index, ino, coveredBytes: snapshot.coveredBytes, prefixHash, tail, statKey: '', snapshotRows: index.rowCount, lastRecord: undefined };
  }

  /** A new index from the file's header on. */
  async #build(handle: FileHandle, ino: number, size: number): Promise<Synced> {
    let header: { fields: string[]; end: number } | undefined;
    for (let length = Math.min(size, 64 << 10); ; length = Math.min(size, length * 4)) {
      const [first] = decodeCsvRecords(await readRange(handle, 0, length), { limit: 1 });
      if (first?.terminated) header = { fields: first.fields, end: first.end };
      if (header || length >= size) break;
    }
    // Room for the rows the file probably holds (runs.csv rows are ~200 bytes), so the arrays rarely grow.
    const index = new RunIndex({ columns: header?.fields ?? [...RUN_COLUMNS], expectedRows: Math.ceil(size / 200) });
    const synced: Synced = { index, ino, coveredBytes: 0, prefixHash: createHash('sha256'), tail: Buffer.alloc(0), statKey: '', snapshotRows: 0, lastRecord: undefined };
    if (!header) return synced;
    const headerBytes = await readRange(handle, 0, header.end);
    synced.prefixHash.update(headerBytes);
    synced.coveredBytes = header.end;
    await this.#extend(synced, handle, size);
    return synced;
  }

  /** Scan the whole records between coveredBytes and `size` into the index. */
  async #extend(synced: Synced, handle: FileHandle, size: number): Promise<void> {
    let position = synced.coveredBytes;
    // An incomplete record at a chunk's end is carried to the front of the next read.
    let buffer = Buffer.allocUnsafe(Math.min(this.#chunkBytes, Math.max(1, size - position)) * 2);
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
      synced.coveredBytes = end;
      carried = bytes.length - (end - base);
      bytes.copy(buffer, 0, end - base, bytes.length);
    }
    synced.tail = await readRange(handle, Math.max(0, synced.coveredBytes - TAIL_CHECK_BYTES), synced.coveredBytes);
  }

  /**
   * The records of `rows` (oldest first), read back from runs.csv by offset (adjacent rows in
   * one read), split by the scanner (the codec's records) and parsed with the row schema.
   */
  async #readRows(synced: Synced, rows: ArrayLike<number>): Promise<RunRecord[]> {
    if (rows.length === 0) return [];
    const { index } = synced;
    // Rows close together are read with the bytes between them (one read instead of many).
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
    try {
      for (let first = 0; first < spans.length; first += PARALLEL_READS) {
        const batch = spans.slice(first, first + PARALLEL_READS);
        const read = await Promise.all(batch.map((span) => readRange(handle, span.start, span.end)));
        batch.forEach((span, spanIndex) => {
          const bytes = read[spanIndex] as Buffer;
          for (const row of span.rows) pieces.push(bytes.subarray(row.start - span.start, row.end - span.start));
        });
      }
    } finally {
      await handle.close();
    }
    const bytes = pieces.length === 1 ? (pieces[0] as Buffer) : Buffer.concat(pieces);
    const columns = index.columns;
    const runs: RunRecord[] = [];
    let mismatch = false;
    const { end } = scanCsvRecords({
      bytes,
      base: 1, // not the file's start: a BOM there is data here
      final: true,
      onRecord: (record) => {
        if (record.fieldCount !== columns.length) mismatch = true;
        const row: Record<string, string> = {};
        for (let column = 0; column < columns.length; column++) row[columns[column] as string] = record.field(column);
        runs.push(parseRunRow(row));
      },
    });
    if (mismatch || end !== bytes.length + 1 || runs.length !== rows.length) throw new StaleIndexError('runs.csv changed under the index');
    return runs;
  }
}

function statKey(info: { ino: number; size: number; mtimeMs: number }): string {
  return `${info.ino}:${info.size}:${info.mtimeMs}`;
}

async function readRange(handle: FileHandle, start: number, end: number): Promise<Buffer> {
  const buffer = Buffer.alloc(Math.max(0, end - start));
  let done = 0;
  while (done < buffer.length) {
    const { bytesRead } = await handle.read(buffer, done, buffer.length - done, start + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return buffer.subarray(0, done);
}

async function tailMatches(handle: FileHandle, synced: Synced): Promise<boolean> {
  const bytes = await readRange(handle, synced.coveredBytes - synced.tail.length, synced.coveredBytes);
  return bytes.equals(synced.tail);
}
