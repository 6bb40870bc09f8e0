import { startBareServer } from './support/bare.js';
import { createAgent, rssKb, startBenchLab, type BenchLab } from './support/lab.js';
import { count, ratio, type Row, type SectionReport } from './support/report.js';
import { LAB_TOKEN, loadAgent, openStream, type OpenStream } from './support/sse-load.js';
import { median, sleep } from './support/stats.js';

/**
 * Memory: RSS growth per open idle stream (500 `[[scenario:stall after=1]]` chats held open)
 * vs a bare Fastify server holding 500 idle SSE responses; and RSS after 1,000 vs 10,000
 * short runs (no growth that scales with history), bounded in time.
 */

/** RSS read three times 200 ms apart; the median, KB. */
async function steadyRss(pid: number): Promise<number> {
  const reads: number[] = [];
  for (let index = 0; index < 3; index++) {
    reads.push(await rssKb(pid));
    await sleep(200);
  }
  return median(reads);
}

async function heapMb(url: string): Promise<number> {
  const metrics = (await (await fetch(`${url}/metrics`)).json()) as { performance?: { memory?: { heap_used_mb?: number } } };
  return metrics.performance?.memory?.heap_used_mb ?? Number.NaN;
}

async function waitIdle(url: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const metrics = (await (await fetch(`${url}/metrics`)).json()) as { streaming_metrics?: { active?: number } };
    if ((metrics.streaming_metrics?.active ?? 0) === 0) return true;
    await sleep(100);
  }
  return false;
}

/** Open `count` streams in batches of 50; resolves when each has its first token (or 20 s pass). */
async function holdStreams(count: number, open: () => OpenStream): Promise<{ streams: OpenStream[]; ready: number }> {
  const streams: OpenStream[] = [];
  let ready = 0;
  for (let index = 0; index < count; index += 50) {
    const batch = Array.from({ length: Math.min(50, count - index) }, open);
    streams.push(...batch);
    await Promise.race([Promise.all(batch.map((stream) => stream.firstToken.then((got) => (ready += got ? 1 : 0)))), sleep(10_000)]);
  }
  return { streams, ready };
}

async function idleStreams(lab: BenchLab, agentId: string, streamCount: number) {
  const agent = loadAgent();
  const before = await steadyRss(lab.pid);
  const { streams, ready } = await holdStreams(streamCount, () =>
    openStream({ url: `${lab.url}/api/chat`, agent, marker: LAB_TOKEN, body: { agent_id: agentId, message: '[[scenario:stall after=1]] wait' } }),
  );
  await sleep(500);
  const after = await steadyRss(lab.pid);
  for (const stream of streams) stream.destroy();
  await Promise.all(streams.map((stream) => stream.done));
  const drained = await waitIdle(lab.url, 60_000);
  agent.destroy();

  const bare = await startBareServer();
  const bareAgent = loadAgent();
  try {
    await sleep(300);
    const bareBefore = await steadyRss(bare.pid);
    const held = await holdStreams(streamCount, () => {
      const stream = openStream({ url: `${bare.url}/sse`, method: 'GET', agent: bareAgent, marker: LAB_TOKEN, body: {} });
      return stream;
    });
    await sleep(500);
    const bareAfter = await steadyRss(bare.pid);
    for (const stream of held.streams) stream.destroy();
    return { before, after, ready, drained, bareBefore, bareAfter, bareReady: held.ready };
  } finally {
    bareAgent.destroy();
    await bare.close();
  }
}

async function manyRuns(lab: BenchLab, agentId: string, options: { checkpoints: number[]; concurrency: number; timeLimitMs: number }) {
  const agent = loadAgent();
  const points: Array<{ runs: number; rssKb: number; heapMb: number; seconds: number }> = [];
  const started = performance.now();
  let done = 0;
  let failed = 0;
  let stopped = false;
  try {
    for (const checkpoint of options.checkpoints) {
      let next = done;
      await Promise.all(
        Array.from({ length: options.concurrency }, async () => {
          while (next < checkpoint && !stopped) {
            next += 1;
            const timing = await openStream({ url: `${lab.url}/api/chat`, agent, marker: LAB_TOKEN, body: { agent_id: agentId, message: '[[scenario:long tokens=5 delay=0]] go' } }).done;
            if (timing.error || timing.status !== 200 || timing.tokens < 5) failed += 1;
            done += 1;
            if (performance.now() - started > options.timeLimitMs) stopped = true;
          }
        }),
      );
      lab.provider.reset();
      await sleep(500);
      points.push({ runs: done, rssKb: await steadyRss(lab.pid), heapMb: await heapMb(lab.url), seconds: (performance.now() - started) / 1000 });
      console.log(`  memory: ${done} runs, RSS ${(points.at(-1)!.rssKb / 1024).toFixed(0)} MiB, ${points.at(-1)!.seconds.toFixed(0)} s`);
      if (stopped) break;
    }
  } finally {
    agent.destroy();
  }
  return { points, failed, stopped };
}

