import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nearestRank, selectInPlace } from './order-statistics.js';

describe('selectInPlace', () => {
  it('finds the k-th smallest, as sorting would, for any numbers and any k', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer({ min: -50, max: 50 }), fc.double({ noNaN: true, noDefaultInfinity: true })), { minLength: 1, maxLength: 3000 }), fc.nat(), (numbers, seed) => {
        const sorted = [...numbers].sort((a, b) => a - b);
        const k = seed % numbers.length;
        expect(selectInPlace(Float64Array.from(numbers), k)).toBe(sorted[k]);
      }),
      { numRuns: 300 },
    );
  });

  it('finds the nearest-rank p50 and p95 of a large array', () => {
    const values = Float64Array.from({ length: 10_001 }, (_, index) => (index * 7919) % 10_001);
    expect(selectInPlace(values.slice(), nearestRank(values.length, 0.5))).toBe(5000);
    expect(selectInPlace(values.slice(), nearestRank(values.length, 0.95))).toBe(9500);
  });
});
