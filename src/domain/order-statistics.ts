/**
 * The k-th smallest of numbers without sorting them all (Floyd–Rivest selection, expected
 * linear time): what a nearest-rank percentile needs. Reorders `values` in place, so that
 * afterwards everything before index k is ≤ values[k] and everything after is ≥ it.
 */
export function selectInPlace(values: Float64Array, k: number, options: { from?: number; to?: number } = {}): number {
  let left = options.from ?? 0;
  let right = (options.to ?? values.length) - 1;
  while (right > left) {
    if (right - left > 600) {
      // Narrow the range around k by a sample first (Floyd–Rivest).
      const size = right - left + 1;
      const position = k - left + 1;
      const z = Math.log(size);
      const s = 0.5 * Math.exp((2 * z) / 3);
      const deviation = 0.5 * Math.sqrt((z * s * (size - s)) / size) * (position - size / 2 < 0 ? -1 : 1);
      const newLeft = Math.max(left, Math.floor(k - (position * s) / size + deviation));
      const newRight = Math.min(right, Math.floor(k + ((size - position) * s) / size + deviation));
      selectInPlace(values, k, { from: newLeft, to: newRight + 1 });
    }
    const pivot = values[k] as number;
    let i = left;
    let j = right;
    swap(values, left, k);
    if ((values[right] as number) > pivot) swap(values, left, right);
    while (i < j) {
      swap(values, i, j);
      i += 1;
      j -= 1;
      while ((values[i] as number) < pivot) i += 1;
      while ((values[j] as number) > pivot) j -= 1;
    }
    if (values[left] === pivot) swap(values, left, j);
    else {
      j += 1;
      swap(values, j, right);
    }
    if (j <= k) left = j + 1;
    if (k <= j) right = j - 1;
  }
  return values[k] as number;
}

function swap(values: Float64Array, a: number, b: number): void {
  const held = values[a] as number;
  values[a] = values[b] as number;
  values[b] = held;
}

/** The nearest-rank index of a percentile among `count` values (as `percentile` in run-summary.ts). */
export function nearestRank(count: number, fraction: number): number {
  return Math.min(count - 1, Math.max(0, Math.ceil(fraction * count) - 1));
}
