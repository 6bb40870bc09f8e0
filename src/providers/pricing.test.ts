import { describe, expect, it } from 'vitest';
import type { CatalogModel } from './catalog.js';
import { computeCost, parsePrice } from './pricing.js';

const model = (prompt: number | null, completion: number | null): CatalogModel => ({
  id: 'openai/gpt-4o-mini',
  name: 'GPT-4o-mini',
  provider: 'openai',
  context_length: 128000,
  pricing: { prompt, completion },
  source: 'dynamic',
});
const usage = { prompt_tokens: 1000, completion_tokens: 500, total_tokens: 1500 };

describe('computeCost', () => {
  it('uses the cost the provider reported, even in exponent form', () => {
    expect(computeCost({ usage: { ...usage, cost: Number('1.3e-05') }, model: model(1, 1) })).toBe(0.000013);
  });

  it('computes price × tokens from the catalog when the provider reported no cost', () => {
    expect(computeCost({ usage, model: model(0.00000015, 0.0000006) })).toBe(0.00045);
  });

  it('is zero for a free model', () => {
    expect(computeCost({ usage, model: model(0, 0) })).toBe(0);
  });

  it('is null (unpriced) when the price or the usage is unknown', () => {
    expect(computeCost({ usage, model: undefined })).toBeNull();
    expect(computeCost({ usage, model: model(null, null) })).toBeNull();
    expect(computeCost({ usage, model: model(0.000001, null) })).toBeNull();
    expect(computeCost({ usage: undefined, model: model(1, 1) })).toBeNull();
  });

  it('needs only the prices of the token kinds used', () => {
    expect(computeCost({ usage: { prompt_tokens: 10, completion_tokens: 0, total_tokens: 10 }, model: model(0.000001, null) })).toBe(0.00001);
  });
});

describe('parsePrice', () => {
  it('reads OpenRouter price strings and rejects "-1" and garbage', () => {
    expect(parsePrice('0.0000025')).toBe(0.0000025);
    expect(parsePrice('1.3e-05')).toBe(0.000013);
    expect(parsePrice('0')).toBe(0);
    expect(parsePrice('-1')).toBeNull();
    expect(parsePrice('')).toBeNull();
    expect(parsePrice('free')).toBeNull();
    expect(parsePrice(undefined)).toBeNull();
  });
});
