import type http from 'node:http';
import { cpuMs, createAgent, withBenchLab, type BenchLab } from './support/lab.js';
import { goalCell, ms, ratio, signedMs, span, type GoalResult, type Row, type SectionReport } from './support/report.js';
import { LAB_TOKEN, openStream, PROVIDER_TOKEN, runLimited, type StreamTiming } from './support/sse-load.js';
import { percentile } from './support/stats.js';

/**
 * Streaming overhead: the same scripted stream (`[[scenario:slow delay=D tokens=N]]`) taken
 * straight from the OpenRouter-format test server and through `POST /api/chat`, at 1, 50
 * and 200 concurrent streams. Rounds alternate direct/lab so both see the same noise;
 * "added" is the lab's percentile minus the direct percentile.
 */

export interface StreamingOptions {
  delayMs?: number;
  tokens?: number;
  /** [concurrency, rounds, streams per round (defaults to the concurrency)] */
  levels?: Array<{ concurrency: number; rounds: number; perRound?: number }>;
}

interface Sample {
  ttft: number;
  lastToken: number;
  whole: number;
  /** Request sent → the test server has it (through the lab: after the lab's request handling). */
  requestLeg: number;
}

interface LevelResult {
  concurrency: number;
  direct: Sample[];
  lab: Sample[];
  rounds: Array<{ addedTtftP50: number; addedTtftP99: number; addedWholeP50: number }>;
  errors: number;
  /** The lab process's CPU time per stream, ms. */
  labCpuPerStream: number[];
}

const DEFAULT_LEVELS = [
  { concurrency: 1, rounds: 3, perRound: 8 },
  { concurrency: 50, rounds: 4 },
  { concurrency: 200, rounds: 3 },
];

/** Run `count` streams, at most `concurrency` at a time. */
const batch = (count: number, concurrency: number, start: (index: number) => Promise<Tagged>): Promise<Tagged[]> => runLimited(count, concurrency, start);

type Tagged = StreamTiming & { nonce: string };

/** Timings of complete streams, each with its request leg (the test server's arrival stamp, matched by a nonce). */
function samples(timings: Tagged[], expectTokens: number, lab: BenchLab): { ok: Sample[]; errors: number } {
  const arrivals = new Map<string, number>();
  for (const record of lab.provider.chatRequests()) {
    const messages = (record.body as { messages?: Array<{ content?: unknown }> } | undefined)?.messages ?? [];
    const last = messages[messages.length - 1]?.content;
    const nonce = typeof last === 'string' ? /#(\w+-\d+)$/.exec(last)?.[1] : undefined;
    if (nonce) arrivals.set(nonce, record.receivedAt);
  }
  lab.provider.reset();
  const ok: Sample[] = [];
  let errors = 0;
  for (const timing of timings) {
    if (timing.error || timing.status !== 200 || timing.firstTokenAt === undefined || timing.tokens < expectTokens) {
      errors += 1;
      continue;
    }
    ok.push({
      ttft: timing.firstTokenAt - timing.startedAt,
      lastToken: timing.lastTokenAt! - timing.startedAt,
      whole: timing.endedAt! - timing.startedAt,
      requestLeg: (arrivals.get(timing.nonce) ?? Number.NaN) - timing.startedAt,
    });
  }
  return { ok, errors };
}

/** The streams of one side: `direct` to the test server or `lab` through `/api/chat`. */
function streamer(lab: BenchLab, agentId: string, base: string, agents: { direct: http.Agent; lab: http.Agent }) {
  let counter = 0;
  const tag = async (nonce: string, done: Promise<StreamTiming>): Promise<Tagged> => ({ ...(await done), nonce });
  return {
    direct: () => {
      const nonce = `d-${++counter}`;
      const prompt = `${base} #${nonce}`;
      return tag(nonce, openStream({
        url: `${lab.provider.url}/chat/completions`,
        agent: agents.direct,
        marker: PROVIDER_TOKEN,
        headers: { authorization: 'Bearer sk-or-test-key-0123456789' },
        body: { model: 'openai/gpt-4o-mini', stream: true, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: prompt }] },
      }).done);
    },
    lab: () => {
      const nonce = `l-${++counter}`;
      const prompt = `${base} #${nonce}`;
      return tag(nonce, openStream({ url: `${lab.url}/api/chat`, agent: agents.lab, marker: LAB_TOKEN, body: { agent_id: agentId, message: prompt } }).done);
    },
  };
}

