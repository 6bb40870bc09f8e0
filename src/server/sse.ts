import type { FastifyReply, FastifyRequest } from 'fastify';

/** Interval of `: keep-alive` comments while a stream waits (proxies close idle streams). */
export const KEEP_ALIVE_MS = 15_000;

/**
 * A Server-Sent Events response: `event: <name>` plus one `data:` line of JSON per event.
 * `signal` aborts when the client goes away, so the work behind the stream stops at once.
 */
export interface SseStream {
  send(event: string, data: unknown): void;
  /** An unnamed event: one `data:` line (OpenAI's stream format); `text` must be one line. */
  data(text: string): void;
  comment(text: string): void;
  end(): void;
  readonly signal: AbortSignal;
  readonly closed: boolean;
}

/**
 * One timer per keep-alive period for every open stream (a timer per stream cost a timer
 * set-up and clean-up per request): each tick sends `: keep-alive` to every stream open at
 * that moment, so a waiting stream hears from the lab at least once per period.
 */
const keepAliveGroups = new Map<number, { timer: NodeJS.Timeout; streams: Set<() => void> }>();

function watchKeepAlive(ping: () => void, periodMs: number): () => void {
  let group = keepAliveGroups.get(periodMs);
  if (!group) {
    const streams = new Set<() => void>();
    const timer = setInterval(() => {
      for (const send of streams) send();
    }, periodMs);
    timer.unref();
    group = { timer, streams };
    keepAliveGroups.set(periodMs, group);
  }
  const { streams } = group;
  streams.add(ping);
  return () => {
    streams.delete(ping);
    if (streams.size === 0 && keepAliveGroups.get(periodMs)?.streams === streams) {
      clearInterval(keepAliveGroups.get(periodMs)!.timer);
      keepAliveGroups.delete(periodMs);
    }
  };
}

/**
 * Start an SSE response on `reply`. The reply is hijacked and the events are written straight
 * to the raw response (no stream piped through Fastify's send: a Readable, two end-of-stream
 * watchers and a pipe per request, and a push → 'data' → write hop per event). The lab's
 * hooks still see it: the request id and security headers were set on the raw response in
 * onRequest, and the access log and metrics listen for the raw response's 'close'; headers
 * set on the reply before this call are carried over.
 */
export function openSse(request: FastifyRequest, reply: FastifyReply, options: { keepAliveMs?: number } = {}): SseStream {
  const res = reply.raw;
  const controller = new AbortController();
  let ended = false;
  const write = (text: string) => {
    if (!ended && !res.destroyed) res.write(text);
  };
  const stopKeepAlive = watchKeepAlive(() => write(': keep-alive\n\n'), options.keepAliveMs ?? KEEP_ALIVE_MS);

  const finish = () => {
    if (ended) return;
    ended = true;
    stopKeepAlive();
    if (!res.writableEnded && !res.destroyed) res.end();
  };
  res.on('close', () => {
    if (!res.writableFinished && !controller.signal.aborted) {
      request.log.info('Client disconnected from the stream');
      controller.abort(new DOMException('client disconnected', 'AbortError'));
    }
    finish();
  });

  reply.hijack();
  const replyHeaders = reply.getHeaders();
  for (const name of Object.keys(replyHeaders)) {
    const value = replyHeaders[name];
    if (value !== undefined) res.setHeader(name, value);
  }
  res.statusCode = reply.statusCode;
  res.setHeader('content-type', 'text/event-stream; charset=utf-8');
  res.setHeader('cache-control', 'no-cache, no-transform');
  res.setHeader('x-accel-buffering', 'no');
  res.setHeader('connection', 'keep-alive');

  return {
    send(event, data) {
      if (/[\r\n]/.test(event)) throw new Error(`SSE event names cannot contain newlines: ${JSON.stringify(event)}`);
      write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    data(text) {
      if (/[\r\n]/.test(text)) throw new Error('SSE data written as one line cannot contain newlines');
      write(`data: ${text}\n\n`);
    },
    comment(text) {
      write(`: ${text.replace(/[\r\n]+/g, ' ')}\n\n`);
    },
    end: finish,
    signal: controller.signal,
    get closed() {
      return ended;
    },
  };
}
