import type http from 'node:http';
import { createAgent, withBenchLab, type BenchLab } from './support/lab.js';
import { goalCell, ms, ratio, signedMs, span, type GoalResult, type Row, type SectionReport } from './support/report.js';
import { LAB_TOKEN, openStream, PROVIDER_TOKEN, runLimited, type StreamTiming } from './support/sse-load.js';
import { percentile } from './support/stats.js';

/**
 * The OpenAI-compatible endpoint's added time to first token: the same scripted stream
 * (`[[scenario:slow delay=D tokens=N]]`) requested in OpenAI's format straight from the
 * OpenRouter-format test server (baseline) and through the lab's `POST /v1/chat/completions`
 * (a run recorded in runs.csv and a session), N streams per side at 1 and 20 at a time.
 * Rounds alternate direct/lab so both see the same machine noise. Both wire formats are the
 * same, so one token marker (`"content":"`) times both.
 */

export interface OpenAiEndpointOptions {
  delayMs?: number;
  tokens?: number;
  levels?: Array<{ concurrency: number; rounds: number; perRound: number }>;
}

const DEFAULT_LEVELS = [
  { concurrency: 1, rounds: 4, perRound: 25 },
  { concurrency: 20, rounds: 4, perRound: 60 },
];

type Side = 'direct' | 'lab' | 'chat';
const SIDES: Side[] = ['direct', 'lab', 'chat'];

interface LevelResult {
  concurrency: number;
  /** TTFTs straight from the test server. */
  direct: number[];
  /** TTFTs through /v1/chat/completions. */
  lab: number[];
  /** TTFTs through the lab's own POST /api/chat (a reference: the same runner, the lab's SSE format). */
  chat: number[];
  rounds: Array<{ addedP50: number; addedP99: number }>;
  errors: number;
}

/** TTFTs of the complete streams; the rest are errors. */
function ttfts(timings: StreamTiming[], tokens: number): { ok: number[]; errors: number } {
  const ok: number[] = [];
  let errors = 0;
  for (const timing of timings) {
    if (timing.error || timing.status !== 200 || timing.firstTokenAt === undefined || timing.tokens < tokens) errors += 1;
    else ok.push(timing.firstTokenAt - timing.startedAt);
  }
  return { ok, errors };
}

function streamers(lab: BenchLab, options: { prompt: string; agentId: string; agents: { direct: http.Agent; lab: http.Agent } }): Record<Side, () => Promise<StreamTiming>> {
  const { prompt, agentId, agents } = options;
  const body = { model: 'openai/gpt-4o-mini', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: prompt }] };
  return {
    chat: () => openStream({ url: `${lab.url}/api/chat`, agent: agents.lab, marker: LAB_TOKEN, body: { agent_id: agentId, message: prompt } }).done,
    direct: () => openStream({ url: `${lab.provider.url}/chat/completions`, agent: agents.direct, marker: PROVIDER_TOKEN, headers: { authorization: 'Bearer sk-or-test-key-0123456789' }, body }).done,
    lab: () => openStream({ url: `${lab.url}/v1/chat/completions`, agent: agents.lab, marker: PROVIDER_TOKEN, headers: { 'x-agent-lab-experiment': 'bench-openai' }, body }).done,
  };
}

