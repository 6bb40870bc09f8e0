import Fastify from 'fastify';

/**
 * The baseline server, run in its own process by the benchmarks: the lab's framework
 * (Fastify, no plugins, no logging) answering constants. `/health` a constant JSON body;
 * `/sse` an SSE response that sends one event and then holds the connection open (idle
 * streams); `/page` a minimal HTML page with the chat input (the browser's floor).
 * Prints `PORT <n>` once listening.
 */
const app = Fastify({ logger: false });
const health = JSON.stringify({ status: 'ok' });

app.get('/health', (_request, reply) => {
  void reply.header('content-type', 'application/json; charset=utf-8').send(health);
});

app.get('/sse', (request, reply) => {
  reply.raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  reply.raw.write('event: text-delta\ndata: {"delta":"hi"}\n\n');
  request.raw.on('close', () => reply.raw.end());
  return reply.hijack();
});

app.get('/page', (_request, reply) => {
  void reply
    .header('content-type', 'text/html; charset=utf-8')
    .send('<!doctype html><html><head><title>floor</title></head><body><textarea data-testid="chat-input"></textarea></body></html>');
});

const address = await app.listen({ port: 0, host: '127.0.0.1' });
console.log(`PORT ${new URL(address).port}`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
