import http from 'node:http';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runsCsvRows, waitFor } from '../support/lab-data.js';
import { startLab, type RunningLab } from '../support/start-lab.js';
import { api, postSse } from '../support/sse-client.js';

let lab: RunningLab;
let agentId: string;

const csvRows = () => runsCsvRows(lab.dataDir);

beforeAll(async () => {
  lab = await startLab();
  const created = await api(`${lab.url}/api/agents`, {
    body: { name: 'Echo', model: 'openai/gpt-4o-mini', system_prompt: 'Be brief.', tools: ['add_numbers', 'fetch_url'] },
  });
  expect(created.status).toBe(201);
  agentId = created.json.id;
});
afterAll(async () => lab?.close());

describe('POST /api/chat (streaming)', () => {
  it('streams run-start, text deltas and run-end, and records the run in runs.csv and its session first', async () => {
    const result = await postSse({
      url: `${lab.url}/api/chat`,
      body: { agent_id: agentId, message: 'Hello there [[scenario:normal text="Hi! How can I help today?" cost=1.3e-05]]', tags: { experiment_id: 'exp-1', task_label: 'greet', run_notes: 'a, "quoted"\nnote' } },
    });
    expect(result.status).toBe(200);
    const names = result.events.map((event) => event.event);
    expect(names[0]).toBe('run-start');
    expect(names.at(-1)).toBe('run-end');
    expect(names.filter((name) => name === 'text-delta').length).toBeGreaterThan(2);
    const text = result.events.filter((event) => event.event === 'text-delta').map((event) => event.data.delta).join('');
    expect(text).toBe('Hi! How can I help today?');
    const { run } = result.events.at(-1)!.data;
    expect(run.cost_usd).toBeCloseTo(1.3e-5, 12);
    expect(run.ttft_ms).toBeGreaterThanOrEqual(0);
    expect(run.latency_ms).toBeGreaterThanOrEqual(run.ttft_ms);
    expect(run.finish_reason).toBe('stop');
    expect(run.aborted).toBe(false);
    expect(run.web_status).toBe('ok');

    const rows = await csvRows();
    const row = rows.find((candidate) => candidate.run_id === run.run_id);
    expect(row).toBeDefined();
    expect(row!.run_notes).toBe('a, "quoted"\nnote');
    expect(row!.experiment_id).toBe('exp-1');
    expect(row!.aborted).toBe('false');
    expect(row!.streaming).toBe('true');

    const session = JSON.parse(await readFile(path.join(lab.dataDir, 'sessions', `${run.session_id}.json`), 'utf8'));
    expect(session.transcript.map((entry: { role: string }) => entry.role)).toEqual(['user', 'assistant']);
    expect(session.transcript[1].content).toBe(text);
    expect(session.runs[0].run_id).toBe(run.run_id);
  });

  it('continues a conversation in the same session with the history sent to the model', async () => {
    const first = await postSse({ url: `${lab.url}/api/chat`, body: { agent_id: agentId, message: 'My name is Ada.' } });
    const sessionId = first.events[0]!.data.session_id;
    const second = await postSse({ url: `${lab.url}/api/chat`, body: { agent_id: agentId, session_id: sessionId, message: 'What is my name?' } });
    expect(second.events[0]!.data.session_id).toBe(sessionId);
    const sent = lab.provider.requests.filter((request) => request.path.endsWith('/chat/completions')).at(-1)!.body as { messages: Array<{ role: string; content: string }> };
    expect(sent.messages.map((message) => message.role)).toEqual(['system', 'user', 'assistant', 'user']);
    const session = await api(`${lab.url}/api/sessions/${sessionId}`);
    expect(session.json.transcript).toHaveLength(4);
    expect(session.json.runs).toHaveLength(2);
  });

  it('runs the agent loop: a tool call, its result, and the final answer', async () => {
    const result = await postSse({ url: `${lab.url}/api/chat`, body: { agent_id: agentId, message: 'Add them [[scenario:tool-add a=2 b=3]]' } });
    const call = result.events.find((event) => event.event === 'tool-call');
    const toolResult = result.events.find((event) => event.event === 'tool-result');
    expect(call?.data).toMatchObject({ name: 'add_numbers', args: { a: 2, b: 3 } });
    expect(toolResult?.data.result).toBe('5');
    const text = result.events.filter((event) => event.event === 'text-delta').map((event) => event.data.delta).join('');
    expect(text).toContain('5');
    expect(result.events.at(-1)!.event).toBe('run-end');
    const session = await api(`${lab.url}/api/sessions/${result.events[0]!.data.session_id}`);
    expect(session.json.transcript.map((entry: { role: string }) => entry.role)).toEqual(['user', 'tool', 'assistant']);
    expect(session.json.transcript[1]).toMatchObject({ name: 'add_numbers', content: '5' });

    // A follow-up replays the tool call and its result to the model, in OpenAI's order.
    await postSse({ url: `${lab.url}/api/chat`, body: { agent_id: agentId, session_id: result.events[0]!.data.session_id, message: 'And again?' } });
    const sent = lab.provider.requests.filter((request) => request.path.endsWith('/chat/completions')).at(-1)!.body as {
      messages: Array<{ role: string; content: string | null; tool_calls?: Array<{ id: string; function: { name: string; arguments: string } }>; tool_call_id?: string }>;
    };
    expect(sent.messages.map((message) => message.role)).toEqual(['system', 'user', 'assistant', 'tool', 'assistant', 'user']);
    const replayed = sent.messages[2]!.tool_calls![0]!;
    expect(replayed.function.name).toBe('add_numbers');
    expect(JSON.parse(replayed.function.arguments)).toEqual({ a: 2, b: 3 });
    expect(sent.messages[3]).toMatchObject({ tool_call_id: replayed.id, content: '5' });
  });

  it('refuses a fetch outside the allow-list and marks the run web_status=blocked', async () => {
    const result = await postSse({ url: `${lab.url}/api/chat`, body: { agent_id: agentId, message: 'Fetch [[scenario:tool-fetch url=https://evil.example.net/x]]' } });
    const toolResult = result.events.find((event) => event.event === 'tool-result');
    expect(toolResult?.data.result).toBe("Refused: domain 'evil.example.net' not in allow-list.");
    expect(toolResult?.data.web_status).toBe('blocked');
    expect(result.events.at(-1)!.data.run.web_status).toBe('blocked');
  });

  it('records a mid-stream provider error as a failed run and sends an error event', async () => {
    const result = await postSse({ url: `${lab.url}/api/chat`, body: { agent_id: agentId, message: 'Break [[scenario:mid-error after=3 message="upstream fell over"]]' } });
    const error = result.events.find((event) => event.event === 'error');
    expect(error?.data.message).toContain('upstream fell over');
    const run = result.events.at(-1)!.data.run;
    expect(run.finish_reason).toBe('error');
    expect(run.error).toContain('upstream fell over');
    const row = (await csvRows()).find((candidate) => candidate.run_id === run.run_id);
    expect(row?.error).toContain('upstream fell over');
  });

  it('records a rejected key (401) as a failed run with a clear message, without retrying', async () => {
    const before = lab.provider.requests.length;
    const result = await postSse({ url: `${lab.url}/api/chat`, body: { agent_id: agentId, message: 'x [[scenario:error status=401 message="No auth credentials found"]]' } });
    const error = result.events.find((event) => event.event === 'error');
    expect(error?.data.message).toMatch(/key/i);
    expect(error?.data.retryable).toBe(false);
    expect(lab.provider.requests.length - before).toBe(1);
    expect(result.events.at(-1)!.data.run.error).not.toBe('');
  });

  it('garbage SSE and a connection reset end as failed runs and the lab keeps serving', async () => {
    for (const directive of ['[[scenario:garbage after=2]]', '[[scenario:reset after=2]]']) {
      const result = await postSse({ url: `${lab.url}/api/chat`, body: { agent_id: agentId, message: `x ${directive}` } });
      expect(result.events.some((event) => event.event === 'error')).toBe(true);
      expect(result.events.at(-1)!.event).toBe('run-end');
    }
    expect((await api(`${lab.url}/health`)).status).toBe(200);
  });

  it('Stop: a client disconnect aborts the upstream request at once and records the run as aborted with its partial text', async () => {
    let runId = '';
    const result = await postSse({
      url: `${lab.url}/api/chat`,
      body: { agent_id: agentId, message: 'Tell a long story [[scenario:slow delay=20 tokens=400]]' },
      onEvent: (event, events) => {
        if (event.event === 'run-start') runId = event.data.run_id;
        return events.filter((candidate) => candidate.event === 'text-delta').length >= 5;
      },
    });
    const upstream = await waitFor(async () => lab.provider.requests.find((request) => request.closedAt !== undefined && (request.body as any)?.messages?.at(-1)?.content?.includes('long story')));
    const stopLatency = upstream.closedAt! - result.disconnectedAt!;
    console.log(`Stop latency (client gone -> upstream socket closed): ${stopLatency.toFixed(1)} ms`);
    expect(stopLatency).toBeLessThan(500);
    expect(upstream.aborted).toBe(true);
    const row = await waitFor(async () => (await csvRows()).find((candidate) => candidate.run_id === runId));
    expect(row.aborted).toBe('true');
    expect(Number(row.completion_tokens)).toBeGreaterThanOrEqual(5);
    expect(Number(row.completion_tokens)).toBeLessThan(400);
  });

  it('POST /api/runs/:id/cancel stops a running run', async () => {
    const result = await postSse({
      url: `${lab.url}/api/chat`,
      body: { agent_id: agentId, message: 'Slow [[scenario:slow delay=20 tokens=400]]' },
      onEvent: (event) => {
        if (event.event === 'run-start') void api(`${lab.url}/api/runs/${event.data.run_id}/cancel`, { method: 'POST' });
      },
    });
    const end = result.events.at(-1)!;
    expect(end.event).toBe('run-end');
    expect(end.data.run.aborted).toBe(true);
    expect((await api(`${lab.url}/api/runs/${end.data.run.run_id}/cancel`, { method: 'POST' })).status).toBe(404);
  });

  it('stream:false answers with one JSON document', async () => {
    const response = await api(`${lab.url}/api/chat`, { body: { agent_id: agentId, message: 'Hi [[scenario:normal text="Plain answer."]]', stream: false } });
    expect(response.status).toBe(200);
    expect(response.json.text).toBe('Plain answer.');
    expect(response.json.run.run_id).toBe(response.json.run_id);
  });

  it('an inline agent config works without saving an agent', async () => {
    const response = await api(`${lab.url}/api/chat`, { body: { agent: { name: 'Inline', model: 'x/y' }, message: 'Hi', stream: false } });
    expect(response.status).toBe(200);
    expect(response.json.run.agent_name).toBe('Inline');
  });

  it('agent_id with agent: this request runs with the unsaved settings, attributed to the saved agent, which stays as it was', async () => {
    const before = (await api(`${lab.url}/api/agents/${agentId}`)).json;
    const unsaved = { name: 'Echo', model: 'openai/gpt-4o', system_prompt: 'Try this prompt.', temperature: 1.5, top_p: 0.5, max_tokens: 64, tools: [] };
    const response = await api(`${lab.url}/api/chat`, { body: { agent_id: agentId, agent: unsaved, message: 'Hi [[scenario:normal text="Tried."]]', stream: false } });
    expect(response.status).toBe(200);
    expect(response.json.run.agent_id).toBe(agentId);
    expect(response.json.run.model).toBe('openai/gpt-4o');
    const sent = lab.provider.chatRequests().at(-1)!.body as { model: string; temperature: number; top_p: number; max_tokens: number; messages: Array<{ role: string; content: string }>; tools?: unknown[] };
    expect(sent).toMatchObject({ model: 'openai/gpt-4o', temperature: 1.5, top_p: 0.5, max_tokens: 64 });
    expect(sent.messages[0]).toEqual({ role: 'system', content: 'Try this prompt.' });
    expect(sent.tools ?? []).toEqual([]);
    // The saved agent did not change.
    expect((await api(`${lab.url}/api/agents/${agentId}`)).json).toEqual(before);
    // The next request with agent_id alone uses the saved settings again.
    await api(`${lab.url}/api/chat`, { body: { agent_id: agentId, message: 'Hi again', stream: false } });
    expect(lab.provider.chatRequests().at(-1)!.body).toMatchObject({ model: 'openai/gpt-4o-mini', temperature: before.temperature });
  });
});

