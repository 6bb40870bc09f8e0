import { describe, expect, it } from 'vitest';
import { formatContext, formatCost, formatModelPrice, pricePerMillion } from './format.js';

describe('prices and costs as the UI shows them', () => {
  it('turns per-token prices (strings) into USD per 1M tokens', () => {
    expect(pricePerMillion('0.00000015')).toBeCloseTo(0.15, 10);
    expect(formatModelPrice({ id: 'a', pricing: { prompt: '0.00000015', completion: '0.0000006' } })).toBe('$0.15 / $0.60 per 1M');
    expect(formatModelPrice({ id: 'b', pricing: { prompt: '0.0000025', completion: '0.00001' } })).toBe('$2.50 / $10.00 per 1M');
    expect(formatModelPrice({ id: 'free', pricing: { prompt: '0', completion: '0' } })).toBe('$0 / $0 per 1M');
  });

  it('says "unpriced" for a missing, null or negative (router) price, never a made-up number', () => {
    expect(formatModelPrice({ id: 'c', pricing: null })).toBe('unpriced');
    expect(formatModelPrice({ id: 'd' })).toBe('unpriced');
    expect(formatModelPrice({ id: 'auto', pricing: { prompt: '-1', completion: '-1' } })).toBe('unpriced');
    expect(formatCost(null)).toBe('unpriced');
    expect(formatCost(0.0000123)).toBe('$0.0000123');
    expect(formatCost(0.25)).toBe('$0.2500');
  });

  it('shortens context lengths', () => {
    expect(formatContext(128000)).toBe('128k');
    expect(formatContext(131072)).toBe('128k');
    expect(formatContext(8192)).toBe('8,192');
    expect(formatContext(null)).toBe('—');
  });
});
