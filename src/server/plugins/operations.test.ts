import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig, type LabConfig } from '../../config/config.js';
import { SEED_COLUMNS, LAB_COLUMNS } from '../../domain/run.js';
import { createHealth } from '../../ops/health.js';
import { createLogger, type LabLogger } from '../../ops/logger.js';
import { createLabMetrics } from '../../ops/metrics.js';
import { createServiceFlags } from '../../ops/service-flags.js';
import type { BreakerInfo, LabStatusSources } from '../context.js';
import { sendError } from '../http-error.js';
import { READ_ONLY_MESSAGE, operationsServerOptions, registerOperations } from './index.js';

const TOKEN = 'lab-token-0123456789';
const API_KEY = 'sk-or-secret-key-abcdef123456';

interface Harness {
  app: FastifyInstance;
  dir: string;
  config: LabConfig;
  flags: ReturnType<typeof createServiceFlags>;
  metrics: ReturnType<typeof createLabMetrics>;
  health: ReturnType<typeof createHealth>;
  labLogger: LabLogger;
  breakers: BreakerInfo[];
  appLog(): Promise<string>;
  accessLog(): Promise<string>;
}

const open: Harness[] = [];
const servers: Server[] = [];

afterEach(async () => {
  for (const harness of open.splice(0)) {
    await harness.app.close();
    harness.flags.close();
    harness.metrics.close();
    harness.health.close();
    await rm(harness.dir, { recursive: true, force: true });
  }
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

/** Wait until `read()` satisfies `test`, up to `ms`. */
async function eventually<T>(read: () => Promise<T> | T, test: (value: T) => boolean, ms = 2000): Promise<T> {
  const deadline = Date.now() + ms;
  let value = await read();
  while (!test(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    value = await read();
  }
  return value;
}

/** A lab-shaped app: the operations layer, then a few dummy API routes and a page. */
async function startHarness(env: Record<string, string> = {}): Promise<Harness> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'agent-lab-ops-'));
  await mkdir(path.join(dir, 'data', 'sessions'), { recursive: true });
  await writeFile(path.join(dir, 'data', 'runs.csv'), `${[...SEED_COLUMNS, ...LAB_COLUMNS].join(',')}\n`);
  const config = loadConfig({
    cwd: dir,
    dotenvFile: false,
    env: { OPENROUTER_BASE_URL: 'http://127.0.0.1:9/api/v1', OPENROUTER_API_KEY: API_KEY, ...env },
  });
  const labLogger = createLogger({ logFile: config.logFile, stdout: false, level: 'debug' });
  const breakers: BreakerInfo[] = [];
  const sources: LabStatusSources = {
    config,
    logger: labLogger.logger,
    version: '0.1.0-test',
    startedAt: new Date(),
    catalogInfo: () => ({ source: 'dynamic', fetched_at: new Date(Date.now() - 60_000).toISOString(), model_count: 3, last_error: null }),
    breakerStates: () => breakers,
    activeRuns: () => 0,
  };
  const flags = createServiceFlags({ readOnlyFlag: config.readOnlyFlag, maintenanceFlag: config.maintenanceFlag, logger: labLogger.logger });
  const metrics = createLabMetrics({ sources });
  const health = createHealth({ sources, flags, metrics, providerTimeoutMs: 1000 });
  const app = Fastify(operationsServerOptions({ config, logger: labLogger.logger })) as unknown as FastifyInstance;
  app.setErrorHandler((error, request, reply) => sendError(request, reply, error));
  const operations = await registerOperations(app, { sources, flags, metrics, health });
  app.get('/api/things', async () => ({ things: [] }));
  app.post('/api/things', async (request, reply) => reply.status(201).send({ saved: request.body }));
  app.get('/api/things/:id', async (request) => ({ id: (request.params as { id: string }).id }));
  app.post('/api/runs/:id/cancel', async () => ({ cancelled: true }));
  app.get('/api/boom', async () => {
    throw new Error('kaboom');
  });
  app.get('/', async (_request, reply) => reply.type('text/html').send('<!doctype html><title>Agent Lab</title>'));
  await app.ready();
  const harness: Harness = {
    app,
    dir,
    config,
    flags,
    metrics,
    health,
    labLogger,
    breakers,
    appLog: async () => (existsSync(config.logFile) ? readFile(config.logFile, 'utf8') : ''),
    accessLog: async () => {
      operations.accessLog.flush();
      return existsSync(config.accessLog) ? readFile(config.accessLog, 'utf8') : '';
    },
  };
  open.push(harness);
  return harness;
}