export async function runOpenAiEndpointBench(options: OpenAiEndpointOptions = {}): Promise<SectionReport> {
  const delayMs = options.delayMs ?? 10;
  const tokens = options.tokens ?? 20;
  const levels = options.levels ?? DEFAULT_LEVELS;
  const prompt = `[[scenario:slow delay=${delayMs} tokens=${tokens}]] How are you?`;
  const results: LevelResult[] = [];
  await withBenchLab('openai-endpoint', async ({ lab, agents }) => {
    // the same model and no system prompt, so /api/chat sends the provider what /v1 does
    const agentId = await createAgent(lab.url, { name: 'bench-reference', system_prompt: '' });
    const run = streamers(lab, { prompt, agentId, agents });
    // Warm-up: JIT, the model catalog, keep-alive pools on every side.
    for (const side of SIDES) await runLimited(20, 5, run[side]);
    lab.provider.reset();
    for (const level of levels) {
      const result: LevelResult = { concurrency: level.concurrency, direct: [], lab: [], chat: [], rounds: [], errors: 0 };
      for (let round = 0; round < level.rounds; round += 1) {
        // each round starts with another side, so no side always runs first (or last)
        const order = SIDES.map((_, index) => SIDES[(index + round) % SIDES.length]!);
        const got: Record<Side, number[]> = { direct: [], lab: [], chat: [] };
        for (const side of order) {
          const { ok, errors } = ttfts(await runLimited(level.perRound, level.concurrency, run[side]), tokens);
          got[side] = ok;
          result.errors += errors;
          lab.provider.reset();
        }
        result.direct.push(...got.direct);
        result.lab.push(...got.lab);
        result.chat.push(...got.chat);
        result.rounds.push({
          addedP50: percentile(got.lab, 50) - percentile(got.direct, 50),
          addedP99: percentile(got.lab, 99) - percentile(got.direct, 99),
        });
      }
      results.push(result);
      const added = percentile(result.lab, 50) - percentile(result.direct, 50);
      console.log(`  openai-endpoint: ${level.concurrency} at a time: added TTFT p50 ${added.toFixed(2)} ms (${result.lab.length} lab, ${result.direct.length} direct, ${result.errors} errors)`);
    }
  });
  return report(results, { delayMs, tokens });
}

function report(results: LevelResult[], scenario: { delayMs: number; tokens: number }): SectionReport {
  const rows: Row[] = [];
  const goals: GoalResult[] = [];
  for (const result of results) {
    const c = result.concurrency;
    for (const p of [50, 99] as const) {
      const lab = percentile(result.lab, p);
      const direct = percentile(result.direct, p);
      const added = lab - direct;
      let goal = '';
      let met: boolean | undefined;
      if (c === 1 && p === 50) {
        // the same bar the /api/chat streaming section sets for added TTFT
        goal = 'added ≤ 1 ms';
        met = added <= 1;
        goals.push({ goal: 'OpenAI endpoint: added TTFT p50 ≤ 1 ms, one stream at a time', met, detail: signedMs(added, 2) });
      }
      rows.push({
        figure: `TTFT p${p}, ${c} at a time (${result.lab.length} streams)`,
        value: `${ms(lab)} (${signedMs(added, 2)})`,
        baseline: ms(direct),
        ratio: ratio(lab, direct),
        goal: goalCell(goal, met),
        range: `added ${span(result.rounds.map((r) => (p === 50 ? r.addedP50 : r.addedP99)), (v) => signedMs(v))}`,
      });
      const chat = percentile(result.chat, p);
      rows.push({
        figure: `reference: TTFT p${p} through /api/chat, ${c} at a time`,
        value: `${ms(chat)} (${signedMs(chat - direct, 2)})`,
        baseline: ms(direct),
        ratio: ratio(chat, direct),
        goal: '',
        range: `/v1 − /api/chat: ${signedMs(lab - chat, 2)}`,
      });
    }
  }
  const errors = results.reduce((sum, result) => sum + result.errors, 0);
  return {
    id: 'openai-endpoint',
    title: 'OpenAI-compatible endpoint: added time to first token',
    method:
      `The same scripted stream (\`[[scenario:slow delay=${scenario.delayMs} tokens=${scenario.tokens}]]\`) requested in OpenAI's Chat Completions format ` +
      'straight from the OpenRouter-format test server (baseline) and through the built lab\'s `POST /v1/chat/completions` (each a run stored in runs.csv and a session), ' +
      'timed by the same lean SSE client (first `"content":"` in the body). For reference, the same prompt through the lab\'s own `POST /api/chat` (a saved agent with no system prompt; first `event: text-delta`). ' +
      'Each round starts with another side; "added" is the lab\'s percentile minus the direct one.',
    rows,
    notes: [`${errors} incomplete or failed streams (excluded).`],
    goals,
  };
}
