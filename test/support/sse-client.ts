import { createParser } from 'eventsource-parser';

export interface ReceivedEvent {
  event: string;
  data: any;
  /** `performance.now()` when the event arrived. */
  at: number;
}

/** POST a chat request and collect its SSE events (optionally stopping early). */
export async function postSse(options: {
  url: string;
  body: unknown;
  headers?: Record<string, string>;
  /** Called on every event; return true to disconnect at that point. */
  onEvent?: (event: ReceivedEvent, events: ReceivedEvent[]) => boolean | void;
}): Promise<{ status: number; headers: Headers; events: ReceivedEvent[]; disconnectedAt?: number; text: string }> {
  const controller = new AbortController();
  const response = await fetch(options.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...options.headers },
    body: JSON.stringify(options.body),
    signal: controller.signal,
  });
  const events: ReceivedEvent[] = [];
  if (!(response.headers.get('content-type') ?? '').includes('text/event-stream')) {
    return { status: response.status, headers: response.headers, events, text: await response.text() };
  }
  let disconnectedAt: number | undefined;
  const parser = createParser({
    onEvent: (message) => {
      if (disconnectedAt !== undefined) return;
      const event = { event: message.event ?? 'message', data: JSON.parse(message.data), at: performance.now() };
      events.push(event);
      if (options.onEvent?.(event, events)) {
        disconnectedAt = performance.now();
        controller.abort();
      }
    },
  });
  const decoder = new TextDecoder();
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      parser.feed(decoder.decode(chunk, { stream: true }));
      if (disconnectedAt !== undefined) break;
    }
  } catch (error) {
    if (disconnectedAt === undefined) throw error;
  }
  return { status: response.status, headers: response.headers, events, ...(disconnectedAt !== undefined ? { disconnectedAt } : {}), text: '' };
}

/** JSON request helper. */
export async function api(url: string, options: { method?: string; body?: unknown; headers?: Record<string, string>; raw?: string } = {}) {
  const response = await fetch(url, {
    method: options.method ?? (options.body !== undefined || options.raw !== undefined ? 'POST' : 'GET'),
    headers: { ...(options.body !== undefined || options.raw !== undefined ? { 'content-type': 'application/json' } : {}), ...options.headers },
    ...(options.raw !== undefined ? { body: options.raw } : options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await response.text();
  let json: any;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, json, text };
}