describe('POST /api/chat (bad input)', () => {
  it.each([
    [{ message: 'hi' }, /agent_id/],
    [{ agent_id: 'x' }, /message is required/], // the schema words its own type message; missing is still said as missing
    [{ agent_id: 'x', message: '' }, /message/],
    [{ agent_id: 'x', message: 5 }, /message/],
    [{ agent_id: 'x', message: 'hi', session_id: '../etc/passwd' }, /session/],
    [{ agent_id: 'x', message: 'hi', extra: 1 }, /extra/],
  ])('%j → 400 naming the field', async (body, pattern) => {
    const response = await api(`${lab.url}/api/chat`, { body });
    expect(response.status).toBe(400);
    expect(response.json.error.message).toMatch(pattern);
  });

  it('unknown agent or session → 404', async () => {
    expect((await api(`${lab.url}/api/chat`, { body: { agent_id: 'nope', message: 'hi' } })).status).toBe(404);
    expect((await api(`${lab.url}/api/chat`, { body: { agent_id: agentId, session_id: 'missing-session', message: 'hi' } })).status).toBe(404);
  });

  it('malformed JSON → 400, oversized body → 413, a prompt over the limit → 400', async () => {
    const malformed = await api(`${lab.url}/api/chat`, { raw: '{"message": ' });
    expect(malformed.status).toBe(400);
    expect(malformed.json.error.code).toBe('bad_request:json');
    const huge = await postAnsweredEarly(`${lab.url}/api/chat`, JSON.stringify({ agent_id: agentId, message: 'x'.repeat(2_000_000) }));
    expect(huge.status).toBe(413);
    const long = await api(`${lab.url}/api/chat`, { body: { agent_id: agentId, message: 'x'.repeat(100_001) } });
    expect(long.status).toBe(400);
  });
});

