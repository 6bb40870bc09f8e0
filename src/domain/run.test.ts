import { describe, expect, it } from 'vitest';
import { formatCost, formatMilliseconds, formatRate, measureTokensPerSecond, runToCsvFields, RUN_COLUMNS } from './run.js';
import type { RunRecord } from './run.js';
import { sampleRun } from './sample-run.js';

// Figures with float noise and more digits than runs.csv keeps.
const run = sampleRun({ latency_ms: 1234.56, ttft_ms: 210.04, tokens_per_s: 41.239999999, cost_usd: 21776.290000000001 });
const field = (record: RunRecord, column: string) => runToCsvFields(record)[RUN_COLUMNS.indexOf(column as never)];

describe('numbers in runs.csv, as a person writes them', () => {
  it('costs: no float noise, small costs keep their precision, never an exponent', () => {
    expect(formatCost(21776.290000000001)).toBe('21776.29');
    expect(formatCost(0.1 + 0.2)).toBe('0.3');
    expect(formatCost(0.000012345)).toBe('0.000012345');
    expect(formatCost(1.3e-5)).toBe('0.000013');
    expect(formatCost(1.2345678912345e-9)).toBe('0.000000001234567891');
    expect(formatCost(0)).toBe('0');
    expect(formatCost(5)).toBe('5');
    expect(formatCost(-1.5)).toBe('-1.5');
    for (const value of [1e-7, 3.3e-12, 123456789.123]) expect(formatCost(value)).not.toMatch(/e/i);
  });

  it('ms as integers or one decimal, tokens/s with two decimals', () => {
    expect(formatMilliseconds(1234)).toBe('1234');
    expect(formatMilliseconds(1234.56)).toBe('1234.6');
    expect(formatMilliseconds(210.04)).toBe('210');
    expect(formatRate(41.239999999)).toBe('41.24');
    expect(formatRate(12)).toBe('12');
  });

  it('a run row: cost, latency, ttft and tokens/s written that way; an unpriced or unmeasured figure is empty', () => {
    expect(field(run, 'cost_usd')).toBe('21776.29');
    expect(field(run, 'latency_ms')).toBe('1234.6');
    expect(field(run, 'ttft_ms')).toBe('210');
    expect(field(run, 'tokens_per_s')).toBe('41.24');
    expect(field({ ...run, cost_usd: null }, 'cost_usd')).toBe('');
    expect(field({ ...run, tokens_per_s: null }, 'tokens_per_s')).toBe('');
    expect(field({ ...run, cost_usd: 0 }, 'cost_usd')).toBe('0');
  });
});

describe('tokens/s', () => {
  it('completion tokens over the window from first to last token', () => {
    expect(measureTokensPerSecond({ completionTokens: 40, firstTokenAt: 100, lastTokenAt: 1100, chunks: 40 })).toBe(40);
    expect(measureTokensPerSecond({ completionTokens: 7, firstTokenAt: 0, lastTokenAt: 300, chunks: 5 })).toBe(23.33);
  });

  it('not measurable (null) when the window is under 50 ms or holds fewer than 5 chunks', () => {
    // Everything at once: the first release showed 20,000-120,000 tokens/s here.
    expect(measureTokensPerSecond({ completionTokens: 400, firstTokenAt: 10, lastTokenAt: 13, chunks: 400 })).toBeNull();
    expect(measureTokensPerSecond({ completionTokens: 400, firstTokenAt: 0, lastTokenAt: 49.9, chunks: 400 })).toBeNull();
    expect(measureTokensPerSecond({ completionTokens: 400, firstTokenAt: 0, lastTokenAt: 1000, chunks: 4 })).toBeNull();
    expect(measureTokensPerSecond({ completionTokens: 0, firstTokenAt: 0, lastTokenAt: 1000, chunks: 10 })).toBeNull();
    expect(measureTokensPerSecond({ completionTokens: 10, firstTokenAt: null, lastTokenAt: null, chunks: 0 })).toBeNull();
    expect(measureTokensPerSecond({ completionTokens: 5, firstTokenAt: 0, lastTokenAt: 50, chunks: 5 })).toBe(100);
  });
});
