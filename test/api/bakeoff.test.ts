import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Scenario } from '../support/openrouter-server.js';
import { startLab, type RunningLab } from '../support/start-lab.js';
import { api, postSse, type ReceivedEvent } from '../support/sse-client.js';

/**
 * `POST /api/bakeoff` against the built lab and the OpenRouter-format test server. Each lane
 * gets its scripted answer from the test server's queue, in the order its upstream request
 * arrives; the tests map requests back to lanes by model, so they never rely on that order.
 */

let lab: RunningLab;
const MODELS = ['openai/gpt-4o-mini', 'openai/gpt-4o', 'anthropic/claude-3.5-haiku', 'meta-llama/llama-3.1-8b-instruct:free'];
const agentIds: string[] = [];

async function csvRows(): Promise<Record<string, string>[]> {
  return parse(await readFile(path.join(lab.dataDir, 'runs.csv'), 'utf8'), { columns: true });
}

/** The scenario each model's upstream request got: the i-th chat request took the i-th queued scenario. */
function scenarioByModel(queued: Scenario[]): Map<string, Scenario> {
  const map = new Map<string, Scenario>();
  lab.provider.chatRequests().forEach((request, index) => {
    const model = (request.body as { model: string }).model;
    if (queued[index]) map.set(model, queued[index]);
  });
  return map;
}

function laneEvents(events: ReceivedEvent[], lane: number, name?: string): ReceivedEvent[] {
  return events.filter((event) => event.data?.lane === lane && (name === undefined || event.event === name));
}

function laneText(events: ReceivedEvent[], lane: number): string {
  return laneEvents(events, lane, 'text-delta')
    .map((event) => event.data.delta)
    .join('');
}

/** How often the lane changes along the text deltas: lanes - 1 when each lane streamed in one block. */
function laneSwitches(events: ReceivedEvent[]): number {
  const lanes = events.filter((event) => event.event === 'text-delta').map((event) => event.data.lane as number);
  return lanes.filter((lane, index) => index > 0 && lane !== lanes[index - 1]).length;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
};

beforeAll(async () => {
  lab = await startLab();
  for (const [index, model] of MODELS.entries()) {
    const created = await api(`${lab.url}/api/agents`, { body: { name: `Lane agent ${index}`, model, system_prompt: 'Be brief.' } });
    expect(created.status).toBe(201);
    agentIds.push(created.json.id);
  }
});
afterAll(async () => lab?.close());
beforeEach(() => lab.provider.reset());

