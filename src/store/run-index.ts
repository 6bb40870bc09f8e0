import { nearestRank, selectInPlace } from '../domain/order-statistics.js';
import { compareModelSummaries, summariseModel, type ModelSummary, type Percentiles } from '../domain/run-summary.js';
import { experimentMatches, runTimeIso, type ExperimentQuery, type ExperimentRecord, type RunFilter } from '../domain/history.js';
import type { ScannedRecord } from './csv-scan.js';
import type { CsvRowIndex } from './indexed-csv.js';
import { readRunField } from './run-row.js';

/**
 * An in-memory column index of runs.csv, derived from it (runs.csv stays the only source
 * of truth): per row its byte range in the file, dictionary codes for the columns filters
 * name, and the figures the summary needs in typed arrays. Each dictionary value keeps a
 * posting list as a chain (its last row, and per row the previous row with the same value),
 * so a filtered query walks only the rows of its rarest value, newest first, and `limit`
 * stops the walk early. Full run records are read back from runs.csv by offset
 * (RunsIndexFile).
 */

/** The columns kept as dictionary codes, in this order. */
export const CODED_COLUMNS = ['model', 'agent_name', 'agent_id', 'experiment_id', 'task_label', 'session_id', 'bakeoff_id'] as const;
export type CodedColumn = (typeof CODED_COLUMNS)[number];

/** The number columns, in this order (NaN for an unknown optional value). */
export const FIGURE_COLUMNS = ['ts', 'latency_ms', 'ttft_ms', 'tokens_per_s', 'cost_usd', 'prompt_tokens', 'completion_tokens', 'total_tokens'] as const;
export type FigureColumn = (typeof FIGURE_COLUMNS)[number];

type Positions = number[] & Record<FigureColumn | 'run_id' | 'aborted' | 'error', number>;

const ABORTED = 1;
const ERRORED = 2;
const NONE = -1;

/**
 * Whole numbers (byte offsets and lengths, token counts, dictionary codes) in the fewest bytes
 * that hold them: 2 or 4 bytes each while they fit, widened (4, then 8) when one does not
 * (more than 65,536 sessions, a runs.csv over 4 GiB, a count over 4 billion).
 */
export type WholeNumbers = Uint16Array | Uint32Array | Float64Array;

/** The index's per-row arrays, as a snapshot stores them (their length may exceed the row count: room to grow). */
export interface RunIndexArrays {
  offsets: WholeNumbers;
  lengths: WholeNumbers;
  flags: Uint8Array;
  runIdHashes: Int32Array;
  codes: Record<CodedColumn, WholeNumbers>;
  figures: Record<FigureColumn, Float64Array | WholeNumbers>;
}

/** Everything an index holds, so a snapshot can save and restore it. */
export interface RunIndexState {
  columns: string[];
  rowCount: number;
  /** Records skipped for their field count. */
  skipped: number;
  arrays: RunIndexArrays;
  dictionaries: Record<CodedColumn, string[]>;
}

/** A 32-bit FNV-1a hash of a run id (getRun's first sieve; candidates are checked against the file). */
export function hashRunId(runId: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < runId.length; index++) {
    hash ^= runId.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash | 0;
}

class Dictionary {
  readonly values: string[];
  readonly #codes = new Map<string, number>();
  /** Per code: its oldest row, its newest row and its row count. */
  first: Int32Array;
  last: Int32Array;
  counts: Int32Array;