describe('runs API', () => {
  it('filters runs, downloads them as CSV and summarises per model', async () => {
    const all = await api(`${lab.url}/api/runs`);
    expect(all.json.count).toBeGreaterThan(3);
    const filtered = await api(`${lab.url}/api/runs?experiment_id=exp-1`);
    expect(filtered.json.runs.every((run: { experiment_id: string }) => run.experiment_id === 'exp-1')).toBe(true);
    expect(filtered.json.count).toBe(1);
    const csv = await fetch(`${lab.url}/api/runs.csv?experiment_id=exp-1`);
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const rows = parse(await csv.text(), { columns: true });
    expect(rows).toHaveLength(1);
    const summary = await api(`${lab.url}/api/runs/summary`);
    const model = summary.json.models.find((entry: { model: string }) => entry.model === 'openai/gpt-4o-mini');
    expect(model.count).toBeGreaterThan(3);
    expect(model.abort_rate).toBeGreaterThan(0);
    expect(model.error_rate).toBeGreaterThan(0);
    expect(model.latency_ms.p50).toBeGreaterThanOrEqual(0);
    expect((await api(`${lab.url}/api/runs?since=not-a-date`)).status).toBe(400);
  });

  it('every session file parses and every runs.csv record has the header field count', async () => {
    for (const file of await readdir(path.join(lab.dataDir, 'sessions'))) {
      if (file.endsWith('.json')) JSON.parse(await readFile(path.join(lab.dataDir, 'sessions', file), 'utf8'));
    }
    const records: string[][] = parse(await readFile(path.join(lab.dataDir, 'runs.csv'), 'utf8'), { relax_column_count: true });
    expect(records[0]).toHaveLength(24);
    expect(records.every((record) => record.length === 24)).toBe(true);
  });
});

/**
 * POST a body the server may refuse before it has all arrived (413): send its headers and the
 * first kilobyte, then wait for the answer (fetch would fail with EPIPE when the server stops
 * reading the upload before fetch reads the answer).
 */
function postAnsweredEarly(url: string, body: string): Promise<{ status: number }> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (response) => {
      response.resume();
      resolve({ status: response.statusCode ?? 0 });
      request.destroy();
    });
    request.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ECONNRESET') reject(error);
    });
    request.write(body.slice(0, 1024));
  });
}
