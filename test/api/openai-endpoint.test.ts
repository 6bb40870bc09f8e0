import { existsSync } from 'node:fs';
import { readFile, readdir, writeFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { generateText, stepCountIs, streamText, tool } from 'ai';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { api } from '../support/sse-client.js';
import { runsCsvRows, waitFor } from '../support/lab-data.js';
import { startLab, type RunningLab } from '../support/start-lab.js';

/**
 * The OpenAI-compatible endpoint driven by real clients: the official `openai` npm package
 * and the Vercel AI SDK (`@ai-sdk/openai-compatible`), against a real lab and the loopback
 * OpenRouter-format server.
 */

type Row = Record<string, string>;

const csvRows = (lab: RunningLab): Promise<Row[]> => runsCsvRows(lab.dataDir);

async function rowFor(lab: RunningLab, runId: string): Promise<Row> {
  return waitFor(async () => (await csvRows(lab)).find((row) => row.run_id === runId));
}

/** The run id a chat completion id carries (`chatcmpl-<run id>`). */
function runIdOf(completionId: string): string {
  expect(completionId).toMatch(/^chatcmpl-/);
  return completionId.slice('chatcmpl-'.length);
}

const MODEL = 'openai/gpt-4o-mini';

describe('OpenAI-compatible endpoint, open lab', () => {
  let lab: RunningLab;
  let client: OpenAI;

  beforeAll(async () => {
    lab = await startLab({ env: { RETRY_MAX_ATTEMPTS: '1' } });
    client = new OpenAI({ baseURL: `${lab.url}/v1`, apiKey: 'unused-without-a-lab-token', maxRetries: 0 });
  });
  afterAll(async () => lab?.close());

  it('answers a non-streaming completion and records the run in runs.csv and a session', async () => {
    const { data: answer, response } = await client.chat.completions
      .create({ model: MODEL, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hello [[scenario:normal text="Hi from the lab." cost=2.5e-05]]' }] })
      .withResponse();
    expect(answer.object).toBe('chat.completion');
    expect(answer.choices[0]!.message.content).toBe('Hi from the lab.');
    expect(answer.choices[0]!.finish_reason).toBe('stop');
    expect(answer.usage!.completion_tokens).toBeGreaterThan(0);
    const runId = runIdOf(answer.id);
    expect(response.headers.get('x-agent-lab-run-id')).toBe(runId);

    const row = await rowFor(lab, runId);
    expect(row.model).toBe(MODEL);
    expect(row.agent_name).toBe('OpenAI endpoint');
    expect(Number(row.cost_usd)).toBeCloseTo(2.5e-5, 12);
    expect(Number(row.completion_tokens)).toBe(answer.usage!.completion_tokens);
    expect(row.ttft_ms).not.toBe('');
    expect(row.aborted).toBe('false');
    const sessionId = response.headers.get('x-agent-lab-session-id');
    expect(row.session_id).toBe(sessionId);
    const session = JSON.parse(await readFile(path.join(lab.dataDir, 'sessions', `${sessionId}.json`), 'utf8'));
    expect(session.transcript.map((entry: { role: string }) => entry.role)).toEqual(['user', 'assistant']);
    expect(session.transcript[1].content).toBe('Hi from the lab.');

    // what went upstream: the client's messages, and only the parameters the client set
    const upstream = lab.provider.chatRequests().at(-1)!.body as Record<string, unknown>;
    expect((upstream.messages as Array<{ role: string }>).map((message) => message.role)).toEqual(['system', 'user']);
    expect(upstream).not.toHaveProperty('temperature');
    expect(upstream).not.toHaveProperty('tools');
  });

  it('streams text chunks, a usage chunk with stream_options.include_usage, and takes tags from headers', async () => {
    const stream = await client.chat.completions.create(
      {
        model: MODEL,
        messages: [{ role: 'user', content: [{ type: 'text', text: 'Stream please ' }, { type: 'text', text: '[[scenario:normal text="one two three four five"]]' }] }],
        stream: true,
        stream_options: { include_usage: true },
        temperature: 0.2,
      },
      { headers: { 'X-Agent-Lab-Experiment': 'exp-openai', 'X-Agent-Lab-Task': 'stream-task', 'X-Agent-Lab-Notes': 'from the SDK, "quoted"' } },
    );
    let text = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | null | undefined;
    let id = '';
    let contentChunks = 0;
    for await (const chunk of stream) {
      id = chunk.id;
      const choice = chunk.choices[0];
      if (choice?.delta.content) {
        text += choice.delta.content;
        contentChunks += 1;
      }
      if (choice?.finish_reason) finish = choice.finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('one two three four five');
    expect(contentChunks).toBeGreaterThan(2);
    expect(finish).toBe('stop');
    expect(usage!.total_tokens).toBe(usage!.prompt_tokens + usage!.completion_tokens);

    const row = await rowFor(lab, runIdOf(id));
    expect(row.streaming).toBe('true');
    expect(row.experiment_id).toBe('exp-openai');
    expect(row.task_label).toBe('stream-task');
    expect(row.run_notes).toBe('from the SDK, "quoted"');
    expect(Number(row.ttft_ms)).toBeGreaterThanOrEqual(0);
    expect(Number(row.completion_tokens)).toBe(usage!.completion_tokens);
    expect((lab.provider.chatRequests().at(-1)!.body as { temperature: number }).temperature).toBe(0.2);
  });

  it('takes tags from the body metadata, and keeps the run out of sessions with X-Agent-Lab-Session: none', async () => {
    const before = existsSync(path.join(lab.dataDir, 'sessions')) ? (await readdir(path.join(lab.dataDir, 'sessions'))).length : 0;
    const { data, response } = await client.chat.completions
      .create(
        { model: MODEL, messages: [{ role: 'user', content: 'tagged by metadata' }], metadata: { experiment_id: 'exp-meta', task_label: 'meta-task' } },
        { headers: { 'X-Agent-Lab-Session': 'none' } },
      )
      .withResponse();
    expect(response.headers.get('x-agent-lab-session-id')).toBeNull();
    const row = await rowFor(lab, runIdOf(data.id));
    expect(row.experiment_id).toBe('exp-meta');
    expect(row.task_label).toBe('meta-task');
    expect(row.session_id).toBe('');
    expect((await readdir(path.join(lab.dataDir, 'sessions'))).length).toBe(before);
  });

  it('passes the client tools through and returns the tool call unrun; the client sends the result back', async () => {
    const tools: OpenAI.Chat.Completions.ChatCompletionTool[] = [
      {
        type: 'function',
        function: { name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
      },
    ];
    lab.provider.enqueue({ type: 'tool-call', calls: [{ name: 'get_weather', arguments: { city: 'Paris' }, id: 'call_weather_1' }] });
    const requestsBefore = lab.provider.chatRequests().length;
    const messages: OpenAI.Chat.Completions.ChatCompletionMessageParam[] = [{ role: 'user', content: 'What is the weather in Paris?' }];
    const stream = await client.chat.completions.create({ model: MODEL, messages, tools, tool_choice: 'auto', stream: true });
    const calls = new Map<number, { id: string; name: string; arguments: string }>();
    let finish: string | null = null;
    let id = '';
    for await (const chunk of stream) {
      id = chunk.id;
      for (const delta of chunk.choices[0]?.delta.tool_calls ?? []) {
        const call = calls.get(delta.index) ?? { id: '', name: '', arguments: '' };
        call.id ||= delta.id ?? '';
        call.name ||= delta.function?.name ?? '';
        call.arguments += delta.function?.arguments ?? '';
        calls.set(delta.index, call);
      }
      if (chunk.choices[0]?.finish_reason) finish = chunk.choices[0].finish_reason;
    }
    expect(finish).toBe('tool_calls');
    expect([...calls.values()]).toEqual([{ id: 'call_weather_1', name: 'get_weather', arguments: JSON.stringify({ city: 'Paris' }) }]);
    // one model call, with the client's own tools and tool_choice; the lab ran nothing
    expect(lab.provider.chatRequests().length).toBe(requestsBefore + 1);
    const upstream = lab.provider.chatRequests().at(-1)!.body as { tools: Array<{ function: { name: string } }>; tool_choice: string };
    expect(upstream.tools.map((entry) => entry.function.name)).toEqual(['get_weather']);
    expect(upstream.tool_choice).toBe('auto');
    expect((await rowFor(lab, runIdOf(id))).finish_reason).toBe('tool_calls');

    // the client runs the tool and sends the result back
    const call = calls.get(0)!;
    messages.push({ role: 'assistant', content: null, tool_calls: [{ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } }] });
    messages.push({ role: 'tool', tool_call_id: call.id, content: 'Sunny, 21 C' });
    const final = await client.chat.completions.create({ model: MODEL, messages, tools });
    expect(final.choices[0]!.message.content).toBe('The tool get_weather returned: Sunny, 21 C');
    const sent = lab.provider.chatRequests().at(-1)!.body as { messages: Array<{ role: string; tool_call_id?: string; tool_calls?: unknown[] }> };
    expect(sent.messages.map((message) => message.role)).toEqual(['user', 'assistant', 'tool']);
    expect(sent.messages[2]!.tool_call_id).toBe('call_weather_1');
  });

  it('returns a non-streamed tool call as message.tool_calls', async () => {
    lab.provider.enqueue({ type: 'tool-call', calls: [{ name: 'lookup', arguments: { q: 'x' }, id: 'call_lookup' }] });
    const answer = await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'look it up' }],
      tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } } }],
      tool_choice: { type: 'function', function: { name: 'lookup' } },
    });
    expect(answer.choices[0]!.finish_reason).toBe('tool_calls');
    expect(answer.choices[0]!.message.content).toBeNull();
    const calls = answer.choices[0]!.message.tool_calls as Array<{ id: string; function: { name: string; arguments: string } }>;
    expect(calls.map((entry) => [entry.id, entry.function.name, JSON.parse(entry.function.arguments)])).toEqual([['call_lookup', 'lookup', { q: 'x' }]]);
    expect((lab.provider.chatRequests().at(-1)!.body as { tool_choice: unknown }).tool_choice).toEqual({ type: 'function', function: { name: 'lookup' } });
  });

  it('applies a saved agent for agent/<name>; the request’s own parameters override the agent’s', async () => {
    const created = await api(`${lab.url}/api/agents`, {
      body: { name: 'Pirate', model: 'openai/gpt-4o', system_prompt: 'Talk like a pirate.', temperature: 0.3, max_tokens: 77 },
    });
    expect(created.status).toBe(201);
    const answer = await client.chat.completions.create({ model: 'agent/Pirate', messages: [{ role: 'user', content: 'Ahoy' }], temperature: 0.9 });
    expect(answer.model).toBe('openai/gpt-4o');
    const upstream = lab.provider.chatRequests().at(-1)!.body as { model: string; messages: Array<{ role: string; content: string }>; temperature: number; max_tokens: number };
    expect(upstream.model).toBe('openai/gpt-4o');
    expect(upstream.messages[0]).toEqual({ role: 'system', content: 'Talk like a pirate.' });
    expect(upstream.temperature).toBe(0.9);
    expect(upstream.max_tokens).toBe(77);
    const row = await rowFor(lab, runIdOf(answer.id));
    expect(row.agent_name).toBe('Pirate');
    expect(row.agent_id).toBe(created.json.id);

    // by id too, and /v1/models lists the agent
    const byId = await client.chat.completions.create({ model: `agent/${created.json.id}`, messages: [{ role: 'user', content: 'Ahoy again' }] });
    expect((await rowFor(lab, runIdOf(byId.id))).agent_name).toBe('Pirate');
    const models = await client.models.list();
    const ids = models.data.map((model) => model.id);
    expect(ids).toContain(MODEL);
    expect(ids).toContain('agent/Pirate');
    expect((await client.models.retrieve('agent/Pirate')).id).toBe('agent/Pirate');
  });

  it('answers errors in OpenAI’s shape with the matching status', async () => {
    // a field of the wrong type: 400 naming it
    const wrongType = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'x' }], temperature: 'hot' as unknown as number }).catch((error: unknown) => error);
    expect(wrongType).toBeInstanceOf(OpenAI.BadRequestError);
    expect((wrongType as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('temperature');
    expect((wrongType as Error).message).toContain('temperature');

    const noMessages = await fetch(`${lab.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: MODEL }) });
    expect(noMessages.status).toBe(400);
    const body = (await noMessages.json()) as { error: { message: string; type: string; code: string; param: string } };
    expect(body.error.type).toBe('invalid_request_error');
    expect(body.error.param).toBe('messages');
    expect(body.error.message).toContain('messages');

    const unknown = await client.chat.completions.create({ model: 'nobody/no-such-model', messages: [{ role: 'user', content: 'x' }] }).catch((error: unknown) => error);
    expect(unknown).toBeInstanceOf(OpenAI.NotFoundError);
    expect((unknown as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('model_not_found');
    const noAgent = await client.chat.completions.create({ model: 'agent/Nobody', messages: [{ role: 'user', content: 'x' }] }).catch((error: unknown) => error);
    expect((noAgent as InstanceType<typeof OpenAI.NotFoundError>).status).toBe(404);

    // the provider failing before the first token: an HTTP error with the upstream status, streamed or not, and a failed run
    const upstream = await client.chat.completions
      .create({ model: MODEL, messages: [{ role: 'user', content: '[[scenario:error status=503 retry_after=7 message="no provider"]]' }], stream: true })
      .catch((error: unknown) => error);
    expect(upstream).toBeInstanceOf(OpenAI.APIError);
    expect((upstream as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
    expect((upstream as InstanceType<typeof OpenAI.APIError>).headers?.get('retry-after')).toBe('7');
    expect((upstream as InstanceType<typeof OpenAI.APIError>).type).toBe('server_error');
    const badGateway = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: '[[scenario:error status=400]]' }] }).catch((error: unknown) => error);
    expect((badGateway as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
    const failedRows = (await csvRows(lab)).filter((row) => row.finish_reason === 'error');
    expect(failedRows.length).toBeGreaterThanOrEqual(2);

    // an error after tokens arrived: the stream carries it and the SDK throws it
    const midStream = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: '[[scenario:mid-error after=2 message="upstream broke"]]' }], stream: true });
    let received = '';
    const thrown = await (async () => {
      for await (const chunk of midStream) received += chunk.choices[0]?.delta.content ?? '';
    })().catch((error: unknown) => error);
    expect(received.length).toBeGreaterThan(0);
    expect(thrown).toBeInstanceOf(OpenAI.APIError);
    expect((thrown as Error).message).toContain('upstream broke');
  });

  it('continues a session named in X-Agent-Lab-Session, keeping the tool calls and the results the client sent', async () => {
    lab.provider.enqueue({ type: 'tool-call', calls: [{ name: 'get_weather', arguments: { city: 'Oslo' }, id: 'call_oslo' }] });
    const tools: OpenAI.Chat.Completions.ChatCompletionTool[] = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
    const messages: OpenAI.Chat.Completions.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Weather in Oslo?' }];
    const first = await client.chat.completions.create({ model: MODEL, messages, tools }).withResponse();
    const sessionId = first.response.headers.get('x-agent-lab-session-id')!;
    const call = first.data.choices[0]!.message.tool_calls![0] as { id: string; type: 'function'; function: { name: string; arguments: string } };
    messages.push({ role: 'assistant', content: null, tool_calls: [call] }, { role: 'tool', tool_call_id: call.id, content: 'Snow' });
    const second = await client.chat.completions.create({ model: MODEL, messages, tools }, { headers: { 'X-Agent-Lab-Session': sessionId } }).withResponse();
    expect(second.response.headers.get('x-agent-lab-session-id')).toBe(sessionId);
    expect(second.data.choices[0]!.message.content).toBe('The tool get_weather returned: Snow');

    const session = JSON.parse(await readFile(path.join(lab.dataDir, 'sessions', `${sessionId}.json`), 'utf8'));
    expect(session.transcript.map((entry: { role: string }) => entry.role)).toEqual(['user', 'assistant', 'tool', 'assistant']);
    expect(session.transcript[1].tool_calls).toEqual([{ id: 'call_oslo', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }]);
    expect(session.transcript[2]).toMatchObject({ role: 'tool', content: 'Snow', tool_call_id: 'call_oslo', name: 'get_weather' });
    expect(session.runs.map((run: { run_id: string }) => run.run_id)).toEqual([runIdOf(first.data.id), runIdOf(second.data.id)]);

    const badSession = await client.chat.completions.create({ model: MODEL, messages }, { headers: { 'X-Agent-Lab-Session': '../etc' } }).catch((error: unknown) => error);
    expect((badSession as InstanceType<typeof OpenAI.BadRequestError>).status).toBe(400);
    expect((badSession as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('x-agent-lab-session');
  });

  it('serves the in-process local model through /v1 at cost 0', async () => {
    const answer = await client.chat.completions.create({ model: 'local/agent-lab-tiny', messages: [{ role: 'user', content: 'Hello' }], max_tokens: 8 });
    expect(typeof answer.choices[0]!.message.content).toBe('string');
    expect(answer.usage!.completion_tokens).toBeGreaterThan(0);
    expect(answer.usage!.completion_tokens).toBeLessThanOrEqual(8);
    const row = await rowFor(lab, runIdOf(answer.id));
    expect(row.model_list_source).toBe('local');
    expect(Number(row.cost_usd)).toBe(0);
    expect(lab.provider.chatRequests().some((request) => (request.body as { model?: string }).model === 'local/agent-lab-tiny')).toBe(false);
    const missing = await client.chat.completions.create({ model: 'local/no-such-file', messages: [{ role: 'user', content: 'x' }] }).catch((error: unknown) => error);
    expect((missing as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('model_not_found');
  });

  it('records the run aborted when the client stops the stream, and aborts the upstream request', async () => {
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { model: MODEL, messages: [{ role: 'user', content: 'long one [[scenario:slow delay=60 tokens=200]]' }], stream: true },
      { signal: controller.signal },
    );
    const upstreamIndex = lab.provider.requests.length - 1;
    let id = '';
    let chunks = 0;
    await (async () => {
      for await (const chunk of stream) {
        id = chunk.id;
        if (chunk.choices[0]?.delta.content) chunks += 1;
        if (chunks === 3) controller.abort();
      }
    })().catch((error: unknown) => {
      if (!(error instanceof OpenAI.APIUserAbortError)) throw error;
    });
    await lab.provider.waitForClose(upstreamIndex);
    const row = await rowFor(lab, runIdOf(id));
    expect(row.aborted).toBe('true');
    expect(row.finish_reason).toBe('aborted');
    expect(Number(row.completion_tokens)).toBeGreaterThanOrEqual(3);
    expect(Number(row.completion_tokens)).toBeLessThan(200);
  });

  it('records a non-streamed call aborted when the client gives up before the answer', async () => {
    const controller = new AbortController();
    const upstreamCount = lab.provider.requests.length;
    const pending = fetch(`${lab.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-agent-lab-experiment': 'exp-give-up' },
      body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'slow [[scenario:slow delay=50 tokens=200]]' }] }),
      signal: controller.signal,
    }).catch((error: unknown) => error);
    await lab.provider.waitForRequest(upstreamCount);
    await new Promise((resolve) => setTimeout(resolve, 300));
    controller.abort();
    expect(await pending).toBeInstanceOf(Error);
    await lab.provider.waitForClose(upstreamCount);
    const row = await waitFor(async () => (await csvRows(lab)).find((candidate) => candidate.experiment_id === 'exp-give-up'));
    expect(row.aborted).toBe('true');
    expect(Number(row.completion_tokens)).toBeGreaterThan(0);
    expect(Number(row.completion_tokens)).toBeLessThan(200);
  });

  describe('through the Vercel AI SDK', () => {
    const provider = () =>
      createOpenAICompatible({ name: 'agent-lab', baseURL: `${lab.url}/v1`, apiKey: 'unused', includeUsage: true, headers: { 'X-Agent-Lab-Experiment': 'exp-ai-sdk' } });

    it('generateText and streamText work unchanged and are recorded', async () => {
      const generated = await generateText({ model: provider().chatModel(MODEL), prompt: 'Hi [[scenario:normal text="Generated by the lab."]]', maxRetries: 0 });
      expect(generated.text).toBe('Generated by the lab.');
      expect(generated.usage.outputTokens).toBeGreaterThan(0);

      const streamed = streamText({ model: provider().chatModel(MODEL), prompt: 'Hi [[scenario:normal text="Streamed through the lab."]]', maxRetries: 0 });
      let text = '';
      for await (const delta of streamed.textStream) text += delta;
      expect(text).toBe('Streamed through the lab.');
      expect((await streamed.usage).outputTokens).toBeGreaterThan(0);
      const rows = (await csvRows(lab)).filter((row) => row.experiment_id === 'exp-ai-sdk');
      // both recorded, each with a time to first token (the lab streams from the provider either way)
      expect(rows.length).toBe(2);
      for (const row of rows) expect(row.ttft_ms).not.toBe('');
    });

    it('runs a tool round trip: the SDK executes the tool the model asked for and sends the result back', async () => {
      lab.provider.enqueue({ type: 'tool-call', calls: [{ name: 'get_time', arguments: { zone: 'UTC' }, id: 'call_time_1' }] });
      let executedWith: unknown;
      const result = streamText({
        model: provider().chatModel(MODEL),
        prompt: 'What time is it?',
        tools: {
          get_time: tool({
            description: 'The current time in a zone',
            inputSchema: z.object({ zone: z.string() }),
            execute: async (input) => {
              executedWith = input;
              return '12:00';
            },
          }),
        },
        stopWhen: stepCountIs(3),
        maxRetries: 0,
      });
      let text = '';
      for await (const delta of result.textStream) text += delta;
      expect(executedWith).toEqual({ zone: 'UTC' });
      expect(text).toBe('The tool get_time returned: 12:00');
      const rows = (await csvRows(lab)).filter((row) => row.experiment_id === 'exp-ai-sdk');
      expect(rows.map((row) => row.finish_reason)).toEqual(expect.arrayContaining(['tool_calls', 'stop']));
    });
  });
});

