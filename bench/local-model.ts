import { existsSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../test/support/start-lab.js';
import { createAgent, startBenchLab } from './support/lab.js';
import { ms, ratio, span, type Row, type SectionReport } from './support/report.js';
import { loadAgent, openStream, LAB_TOKEN } from './support/sse-load.js';
import { median } from './support/stats.js';

/**
 * Local model: the shipped GGUF model through the lab (an agent with `local/agent-lab-tiny`)
 * vs the same local provider called in this process (no HTTP, no lab): load time, TTFT,
 * tokens/s. Skipped when the model or src/providers/local is missing.
 */

const MODEL_FILE = path.join(REPO_ROOT, 'models', 'agent-lab-tiny.gguf');
const MODEL_ID = 'local/agent-lab-tiny';
const PROMPTS = ['What is 2 + 3?', 'Say hello.', 'Name a colour.', 'What day comes after Monday?', 'Count to three.'];
const MAX_TOKENS = 48;

interface Measured {
  ttft: number;
  tokensPerSecond: number | null;
  tokens: number;
}

async function direct(): Promise<{ loadMs: number; runs: Measured[] }> {
  const { createLocalProvider, listLocalModels } = await import('../src/providers/local/index.js');
  const models = await listLocalModels({ shippedModelPath: MODEL_FILE });
  const provider = createLocalProvider({ models });
  try {
    const started = performance.now();
    await provider.load(MODEL_ID);
    const loadMs = performance.now() - started;
    const runs: Measured[] = [];
    for (const prompt of ['warm-up', ...PROMPTS]) {
      const begin = performance.now();
      let first: number | undefined;
      let last = begin;
      let deltas = 0;
      let completion = 0;
      for await (const part of provider.streamChat(
        { model: MODEL_ID, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: prompt }], temperature: 0.7, topP: 1, maxTokens: MAX_TOKENS, stream: true },
        { signal: new AbortController().signal },
      )) {
        if (part.type === 'text-delta' && part.delta !== '') {
          const now = performance.now();
          first ??= now;
          last = now;
          deltas += 1;
        } else if (part.type === 'usage') completion = part.usage.completion_tokens;
      }
      const tokens = completion || deltas;
      if (prompt === 'warm-up' || first === undefined) continue;
      runs.push({ ttft: first - begin, tokens, tokensPerSecond: last > first && tokens > 1 ? (tokens - 1) / ((last - first) / 1000) : null });
    }
    return { loadMs, runs };
  } finally {
    await provider.dispose();
  }
}

async function throughLab(): Promise<{ firstRunMs: number; firstTtft: number; runs: Measured[]; clientTtft: number[] }> {
  const lab = await startBenchLab();
  const agent = loadAgent();
  try {
    const agentId = await createAgent(lab.url, { model: MODEL_ID, max_tokens: MAX_TOKENS, temperature: 0.7 });
    const runs: Measured[] = [];
    const clientTtft: number[] = [];
    let firstRunMs = Number.NaN;
    let firstTtft = Number.NaN;
    for (const [index, prompt] of ['warm-up (loads the model)', ...PROMPTS].entries()) {
      let text = '';
      const timing = await openStream({ url: `${lab.url}/api/chat`, agent, marker: LAB_TOKEN, body: { agent_id: agentId, message: prompt }, onChunk: (chunk) => void (text += chunk) }).done;
      const runEnd = /event: run-end\ndata: (.+)\n/.exec(text)?.[1];
      if (!runEnd) throw new Error(`no run-end from the local model: ${text.slice(0, 400)}`);
      const run = (JSON.parse(runEnd) as { run: { ttft_ms: number | null; tokens_per_s: number | null; completion_tokens: number; error: string } }).run;
      if (run.error) throw new Error(`local run failed: ${run.error}`);
      if (index === 0) {
        firstRunMs = timing.endedAt! - timing.startedAt;
        firstTtft = (timing.firstTokenAt ?? Number.NaN) - timing.startedAt;
        continue;
      }
      runs.push({ ttft: run.ttft_ms ?? Number.NaN, tokensPerSecond: run.tokens_per_s, tokens: run.completion_tokens });
      clientTtft.push((timing.firstTokenAt ?? Number.NaN) - timing.startedAt);
    }
    return { firstRunMs, firstTtft, runs, clientTtft };
  } finally {
    agent.destroy();
    await lab.close();
  }
}

export async function runLocalModelBench(): Promise<SectionReport> {
  const base = { id: 'local-model', title: '7. Local model', goals: [] };
  if (!existsSync(MODEL_FILE) || !existsSync(path.join(REPO_ROOT, 'src', 'providers', 'local'))) {
    return { ...base, method: 'Skipped: models/agent-lab-tiny.gguf or src/providers/local is missing.', rows: [], notes: [] };
  }
  const baseline = await direct();
  const lab = await throughLab();
  const tps = (runs: Measured[]) => median(runs.map((run) => run.tokensPerSecond ?? Number.NaN).filter(Number.isFinite));
  const labTtft = median(lab.clientTtft);
  const directTtft = median(baseline.runs.map((run) => run.ttft));
  const rows: Row[] = [
    {
      figure: 'model load (first run through the lab: load + answer, client view)',
      value: `${ms(lab.firstRunMs, 0)} (first token at ${ms(lab.firstTtft, 0)})`,
      baseline: `${ms(baseline.loadMs, 0)} (provider.load() in-process, cold: includes starting node-llama-cpp)`,
      ratio: ratio(lab.firstTtft, baseline.loadMs),
      goal: '',
      range: '',
    },
    {
      figure: `TTFT, loaded model, median of ${lab.runs.length} (client view)`,
      value: `${ms(labTtft, 1)} (lab's own record ${ms(median(lab.runs.map((run) => run.ttft)), 0)})`,
      baseline: `${ms(directTtft, 1)} (provider.streamChat in-process)`,
      ratio: ratio(labTtft, directTtft),
      goal: '',
      range: `${span(lab.clientTtft, (v) => ms(v, 0))} vs ${span(baseline.runs.map((run) => run.ttft), (v) => ms(v, 0))}`,
    },
    {
      figure: 'tokens/s (after the first token), median',
      value: tps(lab.runs).toFixed(1),
      baseline: tps(baseline.runs).toFixed(1),
      ratio: ratio(tps(lab.runs), tps(baseline.runs)),
      goal: '',
      range: `${span(lab.runs.map((run) => run.tokensPerSecond ?? Number.NaN).filter(Number.isFinite), (v) => v.toFixed(0))} vs ${span(baseline.runs.map((run) => run.tokensPerSecond ?? Number.NaN).filter(Number.isFinite), (v) => v.toFixed(0))}`,
    },
  ];
  return {
    ...base,
    method:
      `The shipped ${MODEL_ID} (${path.relative(REPO_ROOT, MODEL_FILE)}) with max_tokens ${MAX_TOKENS}, ${PROMPTS.length} short prompts after a warm-up: through \`POST /api/chat\` on the built lab ` +
      '(the lab\'s run record gives tokens/s) vs `createLocalProvider` from src/providers/local called in the benchmark process.',
    rows,
    notes: [`Tokens per answer: lab ${lab.runs.map((run) => run.tokens).join(', ')}; in-process ${baseline.runs.map((run) => run.tokens).join(', ')} (sampling differs run to run).`],
  };
}
