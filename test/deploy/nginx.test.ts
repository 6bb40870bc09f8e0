import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, rm, unlink, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type RunningLab } from '../support/start-lab.js';
import { missing } from '../support/prerequisites.js';
import { api, postSse } from '../support/sse-client.js';
import {
  adaptNginxConf,
  findProgram,
  isRoot,
  programPrerequisite,
  readDeployFile,
  run,
  startNginx,
  tempDir,
  waitFor,
  wrapperNginxConf,
  deployFile,
  type RunningNginx,
} from './support.js';

const nginx = findProgram('nginx');
const openssl = findProgram('openssl');
const nginxMissing = missing(programPrerequisite('nginx', 'nginx'));
const opensslMissing = missing(programPrerequisite('openssl', 'openssl'));

/** `nginx -t` on a minimal main config that includes `site` (the shipped file, or a variant). */
async function nginxTest(site: string): Promise<{ status: number | null; output: string }> {
  const prefix = await tempDir('agent-lab-nginx-t-');
  try {
    await mkdir(path.join(prefix, 'logs'));
    await mkdir(path.join(prefix, 'tmp'));
    const conf = path.join(prefix, 'nginx.conf');
    await writeFile(conf, wrapperNginxConf({ prefix, include: site, daemon: true }));
    const result = run(nginx!, ['-t', '-p', prefix, '-c', conf, '-e', path.join(prefix, 'logs', 'error.log')]);
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
  } finally {
    await rm(prefix, { recursive: true, force: true });
  }
}

/** GET through nginx from a chosen loopback source address (so "the client" differs from the proxy). */
function getFrom(options: { url: string; localAddress: string; headers?: Record<string, string> }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get(options.url, { localAddress: options.localAddress, headers: options.headers ?? {} }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('error', reject);
  });
}

