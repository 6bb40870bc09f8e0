import { constants } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { LabError } from '../domain/errors.js';
import { RUN_COLUMNS, SEED_COLUMNS, runToCsvFields } from '../domain/run.js';
import type { RunRecord } from '../domain/run.js';
import type { ExperimentQuery, ExperimentRecord, RunFilter, RunHistory, RunsSummary } from '../domain/history.js';
import { AppendOnlyCsv, fileStamp, readFirstRecord, readTail, uniquePath, type CsvFileContent, type OpenFile } from './append-only-csv.js';
import { fsyncPath, removeStaleTemporaryFiles, writeFileAtomic } from './atomic-file.js';
import { decodeCsvRecords, encodeCsvRecords, type CsvRecord } from './csv-codec.js';
import { withDataLock } from './data-lock.js';
import { indexSnapshotPath } from './index-snapshot.js';
import { IndexedRuns, type RunIndexEvent } from './indexed-runs.js';
import { parseCsvBoolean, parseRunRow } from './run-row.js';
import type { RunRow } from './run-row.js';

export type { OpenFile } from './append-only-csv.js';
export type { RunIndexEvent } from './indexed-runs.js';

/**
 * `data/runs.csv`: one RFC 4180 row per run, the contract the playbooks rely on
 * (docs/data-files.md). The crash-safe machinery (whole-row appends under the data lock with
 * group commit, rollback of a failed write, torn-record repair) is AppendOnlyCsv's; this
 * adds the runs.csv columns and row schema and migrates files from the Python Agent Lab.
 */

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

/** A whole read of runs.csv: rows keyed by the file's header (RUN_COLUMNS, possibly followed by extra columns). */
export type RunsCsvContent = CsvFileContent<RunRecord>;

const BOOLEAN_COLUMNS = new Set<string>(['streaming', 'tool_web_enabled', 'aborted']);
const LEGACY_15 = SEED_COLUMNS.filter((column) => column !== 'aborted');

/** The runs.csv of one data directory: the files engine's RunHistory. */
export class RunsCsv implements RunHistory {
  readonly dataDir: string;
  readonly #file: AppendOnlyCsv<RunRecord>;
  /** History queries go through the run index (indexed-runs.ts), not a whole-file read. */
  readonly #history: IndexedRuns;

