/**
 * The provider layer: an OpenAI-compatible (OpenRouter) chat provider that streams parts,
 * the retry + circuit-breaker wrapper, the model catalog and cost computation.
 */
export type { ChatProvider, ChatRequest } from './provider.js';
export {
  createOpenAICompatibleProvider,
  httpError,
  parseRetryAfter,
  ProviderHttpError,
  type OpenAICompatibleProviderOptions,
} from './openai-compatible.js';
export { createStreamDecoder, type StreamDecoder } from './stream-decoder.js';
export {
  createResilientProvider,
  type BreakerStateName,
  type BreakerStatus,
  type ResilientProvider,
  type ResilientProviderOptions,
} from './resilience.js';
export { ModelCatalog, type CatalogModel, type CatalogSnapshot, type CatalogStatus, type ModelCatalogOptions } from './catalog.js';
export { FALLBACK_MODELS } from './fallback-models.js';
export { computeCost, parsePrice } from './pricing.js';