describe.skipIf(nginxMissing)('deploy/nginx/agent-lab.conf', () => {
  it('passes nginx -t as shipped', async () => {
    // as root the shipped file is tested verbatim (it opens /var/log/nginx/agent-lab.*.log
    // like the installed site would); otherwise only its log directory is moved to a temp dir
    let site = deployFile('nginx', 'agent-lab.conf');
    let scratch: string | undefined;
    if (!isRoot) {
      scratch = await tempDir('agent-lab-nginx-site-');
      site = path.join(scratch, 'agent-lab.conf');
      await writeFile(site, readDeployFile('nginx', 'agent-lab.conf').replace(/\/var\/log\/nginx\//g, `${scratch}/`));
    }
    const result = await nginxTest(site);
    if (scratch) await rm(scratch, { recursive: true, force: true });
    expect(result.output).toContain('syntax is ok');
    expect(result.output).toContain('test is successful');
    expect(result.status).toBe(0);
  });

  it.skipIf(opensslMissing)('passes nginx -t with its TLS stanza filled in', async () => {
    const scratch = await tempDir('agent-lab-nginx-tls-');
    try {
      const key = path.join(scratch, 'privkey.pem');
      const cert = path.join(scratch, 'fullchain.pem');
      const made = run(openssl!, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=agent-lab.example.com', '-days', '1', '-keyout', key, '-out', cert]);
      expect(made.status, made.stderr).toBe(0);
      const shipped = readDeployFile('nginx', 'agent-lab.conf');
      expect(shipped).toMatch(/^\s*#tls listen 443 ssl/m);
      const filled = shipped
        .replace(/^(\s*)#tls /gm, '$1')
        .replace('/etc/letsencrypt/live/agent-lab.example.com/fullchain.pem', cert)
        .replace('/etc/letsencrypt/live/agent-lab.example.com/privkey.pem', key)
        .replace(/\/var\/log\/nginx\//g, `${scratch}/`);
      const site = path.join(scratch, 'agent-lab.conf');
      await writeFile(site, filled);
      const result = await nginxTest(site);
      expect(result.output).toContain('test is successful');
      expect(result.status).toBe(0);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });

  it('refuses a test variant that no longer matches the shipped file (the adapter follows the file)', () => {
    expect(() => adaptNginxConf({ source: 'server { listen 8080; }', port: 1, labPort: 2, wwwDir: '/x', logDir: '/y' })).toThrow(/no longer contains/);
  });
});

describe.skipIf(nginxMissing)('nginx in front of the lab (real nginx on loopback)', () => {
  let lab: RunningLab;
  let proxy: RunningNginx;
  let agentId: string;
  let labStopped = false;

  beforeAll(async () => {
    lab = await startLab({ env: { TRUST_PROXY: '127.0.0.1' } });
    proxy = await startNginx({ labPort: lab.port });
    const created = await api(`${proxy.url}/api/agents`, { body: { name: 'via nginx', model: 'openai/gpt-4o-mini', system_prompt: 'Be brief.' } });
    expect(created.status).toBe(201);
    agentId = created.json.id;
  });
  afterAll(async () => {
    await proxy?.stop();
    if (!labStopped) await lab?.close();
  });

  it('streams a chat token by token: the first text-delta arrives long before the last is generated', async () => {
    const tokens = 40;
    const delayMs = 50;
    const result = await postSse({
      url: `${proxy.url}/api/chat`,
      body: { agent_id: agentId, message: `[[scenario:slow delay=${delayMs} tokens=${tokens}]] stream through nginx` },
    });
    expect(result.status).toBe(200);
    expect(result.headers.get('content-type')).toContain('text/event-stream');
    const deltas = result.events.filter((event) => event.event === 'text-delta');
    const text = deltas.map((event) => event.data.delta).join('');
    expect(text.trim().split(/\s+/)).toHaveLength(tokens);
    expect(result.events.at(-1)?.event).toBe('run-end');
    // the provider spaces the tokens ~50 ms apart (~2 s in all): a buffering proxy would
    // deliver them together at the end; streaming spreads them over most of that time
    const first = deltas[0]!.at;
    const last = deltas.at(-1)!.at;
    expect(last - first).toBeGreaterThan(((tokens - 1) * delayMs) / 2);
    const arrivals = new Set(deltas.map((event) => Math.round(event.at / 10)));
    expect(arrivals.size).toBeGreaterThan(tokens / 2);
  });

  it('serves /api/stream/test through nginx as a live stream', async () => {
    const started = performance.now();
    const response = await fetch(`${proxy.url}/api/stream/test`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const arrivals: Array<{ at: number; text: string }> = [];
    const decoder = new TextDecoder();
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      arrivals.push({ at: performance.now() - started, text: decoder.decode(chunk, { stream: true }) });
    }
    const body = arrivals.map((arrival) => arrival.text).join('');
    const ticks = body.match(/^event: tick$/gm) ?? [];
    expect(ticks.length).toBeGreaterThanOrEqual(3);
    expect(body).toMatch(/^event: done$/m);
    // ticks come ~100 ms apart: unbuffered, they arrive in several reads spread over time
    const tickArrivals = arrivals.filter((arrival) => arrival.text.includes('event: tick'));
    expect(tickArrivals.length).toBeGreaterThanOrEqual(3);
    expect(tickArrivals.at(-1)!.at - tickArrivals[0]!.at).toBeGreaterThan(150);
  });

  it('gives the lab the real client address, not the proxy and not a forged X-Forwarded-For', async () => {
    const probe = randomUUID();
    const response = await getFrom({ url: `${proxy.url}/health?probe=${probe}`, localAddress: '127.0.0.2', headers: { 'X-Forwarded-For': '203.0.113.9' } });
    expect(response.status).toBe(200);
    const line = await waitFor(
      () => {
        try {
          return readFileSync(lab.accessLog, 'utf8').split('\n').find((entry) => entry.includes(probe));
        } catch {
          return undefined;
        }
      },
      { what: 'the access log line', timeoutMs: 5000 },
    );
    expect(line.split(' ')[0]).toBe('127.0.0.2');
    // nginx's own log agrees
    const nginxLine = readFileSync(path.join(proxy.logDir, 'agent-lab.access.log'), 'utf8').split('\n').find((entry) => entry.includes(probe));
    expect(nginxLine?.split(' ')[0]).toBe('127.0.0.2');
  });

  it('stops the run when the client goes away mid-stream (the disconnect crosses nginx)', async () => {
    const before = lab.provider.chatRequests().length;
    const result = await postSse({
      url: `${proxy.url}/api/chat`,
      body: { agent_id: agentId, message: '[[scenario:slow delay=50 tokens=400]] then I leave' },
      onEvent: (_event, events) => events.filter((event) => event.event === 'text-delta').length >= 3,
    });
    expect(result.disconnectedAt).toBeDefined();
    const upstream = lab.provider.chatRequests()[before]!;
    const closed = await lab.provider.waitForClose(upstream.index);
    expect(closed.aborted).toBe(true);
    // long before the 400 tokens × 50 ms the stream would have taken
    expect(closed.closedAt! - result.disconnectedAt!).toBeLessThan(5000);
  });

  it("serves the maintenance page while the operator's switch file exists; monitors still reach the lab", async () => {
    const flag = path.join(proxy.wwwDir, 'maintenance.on');
    await writeFile(flag, '');
    try {
      const page = await fetch(`${proxy.url}/`, { headers: { accept: 'text/html' } });
      expect(page.status).toBe(503);
      expect(page.headers.get('retry-after')).toBe('30');
      expect(await page.text()).toContain('agent-lab-maintenance-page');
      const apiCall = await api(`${proxy.url}/api/agents`);
      expect(apiCall.status).toBe(503);
      expect(apiCall.json.error.code).toBe('unavailable:proxy');
      expect((await api(`${proxy.url}/health`)).status).toBe(200);
      expect((await api(`${proxy.url}/metrics`)).status).toBe(200);
    } finally {
      await unlink(flag);
    }
    expect((await api(`${proxy.url}/api/agents`)).status).toBe(200);
  });

  it("shows the static page for pages in the lab's own maintenance mode, and passes the lab's API answer through", async () => {
    const flag = path.join(lab.cwd, 'MAINTENANCE_MODE');
    await writeFile(flag, '');
    try {
      await waitFor(async () => ((await api(`${proxy.url}/api/agents`)).status === 503 ? true : undefined), { what: 'maintenance mode', timeoutMs: 5000 });
      const page = await fetch(`${proxy.url}/`, { headers: { accept: 'text/html' } });
      expect(page.status).toBe(503);
      expect(await page.text()).toContain('agent-lab-maintenance-page');
      const apiCall = await api(`${proxy.url}/api/agents`);
      expect(apiCall.status).toBe(503);
      expect(apiCall.json.error.code).not.toBe('unavailable:proxy');
      const health = await api(`${proxy.url}/health`);
      expect(health.status).toBe(200);
      expect(health.json.status).toBe('maintenance');
    } finally {
      await unlink(flag);
    }
    await waitFor(async () => ((await api(`${proxy.url}/api/agents`)).status === 200 ? true : undefined), { what: 'maintenance lifted', timeoutMs: 5000 });
  });

  it('serves the maintenance page (pages) and a JSON 503 (API, health) when the lab is down', async () => {
    labStopped = true;
    await lab.close();
    const page = await fetch(`${proxy.url}/`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(503);
    expect(await page.text()).toContain('agent-lab-maintenance-page');
    const apiCall = await api(`${proxy.url}/api/stream/test`);
    expect(apiCall.status).toBe(503);
    expect(apiCall.json.error.code).toBe('unavailable:proxy');
    expect(apiCall.headers.get('retry-after')).toBe('30');
    const health = await api(`${proxy.url}/health`);
    expect(health.status).toBe(503);
  });
});