const bearer = { authorization: `Bearer ${TOKEN}` };

describe('GET /health', () => {
  it('answers healthy with a body of constant length', async () => {
    const { app } = await startHarness();
    const first = await app.inject({ url: '/health' });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ status: 'healthy' });
    const lengths = new Set<number>();
    for (let index = 0; index < 20; index += 1) lengths.add((await app.inject({ url: '/health' })).body.length);
    expect(lengths).toEqual(new Set([first.body.length]));
  });

  it('reports read_only and maintenance within a second of the flag file, with 200', async () => {
    const { app, config } = await startHarness();
    await writeFile(config.readOnlyFlag, '');
    const readOnly = await eventually(() => app.inject({ url: '/health' }), (response) => response.json().status === 'read_only', 1000);
    expect(readOnly.statusCode).toBe(200);
    expect(readOnly.json().status).toBe('read_only');
    await writeFile(config.maintenanceFlag, '');
    const maintenance = await eventually(() => app.inject({ url: '/health' }), (response) => response.json().status === 'maintenance', 1000);
    expect(maintenance.statusCode).toBe(200);
    expect(maintenance.json().status).toBe('maintenance');
  });

  it('answers 503 when the data directory is unusable, and recovers', async () => {
    const { app, config, health } = await startHarness();
    await rm(config.dataDir, { recursive: true });
    await writeFile(config.dataDir, 'not a directory');
    await health.refresh();
    const down = await app.inject({ url: '/health' });
    expect(down.statusCode).toBe(503);
    expect(down.json().status).toBe('unhealthy');
    const detailed = await app.inject({ url: '/health/detailed' });
    expect(detailed.statusCode).toBe(503);
    expect(detailed.json().checks.data_dir.status).toBe('down');
    await rm(config.dataDir);
    await mkdir(config.dataDir);
    await health.refresh();
    expect((await app.inject({ url: '/health' })).statusCode).toBe(200);
  });

  it('stays open when a token is required', async () => {
    const { app } = await startHarness({ LAB_AUTH_TOKEN: TOKEN });
    expect((await app.inject({ url: '/health' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/health/detailed' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/metrics' })).statusCode).toBe(200);
  });
});

