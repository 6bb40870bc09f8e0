import { SCORE_KINDS, readKind, readValue } from '../domain/score.js';
import type { ScoreFilter } from '../domain/history.js';
import type { ScannedRecord } from './csv-scan.js';
import type { CsvRowIndex } from './indexed-csv.js';
import { hashRunId } from './run-index.js';

/**
 * An in-memory index of scores.csv, derived from it: per score its byte range, a hash of its
 * run_id, its experiment (a dictionary code with a posting chain, newest first), kind and
 * time. Rows that are not scores the lab writes (a wrong field count, an unknown kind, a
 * value outside 0..1) are skipped, as the whole-file read skips them. `/api/scores` and the
 * leaderboard then read back only the scores they return.
 */

const NONE = -1;

export class ScoreIndex implements CsvRowIndex {
  readonly columns: string[];
  #rowCount = 0;
  #offsets: Float64Array;
  #lengths: Uint32Array;
  #runIdHashes: Int32Array;
  #experiments: Int32Array;
  /** Per row: the previous row of the same experiment (or -1). */
  #experimentChain: Int32Array;
  #kinds: Uint8Array;
  #times: Float64Array;
  readonly #experimentCodes = new Map<string, number>();
  /** Per experiment code: its newest row. */
  #experimentLast: number[] = [];
  readonly #positions: { run_id: number; experiment_id: number; kind: number; value: number; ts: number };

  constructor(options: { columns: string[]; expectedRows?: number }) {
    this.columns = options.columns;
    const at = (column: string) => options.columns.indexOf(column);
    this.#positions = { run_id: at('run_id'), experiment_id: at('experiment_id'), kind: at('kind'), value: at('value'), ts: at('ts') };
    const capacity = Math.max(1024, options.expectedRows ?? 0);
    this.#offsets = new Float64Array(capacity);
    this.#lengths = new Uint32Array(capacity);
    this.#runIdHashes = new Int32Array(capacity);
    this.#experiments = new Int32Array(capacity);
    this.#experimentChain = new Int32Array(capacity);
    this.#kinds = new Uint8Array(capacity);
    this.#times = new Float64Array(capacity);
  }

  get rowCount(): number {
    return this.#rowCount;
  }

  add(record: ScannedRecord): void {
    if (record.fieldCount !== this.columns.length) return;
    const field = (position: number) => (position === -1 ? '' : record.field(position));
    const kind = readKind(field(this.#positions.kind));
    if (kind === undefined || readValue(field(this.#positions.value)) === undefined) return;
    const row = this.#rowCount;
    if (row >= this.#offsets.length) this.#grow();
    this.#offsets[row] = record.start;
    this.#lengths[row] = record.end - record.start;
    this.#runIdHashes[row] = hashRunId(field(this.#positions.run_id));
    const experiment = field(this.#positions.experiment_id);
    let code = this.#experimentCodes.get(experiment);
    if (code === undefined) {
      code = this.#experimentLast.length;
      this.#experimentCodes.set(experiment, code);
      this.#experimentLast.push(NONE);
    }
    this.#experiments[row] = code;
    this.#experimentChain[row] = this.#experimentLast[code] as number;
    this.#experimentLast[code] = row;
    this.#kinds[row] = SCORE_KINDS.indexOf(kind);
    this.#times[row] = Date.parse(field(this.#positions.ts));
    this.#rowCount = row + 1;
  }

  range(row: number): { start: number; end: number } {
    const start = this.#offsets[row] as number;
    return { start, end: start + (this.#lengths[row] as number) };
  }

  /**
   * The rows matching the filter, oldest first. With `run_ids` the rows are those whose run_id
   * hashes like one of them (`exact: false`: check each, then apply `limit`); otherwise they
   * are exact and `limit` is applied.
   */
  match(filter: ScoreFilter): { rows: Int32Array; exact: boolean } {
    const since = filter.since ? Date.parse(filter.since) : undefined;
    const kind = filter.kind === undefined ? undefined : SCORE_KINDS.indexOf(filter.kind);
    const experiment = filter.experiment_id === undefined ? undefined : this.#experimentCodes.get(filter.experiment_id);
    if (filter.experiment_id !== undefined && experiment === undefined) return { rows: new Int32Array(0), exact: true };
    const accepts = (row: number): boolean =>
      (experiment === undefined || this.#experiments[row] === experiment) &&
      (kind === undefined || this.#kinds[row] === kind) &&
      (since === undefined || (this.#times[row] as number) >= since);

    if (filter.run_ids) {
      const hashes = new Set(filter.run_ids.map(hashRunId));
      const found: number[] = [];
      if (hashes.size === 0) return { rows: new Int32Array(0), exact: true };
      for (let row = 0; row < this.#rowCount; row++) if (hashes.has(this.#runIdHashes[row] as number) && accepts(row)) found.push(row);
      return { rows: Int32Array.from(found), exact: false };
    }
    const limit = filter.limit ? filter.limit : Number.POSITIVE_INFINITY;
    const found: number[] = [];
    if (experiment !== undefined) {
      for (let row = this.#experimentLast[experiment] as number; row !== NONE && found.length < limit; row = this.#experimentChain[row] as number) if (accepts(row)) found.push(row);
    } else {
      for (let row = this.#rowCount - 1; row >= 0 && found.length < limit; row--) if (accepts(row)) found.push(row);
    }
    return { rows: Int32Array.from(found).reverse(), exact: true };
  }

  #grow(): void {
    const capacity = Math.ceil(this.#offsets.length * (this.#offsets.length < 1 << 20 ? 2 : 1.25));
    const grown = <T extends Float64Array | Uint32Array | Int32Array | Uint8Array>(array: T): T => {
      const next = new (array.constructor as new (length: number) => T)(capacity);
      next.set(array);
      return next;
    };
    this.#offsets = grown(this.#offsets);
    this.#lengths = grown(this.#lengths);
    this.#runIdHashes = grown(this.#runIdHashes);
    this.#experiments = grown(this.#experiments);
    this.#experimentChain = grown(this.#experimentChain);
    this.#kinds = grown(this.#kinds);
    this.#times = grown(this.#times);
  }
}