describe('POST /api/bakeoff', () => {
  it('two bake-offs started back to back never share an experiment_id or bakeoff_id; a given experiment_id is kept', async () => {
    const body = { message: 'Twice [[scenario:normal]]', agent: { name: 'One config', model: 'x' }, models: MODELS.slice(0, 2) };
    const [first, second] = await Promise.all([postSse({ url: `${lab.url}/api/bakeoff`, body }), postSse({ url: `${lab.url}/api/bakeoff`, body })]);
    const starts = [first!, second!].map((result) => result.events.find((event) => event.event === 'bakeoff-start')!.data);
    expect(starts[0].experiment_id).not.toBe(starts[1].experiment_id);
    expect(starts[0].bakeoff_id).not.toBe(starts[1].bakeoff_id);
    for (const start of starts) expect(start.experiment_id).toMatch(/^bakeoff-[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    for (const start of starts) expect((await api(`${lab.url}/api/runs?experiment_id=${start.experiment_id}`)).json.count).toBe(2);
    const given = await postSse({ url: `${lab.url}/api/bakeoff`, body: { ...body, tags: { experiment_id: 'my-exp' } } });
    expect(given.events.find((event) => event.event === 'bakeoff-start')!.data.experiment_id).toBe('my-exp');
  });

  it('streams 4 lanes of different speeds interleaved on one stream and records 4 runs sharing the experiment and bake-off ids', async () => {
    const queued: Scenario[] = [
      { type: 'text', tokens: 12, delayMs: 40, cost: '4e-05' },
      { type: 'text', tokens: 12, delayMs: 5, cost: '3e-05' },
      { type: 'text', tokens: 12, delayMs: 20, cost: '1e-06' },
      { type: 'text', tokens: 12, delayMs: 10, cost: '2e-05' },
    ];
    lab.provider.enqueue(...queued);
    const result = await postSse({
      url: `${lab.url}/api/bakeoff`,
      body: { message: 'Compare yourselves', lanes: agentIds.map((agent_id) => ({ agent_id })), tags: { task_label: 'speed' } },
    });
    expect(result.status).toBe(200);
    const start = result.events[0]!;
    expect(start.event).toBe('bakeoff-start');
    const { bakeoff_id: bakeoffId, experiment_id: experimentId } = start.data;
    expect(experimentId).toMatch(/^bakeoff-/);
    expect(start.data.lanes.map((lane: { model: string }) => lane.model)).toEqual(MODELS);

    for (let lane = 0; lane < 4; lane++) {
      expect(laneEvents(result.events, lane, 'run-start')).toHaveLength(1);
      expect(laneEvents(result.events, lane, 'run-end')).toHaveLength(1);
      expect(laneText(result.events, lane).split(' ')).toHaveLength(12);
      expect(laneEvents(result.events, lane, 'error')).toHaveLength(0);
    }
    // Lanes stream at once: their deltas interleave instead of arriving lane after lane.
    expect(laneSwitches(result.events)).toBeGreaterThan(10);

    const scenarios = scenarioByModel(queued);
    const delayOfLane = (lane: number) => (scenarios.get(MODELS[lane]!) as { delayMs: number }).delayMs;
    const costOfLane = (lane: number) => Number((scenarios.get(MODELS[lane]!) as { cost: string }).cost);
    const end = result.events.at(-1)!;
    expect(end.event).toBe('bakeoff-end');
    expect(delayOfLane(end.data.fastest_lane)).toBe(5);
    expect(costOfLane(end.data.cheapest_lane)).toBe(1e-6);

    const listed = await api(`${lab.url}/api/runs?bakeoff_id=${bakeoffId}`);
    expect(listed.json.count).toBe(4);
    const rows = (await csvRows()).filter((row) => row.bakeoff_id === bakeoffId);
    expect(rows).toHaveLength(4);
    expect(new Set(rows.map((row) => row.experiment_id))).toEqual(new Set([experimentId]));
    expect(rows.every((row) => row.task_label === 'speed' && row.aborted === 'false' && row.error === '')).toBe(true);
    expect(new Set(rows.map((row) => row.session_id)).size).toBe(4);
  });

  it('a lane failing mid-way shows its error and leaves the other lanes complete', async () => {
    const queued: Scenario[] = [
      { type: 'text', tokens: 10, delayMs: 10 },
      { type: 'mid-stream-error', afterTokens: 3, message: 'lane model fell over' },
      { type: 'text', tokens: 10, delayMs: 10 },
      { type: 'text', tokens: 10, delayMs: 10 },
    ];
    lab.provider.enqueue(...queued);
    const result = await postSse({ url: `${lab.url}/api/bakeoff`, body: { message: 'Go', agent: { name: 'One config', model: 'x' }, models: MODELS, tags: { experiment_id: 'exp-fail' } } });
    const scenarios = scenarioByModel(queued);
    const failedLane = MODELS.findIndex((model) => scenarios.get(model)?.type === 'mid-stream-error');
    expect(failedLane).toBeGreaterThanOrEqual(0);
    for (let lane = 0; lane < 4; lane++) {
      const run = laneEvents(result.events, lane, 'run-end')[0]!.data.run;
      if (lane === failedLane) {
        expect(laneEvents(result.events, lane, 'error')[0]!.data.message).toContain('lane model fell over');
        expect(run.error).toContain('lane model fell over');
        expect(laneText(result.events, lane).split(' ').filter(Boolean)).toHaveLength(3);
      } else {
        expect(run.error).toBe('');
        expect(run.completion_tokens).toBe(10);
        expect(run.experiment_id).toBe('exp-fail');
      }
    }
    const end = result.events.at(-1)!;
    expect(end.event).toBe('bakeoff-end');
    expect(end.data.fastest_lane).not.toBe(failedLane);
    expect((await api(`${lab.url}/api/runs?experiment_id=exp-fail`)).json.count).toBe(4);
  });

  it('Stop one lane: cancelling its run stops only that lane', async () => {
    let stopped: string | undefined;
    const runIds: string[] = [];
    const result = await postSse({
      url: `${lab.url}/api/bakeoff`,
      body: { message: 'Long one [[scenario:slow delay=15 tokens=60]]', lanes: agentIds.slice(0, 3).map((agent_id) => ({ agent_id })) },
      onEvent: (event, events) => {
        if (event.event === 'bakeoff-start') runIds.push(...event.data.lanes.map((lane: { run_id: string }) => lane.run_id));
        if (!stopped && laneEvents(events, 1, 'text-delta').length >= 3) {
          stopped = runIds[1];
          void api(`${lab.url}/api/runs/${stopped}/cancel`, { method: 'POST' });
        }
      },
    });
    expect(stopped).toBeDefined();
    const runs = [0, 1, 2].map((lane) => laneEvents(result.events, lane, 'run-end')[0]!.data.run);
    expect(runs[1].aborted).toBe(true);
    expect(runs[1].completion_tokens).toBeLessThan(60);
    for (const lane of [0, 2]) {
      expect(runs[lane].aborted).toBe(false);
      expect(runs[lane].completion_tokens).toBe(60);
    }
    expect(result.events.at(-1)!.data.fastest_lane).not.toBe(1);
    const row = (await csvRows()).find((candidate) => candidate.run_id === stopped);
    expect(row?.aborted).toBe('true');
  });

  it('Stop all: closing the connection aborts every lane, and each is recorded as aborted', async () => {
    let bakeoffId = '';
    await postSse({
      url: `${lab.url}/api/bakeoff`,
      body: { message: 'Long [[scenario:slow delay=20 tokens=200]]', agent: { name: 'Cfg', model: 'x' }, models: MODELS.slice(0, 3) },
      onEvent: (event, events) => {
        if (event.event === 'bakeoff-start') bakeoffId = event.data.bakeoff_id;
        return [0, 1, 2].every((lane) => laneEvents(events, lane, 'text-delta').length >= 2);
      },
    });
    await expect
      .poll(async () => (await api(`${lab.url}/api/runs?bakeoff_id=${bakeoffId}`)).json.runs.map((run: { aborted: boolean }) => run.aborted), { timeout: 5000 })
      .toEqual([true, true, true]);
  });

  it('follow-up messages continue each lane’s own session', async () => {
    const first = await postSse({ url: `${lab.url}/api/bakeoff`, body: { message: 'My name is Ada.', lanes: agentIds.slice(0, 2).map((agent_id) => ({ agent_id })) } });
    const lanes = first.events[0]!.data.lanes as Array<{ agent_id: string; session_id: string }>;
    const second = await postSse({
      url: `${lab.url}/api/bakeoff`,
      body: { message: 'What is my name?', lanes: lanes.map((lane) => ({ agent_id: lane.agent_id, session_id: lane.session_id })) },
    });
    expect(second.events[0]!.data.lanes.map((lane: { session_id: string }) => lane.session_id)).toEqual(lanes.map((lane) => lane.session_id));
    for (const lane of lanes) {
      const session = await api(`${lab.url}/api/sessions/${lane.session_id}`);
      expect(session.json.transcript.map((entry: { role: string }) => entry.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
    }
    const followUps = lab.provider.chatRequests().slice(-2);
    for (const request of followUps) {
      expect((request.body as { messages: Array<{ role: string }> }).messages.map((message) => message.role)).toEqual(['system', 'user', 'assistant', 'user']);
    }
  });

  it('awards no "cheapest" when every lane cost $0 or all cost the same, but still names the fastest', async () => {
    const result = await postSse({ url: `${lab.url}/api/bakeoff`, body: { message: 'Free [[scenario:normal text="Free answer." cost=0]]', lanes: agentIds.slice(0, 2).map((agent_id) => ({ agent_id })) } });
    const end = result.events.find((event) => event.event === 'bakeoff-end')!;
    const runs = result.events.filter((event) => event.event === 'run-end').map((event) => event.data.run as { cost_usd: number | null });
    expect(runs.map((run) => run.cost_usd)).toEqual([0, 0]);
    expect(end.data.cheapest_lane).toBeNull();
    expect(end.data.fastest_lane).not.toBeNull();

    const same = await postSse({ url: `${lab.url}/api/bakeoff`, body: { message: 'Same [[scenario:normal text="Same price." cost=2e-05]]', lanes: agentIds.slice(0, 2).map((agent_id) => ({ agent_id })) } });
    expect(same.events.find((event) => event.event === 'bakeoff-end')!.data.cheapest_lane).toBeNull();
  });
});

describe('POST /api/bakeoff (bad input)', () => {
  it.each([
    ['9 lanes', { message: 'hi', lanes: Array.from({ length: 9 }, () => ({ agent: { name: 'a', model: 'm' } })) }, /at most 8/],
    ['1 lane', { message: 'hi', lanes: [{ agent: { name: 'a', model: 'm' } }] }, /2 to 8 lanes/],
    ['9 models', { message: 'hi', agent: { name: 'a', model: 'm' }, models: Array.from({ length: 9 }, (_, index) => `m/${index}`) }, /at most 8/],
    ['1 model', { message: 'hi', agent: { name: 'a', model: 'm' }, models: ['m/1'] }, /2 to 8 lanes/],
    ['no lanes', { message: 'hi' }, /lanes/],
    ['an empty message', { message: '', lanes: [{ agent_id: 'a' }, { agent_id: 'b' }] }, /message/],
    ['a lane without an agent', { message: 'hi', lanes: [{}, { agent_id: 'b' }] }, /agent_id/],
  ])('%s → 400 with a clear message', async (_name, body, pattern) => {
    const response = await api(`${lab.url}/api/bakeoff`, { body });
    expect(response.status).toBe(400);
    expect(response.json.error.message).toMatch(pattern);
  });

  it('an unknown agent id → 404 before any stream starts, and nothing is recorded', async () => {
    const before = (await csvRows()).length;
    const response = await api(`${lab.url}/api/bakeoff`, { body: { message: 'hi', lanes: [{ agent_id: agentIds[0] }, { agent_id: 'no-such-agent' }] } });
    expect(response.status).toBe(404);
    expect((await csvRows()).length).toBe(before);
  });
});

describe('the lab’s added TTFT per lane (report)', () => {
  it('measures time to the first token seen by the client at 1 lane and at 8 concurrent lanes, minus the provider’s own delay', async () => {
    const providerDelayMs = 30;
    const message = `Measure [[scenario:slow delay=${providerDelayMs} tokens=5]]`;
    const repetitions = 5;
    const single: number[] = [];
    const eight: number[] = [];
    // where the added time goes: before the upstream request arrives, and after the provider's first token
    const before = { single: [] as number[], eight: [] as number[] };
    const after = { single: [] as number[], eight: [] as number[] };
    const laneModels = Array.from({ length: 8 }, (_, index) => `ttft/lane-${index}`);
    // one warm-up round (not counted): the first requests open the lab's upstream connections
    await postSse({ url: `${lab.url}/api/bakeoff`, body: { message, agent: { name: 'TTFT', model: 'x' }, models: laneModels } });
    for (let repetition = 0; repetition < repetitions; repetition++) {
      lab.provider.reset();
      const started = performance.now();
      const one = await postSse({ url: `${lab.url}/api/chat`, body: { agent_id: agentIds[0], message } });
      const firstDelta = one.events.find((event) => event.event === 'text-delta')!.at;
      const upstream = lab.provider.chatRequests()[0]!;
      single.push(firstDelta - started - providerDelayMs);
      before.single.push(upstream.receivedAt - started);
      after.single.push(firstDelta - upstream.receivedAt - providerDelayMs);

      lab.provider.reset();
      const startedMany = performance.now();
      const many = await postSse({ url: `${lab.url}/api/bakeoff`, body: { message, agent: { name: 'TTFT', model: 'x' }, models: laneModels } });
      for (let lane = 0; lane < 8; lane++) {
        const laneFirst = laneEvents(many.events, lane, 'text-delta')[0]!.at;
        const laneUpstream = lab.provider.chatRequests().find((request) => (request.body as { model: string }).model === laneModels[lane])!;
        eight.push(laneFirst - startedMany - providerDelayMs);
        before.eight.push(laneUpstream.receivedAt - startedMany);
        after.eight.push(laneFirst - laneUpstream.receivedAt - providerDelayMs);
      }
    }
    const ms = (value: number) => Math.round(value * 10) / 10;
    const report = {
      added_ttft_ms_1_lane_p50: ms(median(single)),
      added_ttft_ms_8_lanes_p50: ms(median(eight)),
      added_ttft_ms_8_lanes_max: ms(Math.max(...eight)),
      to_upstream_ms_p50: { one: ms(median(before.single)), eight: ms(median(before.eight)) },
      first_token_relay_ms_p50: { one: ms(median(after.single)), eight: ms(median(after.eight)) },
    };
    console.log(`Lab-added TTFT per lane (client-observed first token minus the provider's ${providerDelayMs} ms): ${JSON.stringify(report)}`);
    // Not a timing assertion: only that every lane saw its first token and nothing stalled for seconds.
    expect(eight).toHaveLength(8 * repetitions);
    expect(Math.max(...eight)).toBeLessThan(5000);
  });
});

describe('GET /api/compare', () => {
  const chat = (body: Record<string, unknown>) => postSse({ url: `${lab.url}/api/chat`, body });

  it('gives per-model deltas (b − a) of latency, TTFT, cost per run and error rate between two experiments', async () => {
    const [fast, slow] = [agentIds[0]!, agentIds[1]!];
    for (let index = 0; index < 2; index++) {
      await chat({ agent_id: fast, message: `a${index} [[scenario:slow delay=2 tokens=5 cost=1e-05]]`, tags: { experiment_id: 'cmp-a' } });
      await chat({ agent_id: fast, message: `b${index} [[scenario:slow delay=40 tokens=5 cost=3e-05]]`, tags: { experiment_id: 'cmp-b' } });
    }
    await chat({ agent_id: fast, message: 'a-error [[scenario:mid-error after=1]]', tags: { experiment_id: 'cmp-a' } });
    await chat({ agent_id: slow, message: 'only in b [[scenario:normal]]', tags: { experiment_id: 'cmp-b' } });

    const response = await api(`${lab.url}/api/compare?a=cmp-a&b=cmp-b`);
    expect(response.status).toBe(200);
    expect(response.json.a).toEqual({ label: 'cmp-a', count: 3 });
    expect(response.json.b).toEqual({ label: 'cmp-b', count: 3 });
    const shared = response.json.models.find((row: { model: string }) => row.model === MODELS[0]);
    expect(shared.a.count).toBe(3);
    expect(shared.b.count).toBe(2);
    expect(shared.delta.latency_p50_ms).toBeGreaterThan(100); // 5 tokens × 38 ms more per token
    expect(shared.delta.ttft_p50_ms).toBeGreaterThan(20);
    expect(shared.delta.cost_per_run_usd).toBeGreaterThan(0);
    expect(shared.delta.error_rate).toBeCloseTo(-1 / 3, 3);
    expect(shared.delta.latency_p50_ratio).toBeGreaterThan(1);
    const onlyB = response.json.models.find((row: { model: string }) => row.model === MODELS[1]);
    expect(onlyB.a).toBeNull();
    expect(onlyB.delta).toBeNull();
    expect(response.json.overall.a.count).toBe(3);
  });

  it('compares two agents (by name or id) the same way', async () => {
    const response = await api(`${lab.url}/api/compare?agent_a=${encodeURIComponent('Lane agent 0')}&agent_b=${agentIds[1]}`);
    expect(response.status).toBe(200);
    expect(response.json.by).toBe('agent');
    expect(response.json.a.count).toBeGreaterThan(0);
    expect(response.json.b.count).toBeGreaterThan(0);
    expect(response.json.overall.delta).not.toBeNull();
  });

  it.each([[''], ['?a=x'], ['?a=x&agent_b=y'], ['?a=x&b=y&zzz=1']])('%s → 400', async (query) => {
    const response = await api(`${lab.url}/api/compare${query}`);
    expect(response.status).toBe(400);
    expect(response.json.error.message).toMatch(/compar/);
  });
});