  constructor(values: string[] = []) {
    this.values = values;
    values.forEach((value, code) => this.#codes.set(value, code));
    const capacity = Math.max(16, values.length);
    this.first = new Int32Array(capacity).fill(NONE);
    this.last = new Int32Array(capacity).fill(NONE);
    this.counts = new Int32Array(capacity);
  }

  /** Record that `row` (the newest so far) holds `code`; returns the previous row with it (its posting chain's link). */
  addRow(code: number, row: number): number {
    const previous = this.last[code] as number;
    if (previous === NONE) this.first[code] = row;
    this.last[code] = row;
    this.counts[code] = (this.counts[code] as number) + 1;
    return previous;
  }

  code(value: string): number | undefined {
    return this.#codes.get(value);
  }

  intern(value: string): number {
    const known = this.#codes.get(value);
    if (known !== undefined) return known;
    const code = this.values.length;
    this.values.push(value);
    this.#codes.set(value, code);
    if (code >= this.last.length) {
      this.first = doubled(this.first, NONE);
      this.last = doubled(this.last, NONE);
      this.counts = doubled(this.counts, 0);
    }
    return code;
  }
}

/** A copy of `array` twice as long, the new half filled with `fill`. */
function doubled(array: Int32Array, fill: number): Int32Array {
  const next = new Int32Array(array.length * 2).fill(fill);
  next.set(array);
  return next;
}

/** Rows of room a restored index keeps for appends before its arrays grow. */
const RESTORED_ROOM = 65_536;
const COUNT_COLUMNS = new Set<FigureColumn>(['prompt_tokens', 'completion_tokens', 'total_tokens']);

function grown<T extends Float64Array | Uint32Array | Uint16Array | Uint8Array | Int32Array>(array: T, capacity: number): T {
  const next = new (array.constructor as new (length: number) => T)(capacity);
  next.set(array);
  return next;
}

export class RunIndex implements CsvRowIndex {
  readonly columns: string[];
  #rowCount = 0;
  #skipped = 0;
  #arrays: RunIndexArrays;
  /** Per coded column, per row: the previous row with the same value (or -1). */
  #chains: Record<CodedColumn, Int32Array>;
  readonly #dictionaries: Record<CodedColumn, Dictionary>;
  /** Where each column is in the file's header (-1: absent): CODED_COLUMNS in order, then by name. */
  readonly #positions: Positions;

