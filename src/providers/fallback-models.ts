import type { CatalogModel } from './catalog.js';

/**
 * The curated list shown when the provider's catalog cannot be fetched: well-known models
 * with their list prices in USD per token (OpenRouter's unit), as published in 2026.
 */
const CURATED: Array<[id: string, name: string, contextLength: number, prompt: number, completion: number]> = [
  ['openai/gpt-4o-mini', 'OpenAI: GPT-4o-mini', 128_000, 0.00000015, 0.0000006],
  ['openai/gpt-4o', 'OpenAI: GPT-4o', 128_000, 0.0000025, 0.00001],
  ['openai/gpt-3.5-turbo', 'OpenAI: GPT-3.5 Turbo', 16_385, 0.0000005, 0.0000015],
  ['openai/gpt-4.1', 'OpenAI: GPT-4.1', 1_047_576, 0.000002, 0.000008],
  ['openai/gpt-4.1-mini', 'OpenAI: GPT-4.1 Mini', 1_047_576, 0.0000004, 0.0000016],
  ['openai/gpt-4.1-nano', 'OpenAI: GPT-4.1 Nano', 1_047_576, 0.0000001, 0.0000004],
  ['anthropic/claude-3.5-haiku', 'Anthropic: Claude 3.5 Haiku', 200_000, 0.0000008, 0.000004],
  ['anthropic/claude-sonnet-4', 'Anthropic: Claude Sonnet 4', 200_000, 0.000003, 0.000015],
  ['google/gemini-2.5-flash', 'Google: Gemini 2.5 Flash', 1_048_576, 0.0000003, 0.0000025],
  ['google/gemini-2.5-pro', 'Google: Gemini 2.5 Pro', 1_048_576, 0.00000125, 0.00001],
];

export const FALLBACK_MODELS: readonly CatalogModel[] = CURATED.map(([id, name, contextLength, prompt, completion]) => ({
  id,
  name,
  provider: id.split('/')[0]!,
  context_length: contextLength,
  pricing: { prompt, completion },
  source: 'fallback',
}));