describe('OpenAI-compatible endpoint, guarded lab (token, read-only, rate limit)', () => {
  const token = 'lab-token-0123456789';
  let lab: RunningLab;

  beforeAll(async () => {
    lab = await startLab({ env: { LAB_AUTH_TOKEN: token, RATE_LIMIT_PER_MINUTE: '12' } });
  });
  afterAll(async () => lab?.close());

  it('requires the lab token as the API key (401 in OpenAI’s shape), and never forwards it upstream', async () => {
    const anonymous = new OpenAI({ baseURL: `${lab.url}/v1`, apiKey: 'wrong-key', maxRetries: 0 });
    const refused = await anonymous.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'x' }] }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((refused as InstanceType<typeof OpenAI.AuthenticationError>).code).toBe('invalid_api_key');
    const bare = await fetch(`${lab.url}/v1/models`);
    expect(bare.status).toBe(401);
    expect(((await bare.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');

    const client = new OpenAI({ baseURL: `${lab.url}/v1`, apiKey: token, maxRetries: 0 });
    const answer = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Hello [[scenario:normal text="Signed in."]]' }] });
    expect(answer.choices[0]!.message.content).toBe('Signed in.');
    const upstream = lab.provider.chatRequests().at(-1)!;
    expect(upstream.headers.authorization).toBe('Bearer sk-or-test-key-0123456789');
    expect(JSON.stringify(upstream)).not.toContain(token);
  });

  it('refuses completions in read-only mode with 503 and keeps serving /v1/models', async () => {
    const client = new OpenAI({ baseURL: `${lab.url}/v1`, apiKey: token, maxRetries: 0 });
    const flag = path.join(lab.cwd, 'READ_ONLY_MODE');
    await writeFile(flag, '');
    try {
      // /health (never rate limited) says when the lab has seen the flag
      await waitFor(async () => (((await (await fetch(`${lab.url}/health`)).json()) as { status: string }).status === 'read_only' ? true : undefined));
      const refused = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'x' }] }).catch((error: unknown) => error);
      expect((refused as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
      expect((refused as InstanceType<typeof OpenAI.APIError>).code).toBe('read_only_store');
      expect((await client.models.list()).data.length).toBeGreaterThan(0);
    } finally {
      await rm(flag, { force: true });
    }
  });

  it('answers 503 JSON with Retry-After in maintenance mode (not the maintenance page)', async () => {
    const flag = path.join(lab.cwd, 'MAINTENANCE_MODE');
    await writeFile(flag, '');
    try {
      await waitFor(async () => (((await (await fetch(`${lab.url}/health`)).json()) as { status: string }).status === 'maintenance' ? true : undefined));
      const response = await fetch(`${lab.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'text/html,application/json' },
        body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'x' }] }),
      });
      expect(response.status).toBe(503);
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(((await response.json()) as { error: { code: string; type: string } }).error).toMatchObject({ code: 'maintenance_service', type: 'server_error' });
    } finally {
      await rm(flag, { force: true });
    }
  });

  it('rate limits /v1 like the API: 429 with Retry-After in OpenAI’s shape', async () => {
    let last: Response | undefined;
    for (let attempt = 0; attempt < 20; attempt += 1) {
      last = await fetch(`${lab.url}/v1/models`, { headers: { authorization: `Bearer ${token}` } });
      if (last.status === 429) break;
    }
    expect(last!.status).toBe(429);
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    const body = (await last!.json()) as { error: { code: string } };
    expect(body.error.code).toBe('rate_limit_exceeded');
  });
});