export async function runMemoryBench(options: { streams?: number; runs?: number[]; timeLimitMs?: number } = {}): Promise<SectionReport> {
  const streamCount = options.streams ?? 500;
  const checkpoints = options.runs ?? [1_000, 10_000];
  const lab = await startBenchLab({ env: { CHUNK_TIMEOUT_SECONDS: '120' } });
  let idle: Awaited<ReturnType<typeof idleStreams>>;
  let history: Awaited<ReturnType<typeof manyRuns>>;
  try {
    const agentId = await createAgent(lab.url);
    // Warm up so start-up allocations are not counted per stream.
    const warm = loadAgent();
    await Promise.all(Array.from({ length: 20 }, () => openStream({ url: `${lab.url}/api/chat`, agent: warm, marker: LAB_TOKEN, body: { agent_id: agentId, message: '[[scenario:long tokens=5 delay=0]] go' } }).done));
    warm.destroy();
    idle = await idleStreams(lab, agentId, streamCount);
    console.log(`  memory: ${idle.ready} idle streams: +${((idle.after - idle.before) / idle.ready).toFixed(1)} KB/stream (bare +${((idle.bareAfter - idle.bareBefore) / idle.bareReady).toFixed(1)})`);
    history = await manyRuns(lab, agentId, { checkpoints, concurrency: 20, timeLimitMs: options.timeLimitMs ?? 75_000 });
  } finally {
    await lab.close();
  }
  const perStream = (idle.after - idle.before) / idle.ready;
  const barePerStream = (idle.bareAfter - idle.bareBefore) / idle.bareReady;
  const rows: Row[] = [
    {
      figure: `RSS growth per open idle stream (${idle.ready} held)`,
      value: `${perStream.toFixed(1)} KB`,
      baseline: `${barePerStream.toFixed(1)} KB (bare Fastify holding ${idle.bareReady} idle SSE responses)`,
      ratio: ratio(perStream, barePerStream),
      goal: '',
      range: `lab ${(idle.before / 1024).toFixed(0)} → ${(idle.after / 1024).toFixed(0)} MiB`,
    },
  ];
  const [first, last] = [history.points[0], history.points[history.points.length - 1]];
  if (first && last && last !== first) {
    const growthPerThousand = ((last.rssKb - first.rssKb) / (last.runs - first.runs)) * 1000;
    rows.push({
      figure: `RSS after ${count(last.runs)} runs vs after ${count(first.runs)}`,
      value: `${(last.rssKb / 1024).toFixed(0)} MiB (heap ${last.heapMb} MB)`,
      baseline: `${(first.rssKb / 1024).toFixed(0)} MiB (heap ${first.heapMb} MB)`,
      ratio: ratio(last.rssKb, first.rssKb),
      goal: 'no growth that scales with history',
      range: `${growthPerThousand >= 0 ? '+' : ''}${(growthPerThousand / 1024).toFixed(2)} MiB per 1,000 runs`,
    });
  } else if (first) {
    rows.push({ figure: `RSS after ${count(first.runs)} runs`, value: `${(first.rssKb / 1024).toFixed(0)} MiB`, baseline: '', ratio: '', goal: '', range: '' });
  }
  const rate = last ? last.runs / last.seconds : Number.NaN;
  const notes = [
    `Short runs (\`[[scenario:long tokens=5 delay=0]]\`) at concurrency 20 went through at ${rate.toFixed(0)} runs/s (each fsynced to runs.csv and its session file), bounded to ${((options.timeLimitMs ?? 75_000) / 1000).toFixed(0)} s` +
      (history.stopped ? `: the bound was hit at ${count(last?.runs ?? 0)} runs.` : '.'),
    'RSS without a forced GC moves with V8 heap sizing; a few MiB either way is noise. The heap figure is `/metrics` `performance.memory.heap_used_mb`.',
  ];
  if (!idle.drained) notes.push('The lab still had active runs 60 s after the idle streams were dropped.');
  if (history.failed > 0) notes.push(`${history.failed} short runs failed or came back short.`);
  return {
    id: 'memory',
    title: '5. Memory',
    method:
      `The lab's RSS from /proc/<pid>/status (median of 3 reads). Idle streams: ${streamCount} chats on \`[[scenario:stall after=1]]\` (one token, then silence) opened in batches of 50 and held; ` +
      'the baseline is a bare Fastify process holding as many SSE responses that sent one event. History: RSS after each checkpoint of short runs.',
    rows,
    notes,
    goals: [],
  };
}
