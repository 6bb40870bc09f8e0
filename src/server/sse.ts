import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** Interval of `: keep-alive` comments while a stream waits (proxies close idle streams). */
export const KEEP_ALIVE_MS = 15_000;

/**
 * A Server-Sent Events response: `event: <name>` plus one `data:` line of JSON per event.
 * `signal` aborts when the client goes away, so the work behind the stream stops at once.
 */
export interface SseStream {
  send(event: string, data: unknown): void;
  comment(text: string): void;
  end(): void;
  readonly signal: AbortSignal;
  readonly closed: boolean;
}

/** Start an SSE response on `reply` (Fastify keeps its hooks: access log, metrics). */
export function openSse(request: FastifyRequest, reply: FastifyReply, options: { keepAliveMs?: number } = {}): SseStream {
  // A Readable fed with push() (no Writable side to go through, as a PassThrough has).
  const body = new Readable({ read() {} });
  const controller = new AbortController();
  let ended = false;
  const keepAlive = setInterval(() => {
    if (!ended) body.push(': keep-alive\n\n');
  }, options.keepAliveMs ?? KEEP_ALIVE_MS);
  keepAlive.unref();

  const finish = () => {
    if (ended) return;
    ended = true;
    clearInterval(keepAlive);
    body.push(null);
  };
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished && !controller.signal.aborted) {
      request.log.info('Client disconnected from the stream');
      controller.abort(new DOMException('client disconnected', 'AbortError'));
    }
    finish();
  });

  reply
    .header('content-type', 'text/event-stream; charset=utf-8')
    .header('cache-control', 'no-cache, no-transform')
    .header('x-accel-buffering', 'no')
    .header('connection', 'keep-alive');
  void reply.send(body);

  return {
    send(event, data) {
      if (/[\r\n]/.test(event)) throw new Error(`SSE event names cannot contain newlines: ${JSON.stringify(event)}`);
      if (ended) return;
      body.push(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    comment(text) {
      if (ended) return;
      body.push(`: ${text.replace(/[\r\n]+/g, ' ')}\n\n`);
    },
    end: finish,
    signal: controller.signal,
    get closed() {
      return ended;
    },
  };
}
