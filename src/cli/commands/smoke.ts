import type { Command } from 'commander';
import type { LabConfig } from '../../config/config.js';

/**
 * `agent-lab smoke --url URL`: the post-deploy check the playbooks call for. Health, create
 * (and remove) an agent named `smoke-test`, the SSE stream test, metrics; one line per step,
 * exit code 0 when every step passed, 1 otherwise.
 */

export interface SmokeStep {
  name: string;
  ok: boolean;
  detail: string;
  duration_ms: number;
}

const STEP_TIMEOUT_MS = 15_000;

class SmokeFailure extends Error {
  override readonly name = 'SmokeFailure';
}

async function request(url: string, init: RequestInit & { token?: string | undefined }): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.token) headers.set('authorization', `Bearer ${init.token}`);
  return fetch(url, { ...init, headers, signal: AbortSignal.timeout(STEP_TIMEOUT_MS) });
}

async function json(response: Response): Promise<Record<string, unknown>> {
  const text = await response.text();
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new SmokeFailure(`expected JSON, got ${JSON.stringify(text.slice(0, 80))}`, { cause: error });
  }
}

function expectStatus(response: Response, expected: number, body?: Record<string, unknown>): void {
  if (response.status === expected) return;
  const error = body?.error as { code?: string; message?: string } | undefined;
  throw new SmokeFailure(`HTTP ${response.status}${error?.code ? ` ${error.code}: ${error.message ?? ''}` : ''} (expected ${expected})`);
}

/** Run the four steps against `baseUrl`; never throws. */
export async function runSmoke(options: { baseUrl: string; token?: string | undefined }): Promise<SmokeStep[]> {
  const base = options.baseUrl.replace(/\/+$/, '');
  const token = options.token;
  const steps: SmokeStep[] = [];
  const step = async (name: string, body: () => Promise<string>) => {
    const started = performance.now();
    try {
      const detail = await body();
      steps.push({ name, ok: true, detail, duration_ms: Math.round(performance.now() - started) });
    } catch (error) {
      const cause = (error as Error).cause as { code?: string } | undefined;
      const detail = error instanceof SmokeFailure ? error.message : `${(error as Error).message}${cause?.code ? ` (${cause.code})` : ''}`;
      steps.push({ name, ok: false, detail, duration_ms: Math.round(performance.now() - started) });
    }
  };

  await step('health', async () => {
    const response = await request(`${base}/health`, {});
    const body = await json(response);
    expectStatus(response, 200, body);
    return `200 ${String(body.status)}`;
  });

  await step('create agent', async () => {
    const response = await request(`${base}/api/agents`, {
      method: 'POST',
      token,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'smoke-test', model: 'gpt-3.5-turbo', system_prompt: 'Smoke test agent, created and removed by agent-lab smoke.' }),
    });
    const body = await json(response);
    expectStatus(response, 201, body);
    if (typeof body.id !== 'string') throw new SmokeFailure('the created agent has no id');
    // leave nothing behind: a smoke test runs after every deploy
    const removed = await request(`${base}/api/agents/${encodeURIComponent(body.id)}`, { method: 'DELETE', token });
    await removed.body?.cancel();
    return `201 id ${body.id}${removed.ok ? ', removed' : `, removal answered ${removed.status}`}`;
  });

  await step('stream test', async () => {
    const response = await request(`${base}/api/stream/test`, { token, headers: { accept: 'text/event-stream' } });
    if (!response.ok) throw new SmokeFailure(`HTTP ${response.status} (expected 200)`);
    const type = response.headers.get('content-type') ?? '';
    if (!type.startsWith('text/event-stream')) throw new SmokeFailure(`content-type ${type || 'missing'} (expected text/event-stream)`);
    const text = await response.text();
    const events = text.split('\n').filter((line) => line.startsWith('data:')).length;
    if (events < 2) throw new SmokeFailure(`${events} data events (expected at least 2)`);
    if (!/^event: done$/m.test(text)) throw new SmokeFailure('the stream ended without its done event');
    return `${events} events, ended cleanly`;
  });

  await step('metrics', async () => {
    const response = await request(`${base}/metrics`, { token, headers: { accept: 'application/json' } });
    const body = await json(response);
    expectStatus(response, 200, body);
    const rate = body.error_rate_sli;
    if (typeof rate !== 'number' || rate < 0 || rate > 1) throw new SmokeFailure('error_rate_sli is missing or not in [0,1]');
    if (typeof body.streaming_metrics !== 'object' || typeof body.performance !== 'object') throw new SmokeFailure('streaming_metrics or performance missing');
    return `error_rate_sli ${rate}`;
  });

  return steps;
}

export function register(program: Command, context: { loadConfig: () => LabConfig }): void {
  program
    .command('smoke')
    .description('post-deploy check: health, create an agent, stream test, metrics (exit 1 if any step fails)')
    .option('--url <url>', 'the lab to check (default: PUBLIC_URL or http://HOST:PORT)')
    .option('--token <token>', 'the LAB_AUTH_TOKEN of that lab (default: LAB_AUTH_TOKEN from the environment / .env)')
    .option('--json', 'print the steps as JSON')
    .action(async (options: { url?: string; token?: string; json?: boolean }) => {
      const config = options.url && options.token ? undefined : context.loadConfig();
      const baseUrl = options.url ?? config?.publicUrl ?? 'http://127.0.0.1:7860';
      const token = options.token ?? config?.labAuthToken;
      const steps = await runSmoke({ baseUrl, token });
      const passed = steps.every((step) => step.ok);
      if (options.json) {
        console.log(JSON.stringify({ url: baseUrl, passed, steps }, null, 2));
      } else {
        for (const step of steps) console.log(`${step.ok ? 'PASS' : 'FAIL'}  ${step.name.padEnd(13)} ${step.detail} (${step.duration_ms} ms)`);
        console.log(passed ? `Smoke test passed against ${baseUrl}` : `Smoke test FAILED against ${baseUrl}`);
      }
      process.exitCode = passed ? 0 : 1;
    });
}
