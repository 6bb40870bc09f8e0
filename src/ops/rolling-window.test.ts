import { describe, expect, it } from 'vitest';
import { RollingCounters, RollingHistogram } from './rolling-window.js';

describe('RollingCounters', () => {
  it('sums over the window and forgets what fell out of it', () => {
    let now = 1_000_000;
    const counters = new RollingCounters({ keys: ['a', 'b'] as const, slotMs: 1000, slots: 10, now: () => now });
    counters.add('a', 2);
    counters.add('b');
    now += 5000;
    counters.add('a');
    expect(counters.sums()).toEqual({ a: 3, b: 1 });
    expect(counters.sums(3000)).toEqual({ a: 1, b: 0 });
    now += 6000;
    expect(counters.sums()).toEqual({ a: 1, b: 0 });
    now += 20_000;
    expect(counters.sums()).toEqual({ a: 0, b: 0 });
  });
});

describe('RollingHistogram', () => {
  it('estimates percentiles within a few percent, with memory bounded by the bins', () => {
    let now = 0;
    const histogram = new RollingHistogram({ slotMs: 1000, slots: 60, now: () => now });
    for (let value = 1; value <= 10_000; value += 1) {
      histogram.record(value / 10);
      if (value % 100 === 0) now += 100;
    }
    const [p50, p95, p99] = histogram.percentiles([0.5, 0.95, 0.99]);
    expect(p50).toBeGreaterThan(500 * 0.96);
    expect(p50).toBeLessThan(500 * 1.05);
    expect(p95).toBeGreaterThan(950 * 0.96);
    expect(p95).toBeLessThan(950 * 1.05);
    expect(p99).toBeLessThanOrEqual(1000);
    expect(histogram.count()).toBe(10_000);
    now += 120_000;
    expect(histogram.percentiles([0.5])).toEqual([null]);
  });
});
