import { createHash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import { RUN_COLUMNS, type RunRecord } from '../domain/run.js';
import type { ExperimentQuery, ExperimentRecord, RunFilter, RunsSummary } from '../domain/history.js';
import { IndexSnapshotUnusableError, readIndexSnapshot, writeIndexSnapshot } from './index-snapshot.js';
import { IndexedCsv, readRange, TAIL_CHECK_BYTES, type SyncedIndex } from './indexed-csv.js';
import { RunIndex } from './run-index.js';
import { parseRunRow } from './run-row.js';

/**
 * runs.csv queried through its run index (run-index.ts), kept in step with the file by
 * IndexedCsv; a snapshot (index-snapshot.ts) spares start-up the full pass and is saved
 * every SNAPSHOT_EVERY_ROWS appended rows and at a graceful stop.
 */

/** What the index reports for the log. */
export type RunIndexEvent =
  | { kind: 'built'; rows: number; ms: number; reason: string }
  | { kind: 'loaded'; rows: number; ms: number; tailRows: number }
  | { kind: 'snapshot-written'; rows: number; bytes: number; ms: number }
  | { kind: 'snapshot-failed'; error: Error };

/** A snapshot is written after this many rows were added since the last one. */
export const SNAPSHOT_EVERY_ROWS = 50_000;
const PREFIX_CHUNK_BYTES = 8 << 20;

export class IndexedRuns {
  readonly path: string;
  readonly snapshotPath: string;
  readonly #onEvent: (event: RunIndexEvent) => void;
  readonly #file: IndexedCsv<RunIndex, RunRecord>;
  /** Rows covered by the last snapshot written (or loaded). */
  #snapshotRows = 0;
  #snapshotting: Promise<void> = Promise.resolve();

  /** `chunkBytes`: how much of runs.csv one read brings while scanning (tests make it tiny). */
  constructor(options: { path: string; snapshotPath: string; onEvent?: (event: RunIndexEvent) => void; chunkBytes?: number }) {
    this.path = options.path;
    this.snapshotPath = options.snapshotPath;
    this.#onEvent = options.onEvent ?? (() => undefined);
    this.#file = new IndexedCsv({
      path: options.path,
      createIndex: (index) => new RunIndex(index),
      parseRow: parseRunRow,
      defaultColumns: RUN_COLUMNS,
      averageRowBytes: 200,
      ...(options.chunkBytes !== undefined ? { chunkBytes: options.chunkBytes } : {}),
      onSynced: (synced, change) => {
        if (change.rebuilt) {
          this.#snapshotRows = 0;
          this.#onEvent({ kind: 'built', rows: synced.index.rowCount, ms: change.ms, reason: 'runs.csv was replaced or rewritten' });
        }
        if (synced.index.rowCount - this.#snapshotRows >= SNAPSHOT_EVERY_ROWS) {
          this.saveSnapshot().catch((error: unknown) => this.#onEvent({ kind: 'snapshot-failed', error: error as Error }));
        }
      },
    });
  }

  /**
   * Start-up: restore the snapshot when it matches the file's prefix (else build the index in
   * one streaming pass), then scan what was appended since. Returns where an incomplete or
   * wrong-length last record starts (a torn write to cut off), if there is one.
   */
  async open(): Promise<{ tornFrom?: number; size: number }> {
    const started = performance.now();
    let restored: SyncedIndex<RunIndex> | undefined;
    let reason = 'no snapshot';
    try {
      restored = await this.#restore();
    } catch (error) {
      if (!(error instanceof IndexSnapshotUnusableError)) throw error;
      reason = error.message;
    }
    const before = restored?.index.rowCount ?? 0;
    const opened = await this.#file.open(restored);
    const rows = opened.synced.index.rowCount;
    if (restored && opened.synced === restored) {
      this.#snapshotRows = before;
      this.#onEvent({ kind: 'loaded', rows, tailRows: rows - before, ms: performance.now() - started });
    } else {
      this.#snapshotRows = 0;
      this.#onEvent({ kind: 'built', rows, ms: performance.now() - started, reason: restored ? 'runs.csv was replaced' : reason });
    }
    return opened.tornFrom !== undefined ? { tornFrom: opened.tornFrom, size: opened.size } : { size: opened.size };
  }

  /** Under the data lock at start-up: bring the index in step (a short scan after open()) and say where a torn last record starts. */
  async tornTail(): Promise<{ tornFrom?: number; size: number }> {
    return this.#file.tornTail();
  }

  /** After start-up (and its repair): bring the index in step and snapshot it when the pass added many rows. */
  async settle(options: { rebuild: boolean }): Promise<void> {
    if (options.rebuild) this.#file.forget();
    const synced = await this.#file.current();
    if (synced && synced.index.rowCount - this.#snapshotRows >= Math.min(SNAPSHOT_EVERY_ROWS, 1_000)) await this.saveSnapshot();
  }

  async findRuns(filter: RunFilter): Promise<RunRecord[]> {
    return this.#file.query([], (synced) => this.#file.readRows(synced, synced.index.match(filter)));
  }

  /** The ids of the runs `findRuns` returns: the rows from the index, only their run_id field read back. */
  async findRunIds(filter: RunFilter): Promise<string[]> {
    return this.#file.query([], (synced) => this.#file.readColumn(synced, synced.index.match(filter), 'run_id'));
  }

  /** The experiments, from the index alone (no row of runs.csv read). */
  async listExperiments(query: ExperimentQuery): Promise<ExperimentRecord[]> {
    return this.#file.query([], (synced) => synced.index.listExperiments(query));
  }

  /** The runs `findRuns` returns, `pageSize` at a time (read as they are sent). */
  async *findRunPages(filter: RunFilter, options: { pageSize: number }): AsyncIterable<RunRecord[]> {
    const synced = await this.#file.current();
    if (!synced) return;
    const rows = synced.index.match(filter);
    for (let from = 0; from < rows.length; from += options.pageSize) yield await this.#file.readRows(synced, rows.subarray(from, from + options.pageSize));
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    return this.#file.query(undefined, async (synced) => (await this.#file.readRows(synced, synced.index.runIdCandidates(runId))).find((run) => run.run_id === runId));
  }

  async summarise(filter: RunFilter): Promise<RunsSummary> {
    return this.#file.query({ count: 0, models: [] }, (synced) => {
      // Synchronous from match to summary, so the index's scratch rows can hold the match.
      const rows = synced.index.match(filter, { reuse: true });
      return { count: rows.length, models: synced.index.summarise(rows) };
    });
  }

  /** Write a snapshot of the index as it is now (one at a time). */
  async saveSnapshot(): Promise<void> {
    const synced = this.#file.synced;
    if (!synced) return;
    const started = performance.now();
    const snapshot = { state: synced.index.state(), coveredBytes: synced.coveredBytes, prefixSha256: synced.prefixHash.copy().digest('hex') };
    const rows = snapshot.state.rowCount;
    const previousRows = this.#snapshotRows;
    this.#snapshotRows = rows; // no second snapshot of the same rows while this one is written
    const write = this.#snapshotting.then(async () => {
      try {
        const { bytes } = await writeIndexSnapshot(this.snapshotPath, snapshot);
        this.#onEvent({ kind: 'snapshot-written', rows, bytes, ms: performance.now() - started });
      } catch (error) {
        if (this.#snapshotRows === rows) this.#snapshotRows = previousRows;
        throw error;
      }
    });
    this.#snapshotting = write.catch(() => undefined);
    await write;
  }

  /** Graceful shutdown: save the index when rows were added since the last snapshot. */
  async close(): Promise<void> {
    const synced = this.#file.synced;
    if (synced && synced.index.rowCount !== this.#snapshotRows) {
      await this.saveSnapshot().catch((error: unknown) => this.#onEvent({ kind: 'snapshot-failed', error: error as Error }));
    }
    await this.#snapshotting;
  }

  /** The snapshot's index, when its covered bytes are still the start of runs.csv. */
  async #restore(): Promise<SyncedIndex<RunIndex>> {
    const snapshot = await readIndexSnapshot(this.snapshotPath);
    const info = await stat(this.path);
    if (snapshot.coveredBytes > info.size) throw new IndexSnapshotUnusableError('runs.csv is shorter than the snapshot covers');
    const prefixHash = createHash('sha256');
    const handle = await open(this.path, 'r');
    let tail: Buffer;
    try {
      const buffer = Buffer.alloc(Math.min(PREFIX_CHUNK_BYTES, Math.max(1, snapshot.coveredBytes)));
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
    return { index, ino: info.ino, coveredBytes: snapshot.coveredBytes, prefixHash, tail, statKey: '', size: 0, lastRecord: undefined };
  }
}