export async function runStreamingBench(options: StreamingOptions = {}): Promise<SectionReport> {
  const delayMs = options.delayMs ?? 10;
  const tokens = options.tokens ?? 40;
  const levels = options.levels ?? DEFAULT_LEVELS;
  const prompt = `[[scenario:slow delay=${delayMs} tokens=${tokens}]] How are you?`;
  // Each stream's message ends with a nonce (` #l-12`) to match it with the test server's arrival stamp.
  const results: LevelResult[] = [];
  await withBenchLab('streaming', async ({ lab, agents }) => {
    const agentId = await createAgent(lab.url);
    const run = streamer(lab, agentId, prompt, agents);
    // Warm-up: JIT, the model catalog, keep-alive pools on both sides.
    await batch(20, 10, run.direct);
    await batch(20, 10, run.lab);

    for (const level of levels) {
      const perRound = level.perRound ?? level.concurrency;
      const result: LevelResult = { concurrency: level.concurrency, direct: [], lab: [], rounds: [], errors: 0, labCpuPerStream: [] };
      for (let round = 0; round < level.rounds; round++) {
        const order: Array<'direct' | 'lab'> = round % 2 === 0 ? ['direct', 'lab'] : ['lab', 'direct'];
        const got: Record<'direct' | 'lab', Sample[]> = { direct: [], lab: [] };
        for (const side of order) {
          const cpuBefore = await cpuMs(lab.pid);
          const timings = await batch(perRound, level.concurrency, run[side]);
          // Let the lab finish storing the runs of this batch before the next one starts.
          if (side === 'lab') {
            await waitIdle(lab.url);
            result.labCpuPerStream.push(((await cpuMs(lab.pid)) - cpuBefore) / perRound);
          }
          const { ok, errors } = samples(timings, tokens, lab);
          got[side] = ok;
          result.errors += errors;
        }
        result.direct.push(...got.direct);
        result.lab.push(...got.lab);
        const added = (pick: (sample: Sample) => number, p: number) => percentile(got.lab.map(pick), p) - percentile(got.direct.map(pick), p);
        result.rounds.push({
          addedTtftP50: added((sample) => sample.ttft, 50),
          addedTtftP99: added((sample) => sample.ttft, 99),
          addedWholeP50: added((sample) => sample.whole, 50),
        });
      }
      results.push(result);
      const added50 = percentile(result.lab.map((s) => s.ttft), 50) - percentile(result.direct.map((s) => s.ttft), 50);
      console.log(`  streaming: ${level.concurrency} streams: added TTFT p50 ${added50.toFixed(2)} ms (${result.lab.length} lab, ${result.direct.length} direct, ${result.errors} errors)`);
    }
  });
  return report(results, { delayMs, tokens });
}