describe('GET /health/detailed', () => {
  it('reports every dependency with its own status and timing, and never the key', async () => {
    const provider = createServer((request, response) => {
      response.writeHead(request.url === '/api/v1/models' ? 200 : 404, { 'content-type': 'application/json' });
      response.end('{"data":[]}');
    });
    servers.push(provider);
    await new Promise<void>((resolve) => provider.listen(0, '127.0.0.1', resolve));
    const port = (provider.address() as { port: number }).port;
    const { app, breakers } = await startHarness({ OPENROUTER_BASE_URL: `http://127.0.0.1:${port}/api/v1` });
    breakers.push({ key: 'http://x|m', baseUrl: 'http://x', model: 'm', state: 'open', failures: 5 });
    const response = await app.inject({ url: '/health/detailed' });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.status).toBe('degraded'); // the open breaker
    expect(body).toMatchObject({ version: '0.1.0-test', api_key_configured: true, read_only: false, maintenance: false });
    expect(typeof body.uptime_seconds).toBe('number');
    expect(typeof body.memory.rss_mb).toBe('number');
    expect(typeof body.event_loop_lag_ms.p99).toBe('number');
    const { checks } = body;
    expect(checks.data_dir).toMatchObject({ status: 'ok', readable: true, writable: true });
    expect(typeof checks.data_dir.free_mb).toBe('number');
    expect(checks.runs_csv).toMatchObject({ status: 'ok', header_ok: true, columns: 24 });
    expect(checks.sessions).toMatchObject({ status: 'ok', files: 0 });
    expect(checks.provider).toMatchObject({ status: 'ok', reachable: true, http_status: 200 });
    expect(checks.circuit_breakers).toMatchObject({ status: 'degraded', open: 1 });
    expect(checks.catalog).toMatchObject({ status: 'ok', source: 'dynamic', model_count: 3 });
    expect(checks.catalog.age_seconds).toBeGreaterThanOrEqual(59);
    for (const check of Object.values(checks) as Array<{ duration_ms: number }>) expect(typeof check.duration_ms).toBe('number');
    expect(response.body).not.toContain(API_KEY);
    // the provider probe is cached
    expect((await app.inject({ url: '/health/detailed' })).json().checks.provider.cached).toBe(true);
  });

  it('marks an unreachable provider degraded and still answers 200', async () => {
    const { app, config } = await startHarness();
    const response = await app.inject({ url: '/health/detailed' });
    expect(response.statusCode).toBe(200);
    expect(response.json().checks.provider).toMatchObject({ status: 'degraded', reachable: false });
    expect(response.json().status).toBe('degraded');
    // a probe file never lingers in the data directory
    const { readdir } = await import('node:fs/promises');
    expect((await readdir(config.dataDir)).filter((name) => name.includes('probe'))).toEqual([]);
  });

  it('flags a runs.csv whose header lost the seed columns', async () => {
    const { app, config } = await startHarness();
    await writeFile(path.join(config.dataDir, 'runs.csv'), 'a,b,c\n');
    const checks = (await app.inject({ url: '/health/detailed' })).json().checks;
    expect(checks.runs_csv).toMatchObject({ status: 'degraded', header_ok: false });
  });

  it('reports scores.csv: fine when absent (the first score creates it), degraded when its header is not the score columns', async () => {
    const { app, config } = await startHarness();
    expect((await app.inject({ url: '/health/detailed' })).json().checks.scores_csv).toMatchObject({ status: 'ok', exists: false });
    await writeFile(path.join(config.dataDir, 'scores.csv'), 'a,b,c\n');
    expect((await app.inject({ url: '/health/detailed' })).json().checks.scores_csv).toMatchObject({ status: 'degraded', header_ok: false });
  });
});

