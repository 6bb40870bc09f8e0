import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { LabClient } from './lab-client.js';
import { planPairs } from './pairs.js';
import { runBatch } from './run-batch.js';

/**
 * The scheduler against a scripted lab on loopback (real HTTP, real SSE): it must wait out a
 * 429's Retry-After, and pause only the model whose circuit is open while others go on.
 */

type Script = (request: { index: number; body: { agent_id: string; tags: { run_notes: string } } }, response: http.ServerResponse) => void;

const servers: http.Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

async function scriptedLab(script: Script) {
  const calls: Array<{ at: number; agent: string; key: string }> = [];
  const server = http.createServer((request, response) => {
    let raw = '';
    request.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    request.on('end', () => {
      const body = JSON.parse(raw) as { agent_id: string; tags: { run_notes: string } };
      calls.push({ at: Date.now(), agent: body.agent_id, key: body.tags.run_notes });
      script({ index: calls.length - 1, body }, response);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls };
}

function runEnd(response: http.ServerResponse, body: { agent_id: string; tags: { run_notes: string } }, error?: { code: string; message: string }) {
  const run = {
    run_id: `r-${Math.random()}`,
    agent_id: body.agent_id,
    agent_name: body.agent_id,
    model: `model-${body.agent_id}`,
    latency_ms: 10,
    ttft_ms: 2,
    tokens_per_s: 100,
    cost_usd: 0.001,
    total_tokens: 10,
    aborted: false,
    error: error?.message ?? '',
    run_notes: body.tags.run_notes,
    experiment_id: 'x',
  };
  response.writeHead(200, { 'content-type': 'text/event-stream' });
  if (error) response.write(`event: error\ndata: ${JSON.stringify({ ...error, retryable: true })}\n\n`);
  response.end(`event: run-end\ndata: ${JSON.stringify({ run })}\n\n`);
}

const prompts = [1, 2, 3].map((number) => ({ number, line: number, prompt: `p${number}`, task_label: '' }));
const agentA = { id: 'a', name: 'A', model: 'model-a' };
const agentB = { id: 'b', name: 'B', model: 'model-b' };

describe('runBatch', () => {
  it('honours a 429 Retry-After before sending anything else, and the refused pair still runs once', async () => {
    const lab = await scriptedLab(({ index, body }, response) => {
      if (index === 0) {
        response.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' });
        response.end(JSON.stringify({ error: { code: 'rate_limit:api', message: 'Too many requests' } }));
        return;
      }
      runEnd(response, body);
    });
    const { pending } = planPairs({ prompts, agents: [agentA], repeat: 1, recorded: [] });
    const report = await runBatch({ client: new LabClient({ baseUrl: lab.url }), pairs: pending, experimentId: 'x', concurrency: 1, signal: new AbortController().signal });
    expect(report.results.map((result) => result.status)).toEqual(['ok', 'ok', 'ok']);
    expect(lab.calls[1]!.at - lab.calls[0]!.at).toBeGreaterThanOrEqual(1000);
    expect(lab.calls[1]!.key).toBe(lab.calls[0]!.key);
    expect(report.deferrals).toBe(1);
  });

  it('an open circuit pauses that model’s pairs (retried later) while the other agent keeps going', async () => {
    let circuitFailures = 0;
    const lab = await scriptedLab(({ body }, response) => {
      if (body.agent_id === 'a' && circuitFailures < 1) {
        circuitFailures += 1;
        return runEnd(response, body, { code: 'provider:circuit_open', message: 'The provider for model-a failed 5 runs in a row; not calling it for 1 s more (circuit breaker open)' });
      }
      runEnd(response, body);
    });
    const { pending } = planPairs({ prompts, agents: [agentA, agentB], repeat: 1, recorded: [] });
    const report = await runBatch({ client: new LabClient({ baseUrl: lab.url }), pairs: pending, experimentId: 'x', concurrency: 1, signal: new AbortController().signal });
    expect(report.results.every((result) => result.status === 'ok')).toBe(true);
    expect(report.results).toHaveLength(6);
    const first = lab.calls[0]!;
    const callsToA = lab.calls.filter((call) => call.agent === 'a');
    // B's pairs ran while A waited; A's next call came only after the circuit's second
    expect(lab.calls.slice(1, 4).every((call) => call.agent === 'b')).toBe(true);
    expect(callsToA[1]!.at - first.at).toBeGreaterThanOrEqual(1000);
    expect(callsToA[1]!.key).toBe(first.key);
  });

  it('gives up on a pair after maxAttempts open-circuit answers and reports it failed', async () => {
    const lab = await scriptedLab(({ body }, response) => runEnd(response, body, { code: 'provider:circuit_open', message: 'not calling it for 0 s more' }));
    const { pending } = planPairs({ prompts: prompts.slice(0, 1), agents: [agentA], repeat: 1, recorded: [] });
    const report = await runBatch({ client: new LabClient({ baseUrl: lab.url }), pairs: pending, experimentId: 'x', concurrency: 1, maxAttempts: 3, signal: new AbortController().signal });
    expect(report.results).toMatchObject([{ status: 'failed', attempts: 3 }]);
    expect(lab.calls).toHaveLength(3);
  });

  it('skips pairs a previous invocation finished cleanly, but not aborted or failed ones', () => {
    const recorded = [
      { agent_id: 'a', run_notes: 'batch:1:1', aborted: false, error: '' },
      { agent_id: 'a', run_notes: 'batch:2:1', aborted: true, error: '' },
      { agent_id: 'a', run_notes: 'batch:3:1', aborted: false, error: 'boom' },
      { agent_id: 'b', run_notes: 'batch:1:1', aborted: false, error: '' },
      { agent_id: 'a', run_notes: 'hand-written note', aborted: false, error: '' },
    ].map((run) => ({ ...run, run_id: '', agent_name: '', model: '', latency_ms: 0, ttft_ms: null, tokens_per_s: null, cost_usd: null, total_tokens: 0, experiment_id: 'x' }));
    const plan = planPairs({ prompts, agents: [agentA], repeat: 1, recorded });
    expect(plan.done).toBe(1);
    expect(plan.pending.map((pair) => pair.key)).toEqual(['batch:2:1', 'batch:3:1']);
  });
});
