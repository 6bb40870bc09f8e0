import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { labFetch } from './client.js';
import type { ChatEvent, ChatRequest } from './types.js';

/**
 * `POST /api/chat` as a stream of ChatEvents: fetch + a ReadableStream reader, SSE parsed
 * by eventsource-parser. Aborting `signal` closes the connection, which stops the run.
 */

const EVENT_NAMES = new Set<ChatEvent['type']>(['run-start', 'text-delta', 'tool-call', 'tool-result', 'run-end', 'error']);

/** One SSE message → a ChatEvent; unknown events and bad JSON become null (the lab may add events). */
export function toChatEvent(message: EventSourceMessage): ChatEvent | null {
  const name = message.event ?? 'message';
  if (!EVENT_NAMES.has(name as ChatEvent['type'])) return null;
  let data: unknown;
  try {
    data = JSON.parse(message.data);
  } catch {
    return name === 'error'
      ? { type: 'error', code: 'client:bad_event', message: message.data || 'The lab sent an unreadable error.', retryable: true }
      : null;
  }
  if (data === null || typeof data !== 'object') return null;
  return { ...(data as object), type: name } as ChatEvent;
}

/** Streams one chat turn, calling `onEvent` for each event in order; resolves when the stream ends. */
export async function streamChat(options: {
  request: ChatRequest;
  signal: AbortSignal;
  onEvent: (event: ChatEvent) => void;
}): Promise<void> {
  const { request, signal, onEvent } = options;
  const response = await labFetch('/api/chat', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify(request),
    signal,
  });
  const contentType = response.headers.get('content-type') ?? '';
  if (!contentType.includes('text/event-stream')) {
    // A server answering without a stream: one JSON body with the run.
    const body = (await response.json()) as { run?: ChatEvent & { type: 'run-end' } };
    if (body.run) onEvent({ type: 'run-end', run: body.run as never });
    return;
  }
  if (!response.body) throw new Error('The chat response had no body to read.');

  const parser = createParser({
    onEvent: (message) => {
      const event = toChatEvent(message);
      if (event) onEvent(event);
    },
  });
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  const stopReading = (): void => void reader.cancel().catch(() => undefined);
  signal.addEventListener('abort', stopReading, { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (signal.aborted) break;
      parser.feed(value);
    }
  } finally {
    signal.removeEventListener('abort', stopReading);
    reader.releaseLock();
  }
}
