/**
 * Rolling windows in time slots: counters and latency histograms whose memory depends only
 * on the number of slots (and, for histograms, on the spread of values), never on traffic.
 * A slot is reused once it falls out of the window, so old data ages out by itself.
 */

type Clock = () => number;

/** Named counters summed over the last `windowMs` (at most `slots × slotMs`). */
export class RollingCounters<Key extends string> {
  private readonly index: Map<Key, number>;
  private readonly values: Float64Array;
  private readonly slotNumbers: Float64Array;
  private readonly slotMs: number;
  private readonly slots: number;
  private readonly now: Clock;

  constructor(options: { keys: readonly Key[]; slotMs: number; slots: number; now?: Clock }) {
    this.slotMs = options.slotMs;
    this.slots = options.slots;
    this.now = options.now ?? Date.now;
    this.index = new Map(options.keys.map((key, position) => [key, position]));
    this.values = new Float64Array(options.slots * options.keys.length);
    this.slotNumbers = new Float64Array(options.slots).fill(-1);
  }

  /** The whole span this instance can answer for. */
  get spanMs(): number {
    return this.slotMs * this.slots;
  }

  add(key: Key, amount = 1): void {
    const slotNumber = Math.floor(this.now() / this.slotMs);
    const slot = slotNumber % this.slots;
    const width = this.index.size;
    if (this.slotNumbers[slot] !== slotNumber) {
      this.values.fill(0, slot * width, (slot + 1) * width);
      this.slotNumbers[slot] = slotNumber;
    }
    const position = slot * width + (this.index.get(key) ?? 0);
    this.values[position] = (this.values[position] ?? 0) + amount;
  }

  /** Every counter summed over the last `windowMs` (the whole span by default). */
  sums(windowMs = this.spanMs): Record<Key, number> {
    const width = this.index.size;
    const totals = new Float64Array(width);
    const current = Math.floor(this.now() / this.slotMs);
    const count = Math.min(this.slots, Math.max(1, Math.ceil(windowMs / this.slotMs)));
    for (let back = 0; back < count; back += 1) {
      const slotNumber = current - back;
      const slot = slotNumber % this.slots;
      if (slot < 0 || this.slotNumbers[slot] !== slotNumber) continue;
      for (let column = 0; column < width; column += 1) totals[column] = (totals[column] ?? 0) + (this.values[slot * width + column] ?? 0);
    }
    const result = {} as Record<Key, number>;
    for (const [key, column] of this.index) result[key] = totals[column] ?? 0;
    return result;
  }
}

/** Bins grow by 4 % from 0.01 ms: percentiles are within 4 % of the true value. */
const BIN_BASE = 0.01;
const BIN_RATIO = 1.04;
const LOG_RATIO = Math.log(BIN_RATIO);
const MAX_BIN = 600; // 0.01 ms × 1.04^600 ≈ 170 days: everything fits

function binOf(value: number): number {
  if (!(value > BIN_BASE)) return 0;
  return Math.min(MAX_BIN, Math.ceil(Math.log(value / BIN_BASE) / LOG_RATIO));
}

function upperEdge(bin: number): number {
  return BIN_BASE * BIN_RATIO ** bin;
}

interface HistogramSlot {
  slotNumber: number;
  bins: Map<number, number>;
  count: number;
  max: number;
}

/** Percentiles of values (milliseconds) recorded over the last `windowMs`. */
export class RollingHistogram {
  private readonly slotList: HistogramSlot[];
  private readonly slotMs: number;
  private readonly now: Clock;

  constructor(options: { slotMs: number; slots: number; now?: Clock }) {
    this.slotMs = options.slotMs;
    this.now = options.now ?? Date.now;
    this.slotList = Array.from({ length: options.slots }, () => ({ slotNumber: -1, bins: new Map(), count: 0, max: 0 }));
  }

  record(value: number): void {
    if (!Number.isFinite(value) || value < 0) return;
    const slotNumber = Math.floor(this.now() / this.slotMs);
    const slot = this.slotList[slotNumber % this.slotList.length] as HistogramSlot;
    if (slot.slotNumber !== slotNumber) {
      slot.slotNumber = slotNumber;
      slot.bins.clear();
      slot.count = 0;
      slot.max = 0;
    }
    const bin = binOf(value);
    slot.bins.set(bin, (slot.bins.get(bin) ?? 0) + 1);
    slot.count += 1;
    if (value > slot.max) slot.max = value;
  }

  private live(windowMs: number): HistogramSlot[] {
    const current = Math.floor(this.now() / this.slotMs);
    const oldest = current - Math.min(this.slotList.length, Math.max(1, Math.ceil(windowMs / this.slotMs))) + 1;
    return this.slotList.filter((slot) => slot.count > 0 && slot.slotNumber >= oldest && slot.slotNumber <= current);
  }

  /** Values recorded in the window. */
  count(windowMs = this.slotMs * this.slotList.length): number {
    return this.live(windowMs).reduce((sum, slot) => sum + slot.count, 0);
  }

  /**
   * Several percentiles at once (`quantiles` in 0–1), rounded to 0.1 ms; null when the
   * window holds no value.
   */
  percentiles(quantiles: readonly number[], windowMs = this.slotMs * this.slotList.length): Array<number | null> {
    const slots = this.live(windowMs);
    const total = slots.reduce((sum, slot) => sum + slot.count, 0);
    if (total === 0) return quantiles.map(() => null);
    const max = Math.max(...slots.map((slot) => slot.max));
    const merged = new Map<number, number>();
    for (const slot of slots) for (const [bin, count] of slot.bins) merged.set(bin, (merged.get(bin) ?? 0) + count);
    const bins = [...merged.entries()].sort((left, right) => left[0] - right[0]);
    return quantiles.map((quantile) => {
      const rank = Math.max(1, Math.ceil(quantile * total));
      let seen = 0;
      for (const [bin, count] of bins) {
        seen += count;
        if (seen >= rank) return Math.round(Math.min(upperEdge(bin), max) * 10) / 10;
      }
      return Math.round(max * 10) / 10;
    });
  }
}
