import { z } from 'zod';

/**
 * Small zod schemas for what OpenAI-compatible servers send, listing only the fields the
 * adapter uses. `.nullish()` wherever providers differ (OpenRouter, OpenAI, Ollama, vLLM).
 */

/** A number that may arrive as a JSON number (any form, `1.3e-05` included) or a numeric string. */
const looseNumber = z.union([z.number(), z.string().trim().regex(/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/).transform(Number)]);

export const usageSchema = z.object({
  prompt_tokens: looseNumber.nullish(),
  completion_tokens: looseNumber.nullish(),
  total_tokens: looseNumber.nullish(),
  cost: looseNumber.nullish(),
});

const toolCallDeltaSchema = z.object({
  index: z.number().int().nonnegative().nullish(),
  id: z.string().nullish(),
  function: z
    .object({
      name: z.string().nullish(),
      arguments: z.string().nullish(),
    })
    .nullish(),
});

export const providerErrorSchema = z.object({
  code: z.union([z.number(), z.string()]).nullish(),
  message: z.string().nullish(),
});

/** One `chat.completion.chunk` of a stream. */
export const chunkSchema = z.object({
  id: z.string().nullish(),
  model: z.string().nullish(),
  choices: z
    .array(
      z.object({
        index: z.number().nullish(),
        delta: z
          .object({
            content: z.string().nullish(),
            tool_calls: z.array(toolCallDeltaSchema).nullish(),
          })
          .nullish(),
        finish_reason: z.string().nullish(),
      }),
    )
    .nullish(),
  usage: usageSchema.nullish(),
  error: providerErrorSchema.nullish(),
});
export type Chunk = z.infer<typeof chunkSchema>;

/** A non-streaming `chat.completion`. */
export const completionSchema = z.object({
  id: z.string().nullish(),
  model: z.string().nullish(),
  choices: z
    .array(
      z.object({
        message: z
          .object({
            content: z.string().nullish(),
            tool_calls: z
              .array(
                z.object({
                  id: z.string().nullish(),
                  function: z.object({ name: z.string(), arguments: z.string().nullish() }),
                }),
              )
              .nullish(),
          })
          .nullish(),
        finish_reason: z.string().nullish(),
      }),
    )
    .nullish(),
  usage: usageSchema.nullish(),
  error: providerErrorSchema.nullish(),
});

/** The error body before streaming: `{"error": {"code", "message", "metadata"}}`. */
export const errorBodySchema = z.object({
  error: providerErrorSchema.extend({ metadata: z.record(z.string(), z.unknown()).nullish() }),
});
