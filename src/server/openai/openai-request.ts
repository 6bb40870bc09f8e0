import { z } from 'zod';
import { FIELD_CAPS } from '../../domain/run.js';
import { SESSION_ID_PATTERN } from '../../domain/session.js';
import type { TranscriptEntry } from '../../domain/session.js';
import type { ChatMessage, ToolChoice, ToolDefinition } from '../../domain/stream-part.js';
import type { ModelParameters, RunTags } from '../../runner/run-agent.js';

/**
 * The body of `POST /v1/chat/completions` (OpenAI's Chat Completions request), parsed at the
 * boundary. Fields the lab uses are checked strictly; OpenAI fields it does not use
 * (`user`, `logprobs`, `frequency_penalty`, ...) are accepted and ignored, so SDKs that send
 * them work unchanged.
 */

/** Content as a string or an array of text parts (`[{type: "text", text}]`). */
const textPartSchema = z.object({ type: z.literal('text', { message: 'only text content parts are supported' }), text: z.string() }).loose();
const contentSchema = z.union([z.string(), z.array(textPartSchema)], {
  message: 'content must be a string or an array of {type: "text", text} parts',
});

const toolCallSchema = z
  .object({
    id: z.string().min(1),
    type: z.literal('function').default('function'),
    function: z.object({ name: z.string().min(1), arguments: z.string() }).loose(),
  })
  .loose();

const messageSchema = z.discriminatedUnion(
  'role',
  [
    z.object({ role: z.enum(['system', 'developer']), content: contentSchema }).loose(),
    z.object({ role: z.literal('user'), content: contentSchema }).loose(),
    z
      .object({
        role: z.literal('assistant'),
        content: contentSchema.nullish(),
        tool_calls: z.array(toolCallSchema).nullish(),
      })
      .loose(),
    z.object({ role: z.literal('tool'), tool_call_id: z.string().min(1), content: contentSchema }).loose(),
  ],
  { message: 'role must be one of system, developer, user, assistant, tool' },
);
type OpenAiMessage = z.output<typeof messageSchema>;

const toolSchema = z
  .object({
    type: z.literal('function', { message: 'only function tools are supported' }),
    function: z
      .object({
        name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'function name must be 1-64 characters of A-Z, a-z, 0-9, _ or -'),
        description: z.string().optional(),
        parameters: z.record(z.string(), z.unknown()).optional(),
        strict: z.boolean().nullish(),
      })
      .loose(),
  })
  .loose();

const toolChoiceSchema = z.union([
  z.enum(['auto', 'none', 'required']),
  z.object({ type: z.literal('function'), function: z.object({ name: z.string().min(1) }) }),
]);

const tagValue = z.string().max(FIELD_CAPS.tag, `must be at most ${FIELD_CAPS.tag} characters`);

export const openAiChatRequestSchema = z
  .object({
    model: z.string({ message: 'model must be a string' }).trim().min(1, 'model must not be empty').max(300, 'model must be at most 300 characters'),
    messages: z.array(messageSchema, { message: 'messages must be an array of messages' }).min(1, 'messages must not be empty').max(10_000),
    stream: z.boolean().nullish(),
    stream_options: z.object({ include_usage: z.boolean().nullish() }).loose().nullish(),
    temperature: z.number().min(0, 'temperature must be between 0 and 2').max(2, 'temperature must be between 0 and 2').nullish(),
    top_p: z.number().min(0, 'top_p must be between 0 and 1').max(1, 'top_p must be between 0 and 1').nullish(),
    max_tokens: z.number().int('max_tokens must be an integer').min(1, 'max_tokens must be at least 1').nullish(),
    max_completion_tokens: z.number().int('max_completion_tokens must be an integer').min(1, 'max_completion_tokens must be at least 1').nullish(),
    seed: z.number().int('seed must be an integer').nullish(),
    stop: z.union([z.string(), z.array(z.string()).max(4, 'stop takes at most 4 sequences')]).nullish(),
    n: z.literal(1, { message: 'n must be 1: the lab returns one choice' }).nullish(),
    tools: z.array(toolSchema).max(128, 'at most 128 tools').nullish(),
    tool_choice: toolChoiceSchema.nullish(),
    response_format: z.object({ type: z.enum(['text', 'json_object', 'json_schema']) }).loose().nullish(),
    metadata: z.record(z.string(), tagValue).nullish(),
  })
  .loose();
export type OpenAiChatRequest = z.output<typeof openAiChatRequestSchema>;

/** The text of string-or-parts content. */
function contentText(content: z.output<typeof contentSchema> | null | undefined): string {
  if (content === null || content === undefined) return '';
  return typeof content === 'string' ? content : content.map((part) => part.text).join('');
}

/** The client's messages as the provider sees them (`developer` is sent as `system`). */
export function toChatMessages(messages: OpenAiMessage[]): ChatMessage[] {
  return messages.map((message): ChatMessage => {
    switch (message.role) {
      case 'system':
      case 'developer':
        return { role: 'system', content: contentText(message.content) };
      case 'user':
        return { role: 'user', content: contentText(message.content) };
      case 'tool':
        return { role: 'tool', tool_call_id: message.tool_call_id, content: contentText(message.content) };
      case 'assistant': {
        const calls = message.tool_calls ?? [];
        const text = contentText(message.content);
        return {
          role: 'assistant',
          content: text === '' && calls.length > 0 ? null : text,
          ...(calls.length > 0
            ? { tool_calls: calls.map((call) => ({ id: call.id, type: 'function' as const, function: { name: call.function.name, arguments: call.function.arguments } })) }
            : {}),
        };
      }
    }
  });
}

