import type { Agent, AgentInput, ToolName } from '../api/types.js';
import { TOOL_NAMES } from '../api/types.js';

/** The agent form's values, their defaults (docs/api.md "Agents") and their ranges. */

export const LIMITS = {
  temperature: { min: 0, max: 2, step: 0.05 },
  top_p: { min: 0, max: 1, step: 0.01 },
  max_tokens: { min: 1, max: 32_768, step: 1 },
} as const;

export function defaultDraft(model = ''): AgentInput {
  return { name: 'New agent', model, system_prompt: '', temperature: 0.7, top_p: 1, max_tokens: 1024, tools: [] };
}

function numberIn(value: unknown, fallback: number, range: { min: number; max: number }): number {
  return typeof value === 'number' && Number.isFinite(value) ? Math.min(range.max, Math.max(range.min, value)) : fallback;
}

/** Any agent-like object (a stored agent, a session's snapshot) → form values. */
export function toDraft(source: Partial<Agent> | null | undefined, fallbackModel = ''): AgentInput {
  const base = defaultDraft(fallbackModel);
  if (!source) return base;
  const tools = Array.isArray(source.tools)
    ? source.tools.filter((tool): tool is ToolName => (TOOL_NAMES as readonly string[]).includes(tool))
    : [];
  const draft: AgentInput = {
    name: typeof source.name === 'string' && source.name !== '' ? source.name : base.name,
    model: typeof source.model === 'string' && source.model !== '' ? source.model : base.model,
    system_prompt: typeof source.system_prompt === 'string' ? source.system_prompt : '',
    temperature: numberIn(source.temperature, base.temperature, LIMITS.temperature),
    top_p: numberIn(source.top_p, base.top_p, LIMITS.top_p),
    max_tokens: Math.round(numberIn(source.max_tokens, base.max_tokens, { min: 1, max: 1_000_000 })),
    tools,
  };
  if (typeof source.seed === 'number') draft.seed = source.seed;
  return draft;
}

export function sameDraft(a: AgentInput, b: AgentInput): boolean {
  return (
    a.name === b.name &&
    a.model === b.model &&
    a.system_prompt === b.system_prompt &&
    a.temperature === b.temperature &&
    a.top_p === b.top_p &&
    a.max_tokens === b.max_tokens &&
    (a.seed ?? null) === (b.seed ?? null) &&
    [...a.tools].sort().join() === [...b.tools].sort().join()
  );
}