/** Wait until the lab has no run in flight (runs are stored before their stream ends, but bounded anyway). */
async function waitIdle(url: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const metrics = (await (await fetch(`${url}/metrics`)).json()) as { streaming_metrics?: { active?: number } };
    if ((metrics.streaming_metrics?.active ?? 0) === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function report(results: LevelResult[], scenario: { delayMs: number; tokens: number }): SectionReport {
  const rows: Row[] = [];
  const goals: GoalResult[] = [];
  for (const result of results) {
    const c = result.concurrency;
    const pick = (side: 'direct' | 'lab', field: keyof Sample, p: number) => percentile(result[side].map((sample) => sample[field]), p);
    for (const p of [50, 95, 99]) {
      const lab = pick('lab', 'ttft', p);
      const direct = pick('direct', 'ttft', p);
      const added = lab - direct;
      let goal = '';
      let met: boolean | undefined;
      if (c === 50 && p === 50) {
        met = added <= 1;
        goal = 'added ≤ 1 ms';
        goals.push({ goal: 'Streaming: added TTFT p50 ≤ 1 ms at 50 streams', met, detail: signedMs(added, 2) });
      } else if (c === 50 && p === 99) {
        met = added <= 5;
        goal = 'added ≤ 5 ms';
        goals.push({ goal: 'Streaming: added TTFT p99 ≤ 5 ms at 50 streams', met, detail: signedMs(added, 2) });
      }
      const noisy = p === 50 ? span(result.rounds.map((r) => r.addedTtftP50), (v) => signedMs(v)) : p === 99 ? span(result.rounds.map((r) => r.addedTtftP99), (v) => signedMs(v)) : '';
      rows.push({
        figure: `TTFT p${p}, ${c} stream${c > 1 ? 's' : ''}`,
        value: `${ms(lab)} (${signedMs(added, 2)})`,
        baseline: ms(direct),
        ratio: ratio(lab, direct),
        goal: goalCell(goal, met),
        range: noisy ? `added ${noisy}` : '',
      });
    }
    for (const p of [50, 95, 99]) {
      const lab = pick('lab', 'whole', p);
      const direct = pick('direct', 'whole', p);
      rows.push({
        figure: `whole stream p${p}, ${c} stream${c > 1 ? 's' : ''}`,
        value: `${ms(lab)} (${signedMs(lab - direct)})`,
        baseline: ms(direct),
        ratio: ratio(lab, direct),
        goal: '',
        range: p === 50 ? `added ${span(result.rounds.map((r) => r.addedWholeP50), (v) => signedMs(v))}` : '',
      });
    }
    const labLeg = pick('lab', 'requestLeg', 50);
    const directLeg = pick('direct', 'requestLeg', 50);
    rows.push({
      figure: `request leg p50 (sent → test server has it), ${c} stream${c > 1 ? 's' : ''}`,
      value: `${ms(labLeg)} (${signedMs(labLeg - directLeg, 2)})`,
      baseline: ms(directLeg),
      ratio: ratio(labLeg, directLeg),
      goal: '',
      range: '',
    });
    const cpu = result.labCpuPerStream;
    rows.push({
      figure: `lab CPU per stream (${scenario.tokens} tokens, stored), ${c} stream${c > 1 ? 's' : ''}`,
      value: ms(cpu.reduce((a, b) => a + b, 0) / cpu.length),
      baseline: '',
      ratio: '',
      goal: '',
      range: span(cpu, (v) => ms(v)),
    });
    const labLast = pick('lab', 'lastToken', 50);
    const directLast = pick('direct', 'lastToken', 50);
    rows.push({
      figure: `last token p50, ${c} stream${c > 1 ? 's' : ''}`,
      value: `${ms(labLast)} (${signedMs(labLast - directLast)})`,
      baseline: ms(directLast),
      ratio: ratio(labLast, directLast),
      goal: '',
      range: '',
    });
  }
  const errors = results.reduce((sum, result) => sum + result.errors, 0);
  return {
    id: 'streaming',
    title: '1. Streaming overhead',
    method:
      `The same scripted stream (\`[[scenario:slow delay=${scenario.delayMs} tokens=${scenario.tokens}]]\`: ${scenario.tokens} tokens, ${scenario.delayMs} ms apart) ` +
      'read straight from the OpenRouter-format test server (baseline) and through `POST /api/chat` on the built lab (a saved agent on that server), ' +
      'by the same lean node:http SSE client with keep-alive. Rounds alternate direct/lab; "added" (in brackets) is the lab percentile minus the direct one; ' +
      'the range is that difference per round. Samples: ' +
      results.map((r) => `${r.concurrency} streams: ${r.lab.length} lab / ${r.direct.length} direct`).join(', ') +
      `. Whole stream through the lab ends after \`run-end\`, i.e. after the run is fsynced to runs.csv and its session file.`,
    rows,
    notes: errors > 0 ? [`${errors} streams failed or came back short and were left out.`] : [],
    goals,
  };
}