describe('GET /metrics', () => {
  it('reports SLIs, streaming, performance, provider and SLOs; 5xx counted over the window, monitoring excluded', async () => {
    const { app } = await startHarness();
    const idle = (await app.inject({ url: '/metrics' })).json();
    expect(idle.error_rate_sli).toBe(0);
    for (let index = 0; index < 3; index += 1) await app.inject({ url: '/api/things' });
    await app.inject({ url: '/api/boom' });
    await app.inject({ url: '/api/nothing-here' });
    // a burst of health checks neither dilutes nor adds to the error rate
    for (let index = 0; index < 50; index += 1) await app.inject({ url: '/health' });
    const body = (await app.inject({ url: '/metrics', headers: { accept: '*/*' } })).json();
    expect(body.error_rate_sli).toBeCloseTo(1 / 5, 5);
    expect(body.client_error_rate).toBeCloseTo(1 / 5, 5);
    expect(body.availability_sli).toBeCloseTo(4 / 5, 5);
    expect(body.total_requests).toBe(5);
    expect(body.monitoring_requests).toBeGreaterThanOrEqual(50);
    expect(typeof body.latency_p95_sli).toBe('number');
    expect(body.streaming_metrics).toMatchObject({ started: 0, completed: 0, aborted: 0, failed: 0, completion_rate: 1 });
    expect(body.streaming_metrics.ttft_ms).toEqual({ p50: null, p95: null });
    expect(body.performance.http_latency_ms.routes['GET /api/things'].count).toBe(3);
    expect(body.performance.http_latency_ms.routes['GET unmatched'].count).toBe(1);
    expect(Object.keys(body.performance.http_latency_ms.routes).some((route) => route.includes('nothing-here'))).toBe(false);
    expect(typeof body.performance.event_loop_lag_ms.p99).toBe('number');
    expect(typeof body.performance.memory.heap_used_mb).toBe('number');
    expect(typeof body.performance.cpu.percent).toBe('number');
    expect(body.provider).toMatchObject({ requests: 0, errors: 0, retries: 0, circuit_open: false, breakers: [] });
    expect(body.slos.availability).toMatchObject({ target: 0.999 });
    expect(body.slos.availability.windows['5m']).toMatchObject({ total: 5, bad: 1, met: false });
    expect(body.slos.availability.windows['5m'].error_budget_remaining).toBeLessThan(0);
    expect(Object.keys(body.slos)).toEqual(['availability', 'error_rate', 'stream_completion', 'inter_chunk_latency', 'stream_start']);
  });

  it('answers a Prometheus scraper with the text format, curl with JSON', async () => {
    const { app, metrics } = await startHarness();
    metrics.runObserver.runStarted({ runId: 'r1', model: 'openai/gpt-4o-mini' });
    metrics.runObserver.firstToken({ runId: 'r1', model: 'openai/gpt-4o-mini', ttftMs: 420 });
    const scraper = await app.inject({
      url: '/metrics',
      headers: { accept: 'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1' },
    });
    expect(scraper.headers['content-type']).toMatch(/^text\/plain/);
    expect(scraper.body).toContain('agent_lab_run_ttft_seconds_bucket{le="0.5",model="openai/gpt-4o-mini"} 1');
    expect(scraper.body).toContain('agent_lab_process_cpu_user_seconds_total');
    const plain = await app.inject({ url: '/metrics', headers: { accept: 'text/plain;version=0.0.4' } });
    expect(plain.headers['content-type']).toMatch(/^text\/plain/);
    const curl = await app.inject({ url: '/metrics', headers: { accept: '*/*' } });
    expect(curl.headers['content-type']).toMatch(/^application\/json/);
    const prometheus = await app.inject({ url: '/metrics/prometheus' });
    expect(prometheus.headers['content-type']).toMatch(/^text\/plain/);
    expect(prometheus.body).toContain('# TYPE agent_lab_http_requests_total counter');
  });
});

