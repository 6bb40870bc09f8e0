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

/**
 * One timer per keep-alive period for every open stream (a timer per stream cost a timer
 * set-up and clean-up per request): each tick sends `: keep-alive` to every stream open at
 * that moment, so a waiting stream hears from the lab at least once per period.
 */
const keepAliveGroups = new Map<number, { timer: NodeJS.Timeout; streams: Set<Readable> }>();

function watchKeepAlive(body: Readable, periodMs: number): () => void {
  let group = keepAliveGroups.get(periodMs);
  if (!group) {
    const streams = new Set<Readable>();
    const timer = setInterval(() => {
      for (const stream of streams) stream.push(': keep-alive\n\n');
    }, periodMs);
    timer.unref();
    group = { timer, streams };
    keepAliveGroups.set(periodMs, group);
  }
  const { streams } = group;
  streams.add(body);
  return () => {
    streams.delete(body);
    if (streams.size === 0 && keepAliveGroups.get(periodMs)?.streams === streams) {
      clearInterval(keepAliveGroups.get(periodMs)!.timer);
      keepAliveGroups.delete(periodMs);
    }
  };
}

/** Start an SSE response on `reply` (Fastify keeps its hooks: access log, metrics). */
export function openSse(request: FastifyRequest, reply: FastifyReply, options: { keepAliveMs?: number } = {}): SseStream {
  // A Readable fed with push() (no Writable side to go through, as a PassThrough has).
  const body = new Readable({ read() {} });
  const controller = new AbortController();
  let ended = false;
  const stopKeepAlive = watchKeepAlive(body, options.keepAliveMs ?? KEEP_ALIVE_MS);

  const finish = () => {
    if (ended) return;
    ended = true;
    stopKeepAlive();
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
