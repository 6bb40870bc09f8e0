import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';

/**
 * `GET /api/stream/test`: a short SSE stream the lab produces itself (no provider), to check
 * the streaming path end to end through proxies: `event: tick` × N about 100 ms apart, then
 * `event: done`. A client that disconnects stops it at once.
 */
export function registerStreamTestRoute(app: FastifyInstance, options: { events?: number; intervalMs?: number } = {}): void {
  const { events = 5, intervalMs = 100 } = options;
  app.get('/api/stream/test', (request, reply) => {
    const abort = new AbortController();
    reply.raw.once('close', () => abort.abort());
    const started = Date.now();
    async function* body(): AsyncGenerator<string> {
      // a comment first: proxies that buffer until the first byte show themselves at once
      yield ': agent-lab stream test\n\n';
      for (let sequence = 1; sequence <= events; sequence += 1) {
        yield `event: tick\ndata: ${JSON.stringify({ seq: sequence, of: events, ts: new Date().toISOString() })}\n\n`;
        await sleep(intervalMs, undefined, { signal: abort.signal });
      }
      yield `event: done\ndata: ${JSON.stringify({ ok: true, events, elapsed_ms: Date.now() - started })}\n\n`;
    }
    const stream = Readable.from(body(), { objectMode: false });
    // an aborted wait is the client leaving: end quietly
    stream.on('error', (error) => {
      if ((error as Error).name !== 'AbortError') request.log.warn({ err: error }, 'Stream test failed');
    });
    return reply
      .header('content-type', 'text/event-stream; charset=utf-8')
      .header('cache-control', 'no-cache, no-transform')
      .header('x-accel-buffering', 'no')
      .send(stream);
  });
}