  /**
   * `openFile` is the file-system seam for appends (default: `fs.promises.open`); tests pass
   * one whose handles fail like a full disk does. `onIndexEvent` hears what the run index
   * did (built, loaded from its snapshot, snapshot written), for the log.
   */
  constructor(options: { dataDir: string; openFile?: OpenFile; onIndexEvent?: (event: RunIndexEvent) => void }) {
    this.dataDir = path.resolve(options.dataDir);
    this.#file = new AppendOnlyCsv({
      dataDir: this.dataDir,
      fileName: 'runs.csv',
      columns: RUN_COLUMNS,
      parseRow: parseRunRow,
      ...(options.openFile ? { openFile: options.openFile } : {}),
    });
    this.#history = new IndexedRuns({
      path: this.#file.path,
      snapshotPath: indexSnapshotPath(this.dataDir),
      ...(options.onIndexEvent ? { onEvent: options.onIndexEvent } : {}),
    });
  }

  /** Absolute path of runs.csv. */
  get path(): string {
    return this.#file.path;
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
    // The long part (loading the index's snapshot, or a pass over a large file) only reads,
    // so it runs before the data lock is taken; under it, only what changed meanwhile is read.
    const header = await readFirstRecord(this.path);
    if (header?.terminated && classifyHeader(header.fields) === 'current') await this.#history.open();
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
    const header = await readFirstRecord(this.path);
    if (!header) {
      await this.#file.writeHeaderOnly();
      await this.#history.settle({ rebuild: true });
      return { created: true, repairedTornRecord: false };
    }
    const kind = classifyHeader(header.fields);
    if (kind === 'unknown') {
      throw new LabError(
        'unavailable:store',
        `${this.path} has a header the lab does not recognise (${header.fields.slice(0, 5).join(',')}...); it was left as it is. ` +
          'Run `npx --no-install agent-lab check`, or move it aside to start a new one.',
      );
    }
    if (kind === 'legacy' || !header.terminated) return this.#initWholeFile(kind);

    // The usual start: the index (opened before the lock, brought in step now) finds where
    // the whole records end; only a torn tail after them is read and moved aside.
    const opened = await this.#history.tornTail();
    const result: RunsCsvInitResult = { created: false, repairedTornRecord: false };
    if (opened.tornFrom !== undefined) {
      const fragment = await readTail(this.path, { start: opened.tornFrom, end: opened.size });
      result.tornPath = await this.#file.moveTailAside({ start: opened.tornFrom, fragment, cut: true, stamp: fileTimestamp() });
      result.repairedTornRecord = true;
    }
    await this.#history.settle({ rebuild: false });
    this.#file.invalidate();
    return result;
  }

  /** Start-up for a legacy file (migrated) or a header without its line ending: small files, read whole. */
  async #initWholeFile(kind: 'current' | 'legacy'): Promise<RunsCsvInitResult> {
    const bytes = await this.#file.readBytes();
    const records = decodeCsvRecords(bytes);
    const columns = (records[0] as CsvRecord).fields;
    // A legacy file is not cut in place: the migration below rewrites it without the fragment.
    const repair = await this.#file.repairTornRecord({ bytes, records, fieldCount: columns.length, cut: kind === 'current', stamp: fileTimestamp() });
    const result: RunsCsvInitResult = { created: false, repairedTornRecord: repair.tornPath !== undefined };
    if (repair.tornPath) result.tornPath = repair.tornPath;
    if (kind === 'legacy') Object.assign(result, await this.#migrate(bytes, records, columns, repair.completeEnd));
    this.#file.invalidate();
    await this.#history.settle({ rebuild: true });
    return result;
  }

  async #migrate(
    bytes: Buffer,
    records: CsvRecord[],
    columns: string[],
    completeEnd: number,
  ): Promise<Pick<RunsCsvInitResult, 'migratedFrom' | 'backupPath' | 'damagedRowsPath'>> {
    const stamp = fileTimestamp();
    const backupPath = await uniquePath(`${this.path}.bak-${stamp}`);
    await copyFile(this.path, backupPath, constants.COPYFILE_EXCL);
    await fsyncPath(backupPath);

    const migrated: string[][] = [[...RUN_COLUMNS]];
    const damaged: Buffer[] = [];
    for (const record of records.slice(1)) {
      if (record.end > completeEnd) break;
      if (record.fields.length !== columns.length) {
        damaged.push(record.raw);
        continue;
      }
      const byName = new Map(columns.map((column, index) => [column, record.fields[index] ?? '']));
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
      damagedRowsPath = await uniquePath(`${this.path}.damaged-${stamp}`);
      await writeFileAtomic(damagedRowsPath, Buffer.concat([records[0]?.raw ?? Buffer.alloc(0), ...damaged]));
    }
    await writeFileAtomic(this.path, encodeCsvRecords(migrated));
    const migratedFrom =
      columns.length === LEGACY_15.length && sameColumns(columns, LEGACY_15)
        ? 'legacy-15'
        : columns.length === SEED_COLUMNS.length && sameColumns(columns, SEED_COLUMNS)
          ? 'legacy-16'
          : `legacy-${columns.length}`;
    return damagedRowsPath ? { migratedFrom, backupPath, damagedRowsPath } : { migratedFrom, backupPath };
  }

  /**
   * Append one run as one whole row, durably (fsync before resolving); runs finishing
   * together share one write and one fsync (see AppendOnlyCsv).
   */
  async append(run: RunRecord): Promise<void> {
    const values = runToCsvFields(run);
    await this.#file.append(new Map<string, string>(RUN_COLUMNS.map((column, index) => [column, values[index] ?? ''])));
  }

  async findRuns(filter: RunFilter): Promise<RunRecord[]> {
    return this.#history.findRuns(filter);
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    return this.#history.getRun(runId);
  }

  async findRunIds(filter: RunFilter): Promise<string[]> {
    return this.#history.findRunIds(filter);
  }

  async listExperiments(query: ExperimentQuery): Promise<ExperimentRecord[]> {
    return this.#history.listExperiments(query);
  }

  findRunPages(filter: RunFilter, options: { pageSize: number }): AsyncIterable<RunRecord[]> {
    return this.#history.findRunPages(filter, options);
  }

  async summarise(filter: RunFilter): Promise<RunsSummary> {
    return this.#history.summarise(filter);
  }

  /** Graceful shutdown: save the run index's snapshot when rows were added since the last one. */
  async close(): Promise<void> {
    await this.#history.close();
  }

  /** Every row whose field count matches the header, keyed by the header's columns. */
  async readAll(): Promise<RunRow[]> {
    return (await this.read()).rows;
  }

  /** Every readable run, through the row schema (cached until the file changes). */
  async readRuns(): Promise<RunRecord[]> {
    return (await this.read()).records;
  }

  /** The whole file (see AppendOnlyCsv.read: incomplete and wrong-length records are skipped and counted). */
  async read(): Promise<RunsCsvContent> {
    return this.#file.read();
  }
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

/** UTC `YYYYMMDDTHHMMSSZ`, for side-file names. */
export const fileTimestamp = fileStamp;