  /** A new, empty index for a file with this header (room for `expectedRows`); or one restored from a snapshot's state. */
  constructor(options: { columns: string[]; state?: RunIndexState; expectedRows?: number }) {
    this.columns = options.columns;
    const at = (column: string) => options.columns.indexOf(column);
    this.#positions = Object.assign(
      CODED_COLUMNS.map((column) => at(column)),
      Object.fromEntries([...FIGURE_COLUMNS, 'run_id', 'aborted', 'error'].map((column) => [column, at(column)])) as Record<FigureColumn | 'run_id' | 'aborted' | 'error', number>,
    );
    const state = options.state;
    if (state) {
      this.#rowCount = state.rowCount;
      this.#skipped = state.skipped;
      // Arrays with room to grow are taken as they are; others are copied into such.
      const capacity = state.rowCount + RESTORED_ROOM;
      const copy = <T extends Float64Array | Uint32Array | Uint16Array | Uint8Array | Int32Array>(array: T): T => (array.length > state.rowCount ? array : grown(array, capacity));
      this.#arrays = {
        offsets: copy(state.arrays.offsets),
        lengths: copy(state.arrays.lengths),
        flags: copy(state.arrays.flags),
        runIdHashes: copy(state.arrays.runIdHashes),
        codes: Object.fromEntries(CODED_COLUMNS.map((column) => [column, copy(state.arrays.codes[column])])) as Record<CodedColumn, WholeNumbers>,
        figures: Object.fromEntries(FIGURE_COLUMNS.map((column) => [column, copy(state.arrays.figures[column])])) as RunIndexArrays['figures'],
      };
      this.#dictionaries = Object.fromEntries(CODED_COLUMNS.map((column) => [column, new Dictionary([...state.dictionaries[column]])])) as Record<CodedColumn, Dictionary>;
    } else {
      const capacity = Math.max(1024, options.expectedRows ?? 0);
      this.#arrays = {
        offsets: new Uint32Array(capacity),
        lengths: new Uint16Array(capacity),
        flags: new Uint8Array(capacity),
        runIdHashes: new Int32Array(capacity),
        codes: Object.fromEntries(CODED_COLUMNS.map((column) => [column, new Uint16Array(capacity)])) as Record<CodedColumn, WholeNumbers>,
        figures: Object.fromEntries(FIGURE_COLUMNS.map((column) => [column, COUNT_COLUMNS.has(column) ? new Uint32Array(capacity) : new Float64Array(capacity)])) as RunIndexArrays['figures'],
      };
      this.#dictionaries = Object.fromEntries(CODED_COLUMNS.map((column) => [column, new Dictionary()])) as Record<CodedColumn, Dictionary>;
    }
    this.#chains = Object.fromEntries(CODED_COLUMNS.map((column) => [column, new Int32Array(this.#arrays.offsets.length)])) as Record<CodedColumn, Int32Array>;
    this.#linkChains(0);
  }

  get rowCount(): number {
    return this.#rowCount;
  }

  get skipped(): number {
    return this.#skipped;
  }

  /** The index's content, for a snapshot (views of the live arrays, trimmed to the rows). */
  state(): RunIndexState {
    const rows = this.#rowCount;
    const arrays = this.#arrays;
    return {
      columns: this.columns,
      rowCount: rows,
      skipped: this.#skipped,
      arrays: {
        offsets: arrays.offsets.subarray(0, rows),
        lengths: arrays.lengths.subarray(0, rows),
        flags: arrays.flags.subarray(0, rows),
        runIdHashes: arrays.runIdHashes.subarray(0, rows),
        codes: Object.fromEntries(CODED_COLUMNS.map((column) => [column, arrays.codes[column].subarray(0, rows)])) as Record<CodedColumn, WholeNumbers>,
        figures: Object.fromEntries(FIGURE_COLUMNS.map((column) => [column, arrays.figures[column].subarray(0, rows)])) as RunIndexArrays['figures'],
      },
      dictionaries: Object.fromEntries(CODED_COLUMNS.map((column) => [column, this.#dictionaries[column].values])) as Record<CodedColumn, string[]>,
    };
  }

  /** Add one record of the file (skipped, and counted, when its field count is not the header's). */
  add(record: ScannedRecord): void {
    if (record.fieldCount !== this.columns.length) {
      this.#skipped += 1;
      return;
    }
    const row = this.#rowCount;
    if (row >= this.#arrays.offsets.length) this.#grow();
    const { codes, figures, flags, runIdHashes } = this.#arrays;
    const positions = this.#positions;
    this.#setWhole(this.#arrays, 'offsets', row, record.start);
    this.#setWhole(this.#arrays, 'lengths', row, record.end - record.start);
    for (let index = 0; index < CODED_COLUMNS.length; index++) {
      const column = CODED_COLUMNS[index] as CodedColumn;
      const dictionary = this.#dictionaries[column];
      const code = dictionary.intern(fieldOf(record, positions[index] as number));
      this.#setWhole(codes, column, row, code);
      this.#chains[column][row] = dictionary.addRow(code, row);
    }
    figures.ts[row] = timestampOf(fieldOf(record, positions.ts));
    figures.latency_ms[row] = readRunField('latency_ms', fieldOf(record, positions.latency_ms));
    figures.ttft_ms[row] = optionalNumber('ttft_ms', fieldOf(record, positions.ttft_ms));
    figures.tokens_per_s[row] = optionalNumber('tokens_per_s', fieldOf(record, positions.tokens_per_s));
    figures.cost_usd[row] = optionalNumber('cost_usd', fieldOf(record, positions.cost_usd));
    this.#setWhole(figures, 'prompt_tokens', row, readRunField('prompt_tokens', fieldOf(record, positions.prompt_tokens)));
    this.#setWhole(figures, 'completion_tokens', row, readRunField('completion_tokens', fieldOf(record, positions.completion_tokens)));
    this.#setWhole(figures, 'total_tokens', row, readRunField('total_tokens', fieldOf(record, positions.total_tokens)));
    const aborted = readRunField('aborted', fieldOf(record, positions.aborted));
    flags[row] = (aborted ? ABORTED : 0) | (fieldOf(record, positions.error) !== '' ? ERRORED : 0);
    runIdHashes[row] = hashRunId(fieldOf(record, positions.run_id));
    this.#rowCount = row + 1;
  }

  /** Store a whole number, widening its array (2 → 4 → 8 bytes a number) when it does not fit. */
  #setWhole<Key extends string>(arrays: Record<Key, Float64Array | WholeNumbers>, key: Key, row: number, value: number): void {
    let array = arrays[key];
    const fits = (limit: number) => Number.isInteger(value) && value >= 0 && value <= limit;
    if (array instanceof Uint16Array && !fits(0xffff)) {
      const wide = fits(0xffff_ffff) ? new Uint32Array(array.length) : new Float64Array(array.length);
      wide.set(array);
      arrays[key] = array = wide;
    }
    if (array instanceof Uint32Array && !fits(0xffff_ffff)) {
      const wide = new Float64Array(array.length);
      wide.set(array);
      arrays[key] = array = wide;
    }
    array[row] = value;
  }

  /** The byte range of `row` in runs.csv. */
  range(row: number): { start: number; end: number } {
    const start = this.#arrays.offsets[row] as number;
    return { start, end: start + (this.#arrays.lengths[row] as number) };
  }

  /** Rows whose run_id hashes like `runId`, oldest first (check each against the file). */
  runIdCandidates(runId: string): number[] {
    const hash = hashRunId(runId);
    const hashes = this.#arrays.runIdHashes;
    const rows: number[] = [];
    for (let row = 0; row < this.#rowCount; row++) if (hashes[row] === hash) rows.push(row);
    return rows;
  }

  /** The rows matching the filter, oldest first (`limit`: the last N), as applyRunFilter reads it. */
  match(filter: RunFilter, options: { reuse?: boolean } = {}): Int32Array {
    const output = (length: number): Int32Array => (options.reuse ? this.#scratchRows(length) : new Int32Array(length));
    const criteria: Array<{ column: CodedColumn; code: number }> = [];
    const equalities: Array<[CodedColumn, string | undefined]> = [
      ['experiment_id', filter.experiment_id],
      ['task_label', filter.task_label],
      ['model', filter.model],
      ['session_id', filter.session_id],
      ['bakeoff_id', filter.bakeoff_id],
    ];
    for (const [column, value] of equalities) {
      if (value === undefined) continue;
      const code = this.#dictionaries[column].code(value);
      if (code === undefined) return new Int32Array(0);
      criteria.push({ column, code });
    }
    const agent = this.#agentCodes(filter.agent);
    if (agent === null) return new Int32Array(0);
    const since = filter.since ? Date.parse(filter.since) : undefined;
    const limit = filter.limit ? filter.limit : Number.POSITIVE_INFINITY;

    const codes = this.#arrays.codes;
    const ts = this.#arrays.figures.ts;
    const accepts = (row: number): boolean => {
      for (const criterion of criteria) if (codes[criterion.column][row] !== criterion.code) return false;
      if (agent && codes.agent_name[row] !== agent.name && codes.agent_id[row] !== agent.id) return false;
      return since === undefined || (ts[row] as number) >= since;
    };

    // No criterion: the last `limit` rows, without a walk.
    if (criteria.length === 0 && !agent && since === undefined) {
      const from = Math.max(0, this.#rowCount - Math.min(limit, this.#rowCount));
      const rows = output(this.#rowCount - from);
      for (let index = 0; index < rows.length; index++) rows[index] = from + index;
      return rows;
    }

    // Walk the shortest posting list (the agent's is two, merged), newest first, filling from the end.
    const shortest = criteria.reduce<{ column: CodedColumn; code: number; count: number } | undefined>((best, criterion) => {
      const count = this.#count(criterion.column, criterion.code);
      return best === undefined || count < best.count ? { ...criterion, count } : best;
    }, undefined);
    const agentCount = agent ? this.#count('agent_name', agent.name) + this.#count('agent_id', agent.id) : Number.POSITIVE_INFINITY;
    const walked = Math.min(shortest?.count ?? this.#rowCount, agentCount, this.#rowCount);
    const found = output(Math.min(walked, limit));
    let free = found.length;
    const collect = (row: number): boolean => {
      if (accepts(row)) found[--free] = row;
      return free > 0;
    };
    if (found.length === 0) return found;
    if (shortest && shortest.count <= agentCount) {
      const chain = this.#chains[shortest.column];
      for (let row = this.#dictionaries[shortest.column].last[shortest.code] as number; row !== NONE; row = chain[row] as number) if (!collect(row)) break;
    } else if (agent) {
      let byName = agent.name === NONE ? NONE : (this.#dictionaries.agent_name.last[agent.name] as number);
      let byId = agent.id === NONE ? NONE : (this.#dictionaries.agent_id.last[agent.id] as number);
      while (byName !== NONE || byId !== NONE) {
        const row = Math.max(byName, byId);
        if (byName === row) byName = this.#chains.agent_name[row] as number;
        if (byId === row) byId = this.#chains.agent_id[row] as number;
        if (!collect(row)) break;
      }
    } else {
      for (let row = this.#rowCount - 1; row >= 0; row--) if (!collect(row)) break;
    }
    return found.subarray(free);
  }

  /**
   * The experiments as `experimentsOf` lists them, from the experiment_id dictionary alone:
   * each value's row count and its first and last rows (their times from the ts column), so
   * the cost follows the number of experiments, not of runs.
   */
  listExperiments(query: ExperimentQuery): ExperimentRecord[] {
    const dictionary = this.#dictionaries.experiment_id;
    const times = this.#arrays.figures.ts;
    const codes: number[] = [];
    dictionary.values.forEach((value, code) => {
      if (value !== '' && (dictionary.counts[code] as number) > 0 && experimentMatches(value, query.q)) codes.push(code);
    });
    return codes
      .sort((a, b) => (dictionary.last[b] as number) - (dictionary.last[a] as number))
      .slice(0, query.limit)
      .map((code) => ({
        experiment_id: dictionary.values[code] as string,
        runs: dictionary.counts[code] as number,
        first_run_at: runTimeIso(times[dictionary.first[code] as number] as number),
        last_run_at: runTimeIso(times[dictionary.last[code] as number] as number),
      }));
  }

  /**
   * Per-model figures over `rows` (oldest first), as summariseRuns computes them, from the
   * typed arrays alone: one pass in file order (sequential reads; sums per model add in file
   * order, as the reference does), each model's clean-run figures gathered into its own
   * slice of a scratch array, and percentiles by selection instead of sorting.
   */
  summarise(rows: Int32Array): ModelSummary[] {
    // `rows` may be the rows scratch (match with reuse): only the figures scratch is used below.
    const { codes, flags, figures } = this.#arrays;
    const modelCodes = codes.model;
    const modelCount = this.#dictionaries.model.values.length;
    const counts = new Int32Array(modelCount);
    for (let index = 0; index < rows.length; index++) {
      const code = modelCodes[rows[index] as number] as number;
      counts[code] = (counts[code] as number) + 1;
    }
    const starts = new Int32Array(modelCount + 1);
    for (let code = 0; code < modelCount; code++) starts[code + 1] = (starts[code] as number) + (counts[code] as number);
    const speedSums = new Float64Array(modelCount);
    const costSums = new Float64Array(modelCount);
    const promptSums = new Float64Array(modelCount);
    const completionSums = new Float64Array(modelCount);
    const totalSums = new Float64Array(modelCount);
    const pricedCounts = new Int32Array(modelCount);
    const errorCounts = new Int32Array(modelCount);
    const abortCounts = new Int32Array(modelCount);
    const { latency_ms: latencies, ttft_ms: ttfts, tokens_per_s: speeds, cost_usd: costs, prompt_tokens: prompts, completion_tokens: completions, total_tokens: totals } = figures;
    for (let index = 0; index < rows.length; index++) {
      const row = rows[index] as number;
      const code = modelCodes[row] as number;
      const flag = flags[row] as number;
      if (flag === 0) {
        const speed = speeds[row] as number;
        if (speed === speed) speedSums[code] = (speedSums[code] as number) + speed;
      } else if (flag & ABORTED) abortCounts[code] = (abortCounts[code] as number) + 1;
      else errorCounts[code] = (errorCounts[code] as number) + 1;
      const cost = costs[row] as number;
      if (cost === cost) {
        pricedCounts[code] = (pricedCounts[code] as number) + 1;
        costSums[code] = (costSums[code] as number) + cost;
      }
      promptSums[code] = (promptSums[code] as number) + (prompts[row] as number);
      completionSums[code] = (completionSums[code] as number) + (completions[row] as number);
      totalSums[code] = (totalSums[code] as number) + (totals[row] as number);
    }

    // One scratch array, reused per measure: each model's clean-run values in its own slice.
    const scratch = this.#scratchFigures(rows.length);
    const gather = (values: Float64Array | WholeNumbers): Int32Array => {
      const ends = starts.slice(0, modelCount);
      for (let index = 0; index < rows.length; index++) {
        const row = rows[index] as number;
        if (flags[row] !== 0) continue;
        const value = values[row] as number;
        if (value !== value) continue; // unknown (NaN)
        const code = modelCodes[row] as number;
        scratch[ends[code] as number] = value;
        ends[code] = (ends[code] as number) + 1;
      }
      return ends;
    };
    const latency: Percentiles[] = [];
    const ttft: Percentiles[] = [];
    const speed: Array<{ count: number; p50: number | null }> = [];
    let ends = gather(latencies);
    for (let code = 0; code < modelCount; code++) latency[code] = percentiles(scratch.subarray(starts[code], ends[code]));
    ends = gather(ttfts);
    for (let code = 0; code < modelCount; code++) ttft[code] = percentiles(scratch.subarray(starts[code], ends[code]));
    ends = gather(speeds);
    for (let code = 0; code < modelCount; code++) {
      const count = (ends[code] as number) - (starts[code] as number);
      speed[code] = { count, p50: count > 0 ? selectInPlace(scratch.subarray(starts[code], ends[code]), nearestRank(count, 0.5)) : null };
    }

    const summaries: ModelSummary[] = [];
    for (let code = 0; code < modelCount; code++) {
      const count = counts[code] as number;
      if (count === 0) continue;
      summaries.push(
        summariseModel({
          model: this.#dictionaries.model.values[code] as string,
          count,
          latency: latency[code] as Percentiles,
          ttft: ttft[code] as Percentiles,
          tokensPerSecond: { sum: speedSums[code] as number, ...(speed[code] as { count: number; p50: number | null }) },
          pricedCount: pricedCounts[code] as number,
          totalCost: costSums[code] as number,
          tokens: { prompt: promptSums[code] as number, completion: completionSums[code] as number, total: totalSums[code] as number },
          errorCount: errorCounts[code] as number,
          abortCount: abortCounts[code] as number,
        }),
      );
    }
    return summaries.sort(compareModelSummaries);
  }

  #count(column: CodedColumn, code: number): number {
    return code === NONE ? 0 : (this.#dictionaries[column].counts[code] as number);
  }

  /** The agent filter's codes (-1 where the value is not known in that column); null when it matches nothing; undefined without one. */
  #agentCodes(agent: string | undefined): { name: number; id: number } | null | undefined {
    if (agent === undefined) return undefined;
    const name = this.#dictionaries.agent_name.code(agent) ?? NONE;
    const id = this.#dictionaries.agent_id.code(agent) ?? NONE;
    return name === NONE && id === NONE ? null : { name, id };
  }

  /**
   * Scratch arrays the summary reuses from call to call (a history-sized allocation per call
   * would leave the process's memory high): valid until the next synchronous use only.
   */
  #rowsScratch = new Int32Array(0);
  #figuresScratch = new Float64Array(0);

  #scratchRows(length: number): Int32Array {
    if (this.#rowsScratch.length < length) this.#rowsScratch = new Int32Array(Math.max(length, this.#arrays.offsets.length));
    return this.#rowsScratch.subarray(0, length);
  }

  #scratchFigures(length: number): Float64Array {
    if (this.#figuresScratch.length < length) this.#figuresScratch = new Float64Array(Math.max(length, this.#arrays.offsets.length));
    return this.#figuresScratch.subarray(0, length);
  }

  /** Make room for `rows` rows at once (a build that knows about how many to expect), instead of growing step by step. */
  reserve(rows: number): void {
    if (rows > this.#arrays.offsets.length) this.#grow(rows);
  }

  #grow(minimum = 0): void {
    const capacity = Math.max(1024, minimum, Math.ceil(this.#arrays.offsets.length * (this.#arrays.offsets.length < 1 << 20 ? 2 : 1.25)));
    const arrays = this.#arrays;
    this.#arrays = {
      offsets: grown(arrays.offsets, capacity),
      lengths: grown(arrays.lengths, capacity),
      flags: grown(arrays.flags, capacity),
      runIdHashes: grown(arrays.runIdHashes, capacity),
      codes: Object.fromEntries(CODED_COLUMNS.map((column) => [column, grown(arrays.codes[column], capacity)])) as Record<CodedColumn, WholeNumbers>,
      figures: Object.fromEntries(FIGURE_COLUMNS.map((column) => [column, grown(arrays.figures[column], capacity)])) as RunIndexArrays['figures'],
    };
    this.#chains = Object.fromEntries(CODED_COLUMNS.map((column) => [column, grown(this.#chains[column], capacity)])) as Record<CodedColumn, Int32Array>;
  }

  /** Rebuild the posting chains of rows from `from` on (after restoring a snapshot's arrays). */
  #linkChains(from: number): void {
    for (const column of CODED_COLUMNS) {
      const dictionary = this.#dictionaries[column];
      const codes = this.#arrays.codes[column];
      const chain = this.#chains[column];
      for (let row = from; row < this.#rowCount; row++) chain[row] = dictionary.addRow(codes[row] as number, row);
    }
  }
}

function fieldOf(record: ScannedRecord, position: number): string {
  return position === -1 ? '' : record.field(position);
}

/** The lab's own form of `ts`, which normalises to itself. */
const CANONICAL_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** `Date.parse` of the run's `ts` as the row schema reads it (NaN when it is not a time). */
function timestampOf(value: string): number {
  return Date.parse(CANONICAL_TIMESTAMP.test(value) ? value : readRunField('ts', value));
}

/** An optional number column as the row schema reads it, NaN for unknown (null). */
function optionalNumber(column: 'ttft_ms' | 'tokens_per_s' | 'cost_usd', value: string): number {
  return value === '' ? Number.NaN : (readRunField(column, value) ?? Number.NaN);
}

/** Nearest-rank p50 and p95 of `values` (reordered in place). */
function percentiles(values: Float64Array): Percentiles {
  if (values.length === 0) return { p50: null, p95: null };
  const p95 = selectInPlace(values, nearestRank(values.length, 0.95));
  // Everything before the p95's index is ≤ it: the p50 is among them.
  const p50Rank = nearestRank(values.length, 0.5);
  return { p50: selectInPlace(values, p50Rank, { to: Math.max(p50Rank + 1, nearestRank(values.length, 0.95)) }), p95 };
}
