import type { Usage } from '../domain/stream-part.js';
import type { CatalogModel } from './catalog.js';

/**
 * What a run cost in USD: the provider's own figure (`usage.cost`) when it reported one,
 * else tokens × the catalog's per-token prices, else `null` — unpriced, never a guess.
 */
export function computeCost({ usage, model }: { usage: Usage | undefined; model: CatalogModel | undefined }): number | null {
  if (!usage) return null;
  if (usage.cost !== undefined && Number.isFinite(usage.cost) && usage.cost >= 0) return usage.cost;
  if (!model) return null;
  let total = 0;
  for (const [tokens, price] of [
    [usage.prompt_tokens, model.pricing.prompt],
    [usage.completion_tokens, model.pricing.completion],
  ] as const) {
    if (tokens === 0) continue;
    if (price === null) return null;
    total += tokens * price;
  }
  // Per-token prices are tiny: drop the binary-fraction noise (1e-12 USD is far below a cent).
  return Math.round(total * 1e12) / 1e12;
}

/** A per-token price as OpenRouter sends it (a string); "-1", missing or unparseable → null. */
export function parsePrice(value: unknown): number | null {
  const number = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  return Number.isFinite(number) && number >= 0 ? number : null;
}