describe('GET /api/stream/test', () => {
  it('streams a few SSE events produced by the lab, then ends', async () => {
    const { app } = await startHarness({ LAB_AUTH_TOKEN: TOKEN });
    const response = await app.inject({ url: '/api/stream/test' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/event-stream/);
    const data = response.body.split('\n').filter((line) => line.startsWith('data:'));
    expect(data.length).toBeGreaterThanOrEqual(3);
    expect(response.body).toMatch(/event: done\ndata: \{"ok":true/);
  });
});

describe('auth', () => {
  it('guards the API and pages with the token, by bearer header or login cookie', async () => {
    const { app, appLog } = await startHarness({ LAB_AUTH_TOKEN: TOKEN });
    const refused = await app.inject({ url: '/api/things' });
    expect(refused.statusCode).toBe(401);
    expect(refused.json().error.code).toBe('unauthorized:auth');
    expect((await app.inject({ url: '/api/things', headers: bearer })).statusCode).toBe(200);
    expect((await app.inject({ url: '/api/things', headers: { authorization: 'Bearer wrong-token-xyz' } })).statusCode).toBe(401);

    const page = await app.inject({ url: '/' });
    expect(page.statusCode).toBe(401);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('action="/api/auth/login"');

    const wrong = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { token: 'not-the-token' } });
    expect(wrong.statusCode).toBe(401);
    const login = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { token: TOKEN } });
    expect(login.statusCode).toBe(200);
    const setCookie = String(login.headers['set-cookie']);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).not.toContain(TOKEN);
    const cookie = setCookie.split(';')[0] as string;
    expect((await app.inject({ url: '/api/things', headers: { cookie } })).statusCode).toBe(200);
    expect((await app.inject({ url: '/', headers: { cookie } })).statusCode).toBe(200);
    expect((await app.inject({ url: '/api/things', headers: { cookie: 'agent_lab_session=forged' } })).statusCode).toBe(401);

    const form = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `token=${TOKEN}&next=%2Fsessions`,
    });
    expect(form.statusCode).toBe(303);
    expect(form.headers.location).toBe('/sessions');
    const offsite = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `token=${TOKEN}&next=%2F%2Fevil.example`,
    });
    expect(offsite.headers.location).toBe('/');

    const status = await app.inject({ url: '/api/status', headers: bearer });
    expect(status.json()).toEqual({ read_only: false, maintenance: false, api_key_configured: true, circuit_open: false, open_circuits: [], version: '0.1.0-test', auth_required: true });

    const log = await eventually(appLog, (text) => text.includes('Sign-in refused'));
    expect(log).toContain('Sign-in refused: wrong token');
    expect(log).not.toContain(TOKEN);
    expect(log).not.toContain('not-the-token');
    expect(log).not.toContain('wrong-token-xyz');
  });

  it('lets everything through when no token is set', async () => {
    const { app } = await startHarness();
    expect((await app.inject({ url: '/api/things' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/api/status' })).json().auth_required).toBe(false);
  });
});

describe('rate limit', () => {
  it('answers 429 with Retry-After and the lab error shape past the limit; monitoring is exempt', async () => {
    const { app } = await startHarness({ RATE_LIMIT_PER_MINUTE: '3' });
    for (let index = 0; index < 3; index += 1) expect((await app.inject({ url: '/api/things' })).statusCode).toBe(200);
    const limited = await app.inject({ url: '/api/things' });
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(limited.json().error.code).toBe('rate_limit:api');
    expect((await app.inject({ url: '/' })).statusCode).toBe(429);
    for (let index = 0; index < 10; index += 1) {
      expect((await app.inject({ url: '/health' })).statusCode).toBe(200);
      expect((await app.inject({ url: '/metrics' })).statusCode).toBe(200);
    }
    expect((await app.inject({ url: '/api/stream/test' })).statusCode).toBe(200);
    // another client has its own budget
    expect((await app.inject({ url: '/api/things', remoteAddress: '10.1.2.3' })).statusCode).toBe(200);
  });
});

describe('read-only mode', () => {
  it('refuses writes with 503 while reads work, and lifts within a second', async () => {
    const { app, config, appLog } = await startHarness();
    await writeFile(config.readOnlyFlag, '');
    const refused = await eventually(
      () => app.inject({ method: 'POST', url: '/api/things', payload: { name: 'x' } }),
      (response) => response.statusCode === 503,
      1000,
    );
    expect(refused.statusCode).toBe(503);
    expect(refused.json().error).toMatchObject({ code: 'read_only:store', message: READ_ONLY_MESSAGE });
    expect((await app.inject({ url: '/api/things' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'POST', url: '/api/runs/abc/cancel' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/api/status' })).json().read_only).toBe(true);
    await rm(config.readOnlyFlag);
    const accepted = await eventually(
      () => app.inject({ method: 'POST', url: '/api/things', payload: { name: 'x' } }),
      (response) => response.statusCode === 201,
      1000,
    );
    expect(accepted.statusCode).toBe(201);
    const log = await eventually(appLog, (text) => text.includes('Read-only mode is off'));
    expect(log).toMatch(/ WARN Read-only mode is on: writes are refused \{/);
    expect(log).toMatch(/ INFO Read-only mode is off/);
  });
});

describe('maintenance mode', () => {
  it('serves a 503 maintenance page, 503 JSON with Retry-After for the API, and keeps health and metrics', async () => {
    const { app, config } = await startHarness({ LAB_AUTH_TOKEN: TOKEN });
    await writeFile(config.maintenanceFlag, '');
    const page = await eventually(() => app.inject({ url: '/' }), (response) => response.statusCode === 503, 1000);
    expect(page.statusCode).toBe(503);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('maintenance');
    const api = await app.inject({ url: '/api/things', headers: bearer });
    expect(api.statusCode).toBe(503);
    expect(api.headers['retry-after']).toBeDefined();
    expect(api.json().error.code).toBe('maintenance:service');
    expect((await app.inject({ url: '/health' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/health/detailed' })).json().maintenance).toBe(true);
    expect((await app.inject({ url: '/metrics' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/api/status', headers: bearer })).json().maintenance).toBe(true);
  });
});

describe('logs', () => {
  it('writes one Combined Log Format line per request, client address first', async () => {
    const { app, accessLog } = await startHarness();
    await app.inject({ url: '/api/things?x=1', headers: { 'user-agent': 'curl/8.5.0', referer: 'http://r.example/' }, remoteAddress: '203.0.113.7' });
    const text = await eventually(accessLog, (value) => value.includes('/api/things'));
    const line = text.trim().split('\n').find((entry) => entry.includes('/api/things')) as string;
    expect(line).toMatch(
      /^203\.0\.113\.7 - - \[\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000\] "GET \/api\/things\?x=1 HTTP\/1\.1" 200 \d+ "http:\/\/r\.example\/" "curl\/8\.5\.0" \d+\.\d [\w-]+$/,
    );
    expect(line.split(' ')[0]).toBe('203.0.113.7');
  });

  it('believes X-Forwarded-For only from a trusted proxy', async () => {
    const { app, accessLog } = await startHarness({ TRUST_PROXY: '127.0.0.1' });
    await app.inject({ url: '/api/things?via=proxy', headers: { 'x-forwarded-for': '198.51.100.9' }, remoteAddress: '127.0.0.1' });
    await app.inject({ url: '/api/things?via=direct', headers: { 'x-forwarded-for': '198.51.100.9' }, remoteAddress: '192.0.2.44' });
    const text = await eventually(accessLog, (value) => value.includes('via=direct'));
    const lines = text.trim().split('\n');
    expect(lines.find((line) => line.includes('via=proxy'))?.split(' ')[0]).toBe('198.51.100.9');
    expect(lines.find((line) => line.includes('via=direct'))?.split(' ')[0]).toBe('192.0.2.44');
  });

  it('logs a possible injection attempt at WARN with its kind and the request id, without blocking', async () => {
    const { app, appLog } = await startHarness();
    const stored = await app.inject({ method: 'POST', url: '/api/things', payload: { note: "x' OR 1=1 --", text: '<script>alert(1)</script>' } });
    expect(stored.statusCode).toBe(201);
    const traversal = await app.inject({ url: '/api/things/..%2F..%2Fetc%2Fpasswd' });
    const requestId = String(traversal.headers['x-request-id']);
    const log = await eventually(appLog, (text) => text.includes('"path_traversal"'));
    const lines = log.split('\n').filter((line) => line.includes('possible injection attempt'));
    expect(lines.some((line) => /^\S+ \S+ WARN possible injection attempt \{.*"kind":"sql"/.test(line))).toBe(true);
    expect(lines.some((line) => line.includes('"kind":"xss"'))).toBe(true);
    const traversalLine = lines.find((line) => line.includes('"kind":"path_traversal"')) as string;
    expect(traversalLine).toContain(`"request_id":"${requestId}"`);
  });

  it('writes lines as "YYYY-MM-DD HH:MM:SS.mmm LEVEL message {context}" and never a secret', async () => {
    const { app, appLog, labLogger } = await startHarness({ LAB_AUTH_TOKEN: TOKEN });
    labLogger.logger.info({ apiKey: API_KEY, token: TOKEN, headers: { authorization: `Bearer ${TOKEN}` } }, 'Test line with secrets in context');
    await app.inject({ url: '/api/boom', headers: bearer });
    const log = await eventually(appLog, (text) => text.includes('Request failed') && text.includes('Test line'));
    for (const line of log.trim().split('\n')) expect(line).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3} (TRACE|DEBUG|INFO|WARN|ERROR|FATAL) [^{]+( \{.*\})?$/);
    expect(log).toMatch(/ ERROR Request failed with an unexpected error \{.*"request_id"/);
    expect(log).not.toContain(TOKEN);
    expect(log).not.toContain(API_KEY);
  });
});

describe('security headers', () => {
  it('sends a CSP without inline scripts, and the other headers, on every response', async () => {
    const { app } = await startHarness();
    for (const url of ['/', '/api/things', '/health', '/api/stream/test']) {
      const response = await app.inject({ url });
      const csp = String(response.headers['content-security-policy']);
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['x-request-id']).toBeTruthy();
    }
  });
});
