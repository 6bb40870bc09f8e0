import { z } from 'zod';

/** The tools an agent may be given. `fetch_url` is off unless asked for. */
export const TOOL_NAMES = ['add_numbers', 'utc_now', 'fetch_url'] as const;
export type ToolName = (typeof TOOL_NAMES)[number];

/** Each AgentConfig field with its rule and no default (shared by create and update). */
const agentFields = {
  name: z.string().trim().min(1, 'name must be 1-100 characters').max(100, 'name must be 1-100 characters'),
  model: z.string().trim().min(1, 'model must be a non-empty model id').max(200, 'model must be at most 200 characters'),
  system_prompt: z.string().max(32_000, 'system_prompt must be at most 32,000 characters'),
  temperature: z.number().min(0, 'temperature must be between 0 and 2').max(2, 'temperature must be between 0 and 2'),
  top_p: z.number().min(0, 'top_p must be between 0 and 1').max(1, 'top_p must be between 0 and 1'),
  max_tokens: z
    .number()
    .int('max_tokens must be an integer')
    .min(1, 'max_tokens must be at least 1')
    .max(1_000_000, 'max_tokens must be at most 1,000,000'),
  seed: z.number().int('seed must be an integer').nullable(),
  tools: z
    .array(z.enum(TOOL_NAMES, { message: `tools may only contain ${TOOL_NAMES.join(', ')}` }))
    .max(TOOL_NAMES.length)
    .transform((tools) => [...new Set(tools)]),
};

/** What a client may send to create an agent; defaults as docs/api.md "Agents" lists them. */
export const agentInputSchema = z
  .object({
    name: agentFields.name,
    model: agentFields.model,
    system_prompt: agentFields.system_prompt.default(''),
    temperature: agentFields.temperature.default(0.7),
    top_p: agentFields.top_p.default(1),
    max_tokens: agentFields.max_tokens.default(1024),
    seed: agentFields.seed.optional().transform((seed) => seed ?? null),
    tools: agentFields.tools.default([]),
  })
  .strict();

export type AgentInput = z.input<typeof agentInputSchema>;

/** A stored agent. */
export const agentSchema = agentInputSchema.extend({
  id: z.string().min(1).max(64),
  created_at: z.string(),
  updated_at: z.string(),
});
export type Agent = z.output<typeof agentSchema>;

/** Partial update: any field of the input, validated by the same rules. */
export const agentUpdateSchema = z.object(agentFields).partial().strict();
export type AgentUpdate = z.output<typeof agentUpdateSchema>;