/** The client's tools in the provider's shape (a missing schema is an empty object schema). */
export function toToolDefinitions(tools: OpenAiChatRequest['tools']): ToolDefinition[] | undefined {
  if (!tools || tools.length === 0) return undefined;
  return tools.map(({ function: fn }) => ({
    type: 'function',
    function: {
      name: fn.name,
      description: fn.description ?? '',
      parameters: fn.parameters ?? { type: 'object', properties: {} },
      ...(fn.strict !== undefined && fn.strict !== null ? { strict: fn.strict } : {}),
    },
  }));
}

/** The request's own sampling parameters (only those it sets). */
export function requestParameters(body: OpenAiChatRequest): ModelParameters {
  const parameters: ModelParameters = {};
  if (body.temperature !== null && body.temperature !== undefined) parameters.temperature = body.temperature;
  if (body.top_p !== null && body.top_p !== undefined) parameters.topP = body.top_p;
  const maxTokens = body.max_completion_tokens ?? body.max_tokens;
  if (maxTokens !== null && maxTokens !== undefined) parameters.maxTokens = maxTokens;
  if (body.seed !== null && body.seed !== undefined) parameters.seed = body.seed;
  if (body.stop !== null && body.stop !== undefined) parameters.stop = typeof body.stop === 'string' ? [body.stop] : body.stop;
  if (body.response_format) parameters.responseFormat = body.response_format;
  return parameters;
}

/** `tool_choice` as the provider takes it. */
export function requestToolChoice(body: OpenAiChatRequest): ToolChoice | undefined {
  return body.tool_choice ?? undefined;
}

/** The lab's headers on `/v1/*`: tags and the session. */
export const LAB_HEADERS = {
  experiment: 'x-agent-lab-experiment',
  task: 'x-agent-lab-task',
  notes: 'x-agent-lab-notes',
  session: 'x-agent-lab-session',
} as const;

/**
 * The lab's headers, parsed (Node joins repeated custom headers into one string). Session:
 * absent → a new session; `none` → no session (runs.csv only); a session id → that session,
 * continued or created with that id.
 */
export const labHeadersSchema = z
  .object({
    [LAB_HEADERS.experiment]: tagValue.optional(),
    [LAB_HEADERS.task]: tagValue.optional(),
    [LAB_HEADERS.notes]: tagValue.optional(),
    [LAB_HEADERS.session]: z
      .string()
      .trim()
      .refine((value) => value.toLowerCase() === 'none' || SESSION_ID_PATTERN.test(value), 'must be "none" or a session id of 1-64 characters of A-Z, a-z, 0-9, _ or -')
      .transform((value) => (value.toLowerCase() === 'none' ? null : value))
      .optional(),
  })
  .loose();
export type LabHeaders = z.output<typeof labHeadersSchema>;

/** Tags from the headers, else from the body's `metadata` (`experiment_id`, `task_label`, `run_notes`); a header wins. */
export function requestTags(options: { headers: LabHeaders; metadata: OpenAiChatRequest['metadata'] }): RunTags {
  const { headers, metadata } = options;
  return {
    experiment_id: headers[LAB_HEADERS.experiment] ?? metadata?.experiment_id ?? '',
    task_label: headers[LAB_HEADERS.task] ?? metadata?.task_label ?? '',
    run_notes: headers[LAB_HEADERS.notes] ?? metadata?.run_notes ?? '',
  };
}

/** The one-line text of the turn: the last user message (names a new session). */
export function turnText(messages: OpenAiMessage[]): string {
  for (let index = messages.length - 1; index >= 0; index -= 1) {
    const message = messages[index]!;
    if (message.role === 'user') return contentText(message.content);
  }
  return '';
}

/**
 * What this request adds to its session: the messages after the last assistant message (the
 * new user message, or the results of tools the client ran, with each call's name and args).
 */
export function turnEntries(messages: OpenAiMessage[], ts: string): TranscriptEntry[] {
  let start = messages.length;
  while (start > 0 && messages[start - 1]!.role !== 'assistant') start -= 1;
  const calls = new Map<string, { name: string; args: string }>();
  const previous = messages[start - 1];
  if (previous?.role === 'assistant') for (const call of previous.tool_calls ?? []) calls.set(call.id, { name: call.function.name, args: call.function.arguments });
  return messages.slice(start).flatMap((message): TranscriptEntry[] => {
    if (message.role === 'user') return [{ role: 'user', content: contentText(message.content), ts }];
    if (message.role === 'tool') {
      const call = calls.get(message.tool_call_id);
      return [{ role: 'tool', content: contentText(message.content), ts, tool_call_id: message.tool_call_id, ...(call ? { name: call.name, args: call.args } : {}) }];
    }
    return [];
  });
}
