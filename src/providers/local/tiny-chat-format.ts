/**
 * The shipped tiny model's chat template, applied here rather than through the GGUF's jinja
 * template so the token ids match training exactly (tools/local-model/chat_format.py):
 *
 *     <s><|system|>\n{system}<|end|>\n<|user|>\n{question}<|end|>\n<|assistant|>\n{answer}<|end|>\n
 *
 * The markers are control tokens inserted by id, so text typed by a user cannot forge them;
 * `<|end|>` is also the model's end-of-generation token.
 */
import type { LlamaModel, Token } from 'node-llama-cpp';
import type { ChatMessage } from '../../domain/stream-part.js';

const MARKERS = { system: '<|system|>', user: '<|user|>', assistant: '<|assistant|>', end: '<|end|>' } as const;

/** A message reduced to what the tiny template can show. */
export interface TemplateTurn {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** Chat messages → turns: tool results are shown to the model as user text; tool calls are dropped. */
export function toTemplateTurns(messages: readonly ChatMessage[]): TemplateTurn[] {
  return messages.map((message): TemplateTurn => {
    if (message.role === 'tool') return { role: 'user', content: `Tool result: ${message.content}` };
    return { role: message.role, content: message.content ?? '' };
  });
}

/** Renders turns plus the generation prompt (`<|assistant|>\n`) as token ids, BOS first. */
export function tinyPromptTokens(model: LlamaModel, turns: readonly TemplateTurn[]): Token[] {
  const marker = (text: string): Token => {
    const tokens = model.tokenize(text, true);
    if (tokens.length !== 1 || tokens[0] === undefined) throw new Error(`The model has no single token for ${text}`);
    return tokens[0];
  };
  const bos = model.tokens.bos;
  const tokens: Token[] = bos === null ? [] : [bos];
  for (const turn of turns) {
    tokens.push(marker(MARKERS[turn.role]), ...model.tokenize(`\n${turn.content}`, false), marker(MARKERS.end), ...model.tokenize('\n', false));
  }
  tokens.push(marker(MARKERS.assistant), ...model.tokenize('\n', false));
  return tokens;
}
