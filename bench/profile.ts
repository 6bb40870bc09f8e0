import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { profileTable, summariseProfileDir, type ProfileSummary } from './support/cpu-profile.js';
import { createAgent, startBenchLab } from './support/lab.js';
import { LAB_TOKEN, loadAgent, openStream } from './support/sse-load.js';

/**
 * "What the profile shows": the lab under `node --cpu-prof` while it carries the load of a
 * missed goal (50 concurrent chat streams; `/health` at c10), summarised by self time.
 */

async function profiled(workload: (url: string) => Promise<void>): Promise<ProfileSummary> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'agent-lab-cpuprof-'));
  try {
    const lab = await startBenchLab({ nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${directory}`] });
    try {
      await workload(lab.url);
    } finally {
      await lab.close(); // SIGTERM: the lab exits cleanly and writes its profile
    }
    return await summariseProfileDir(directory, 12);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

function block(title: string, summary: ProfileSummary, note: string): string {
  const busy = summary.totalMs - summary.idleMs;
  return [
    `### ${title}`,
    '',
    `${note} Profile: ${(summary.totalMs / 1000).toFixed(1)} s, busy ${(busy / 1000).toFixed(1)} s (${((100 * busy) / summary.totalMs).toFixed(0)} %), start-up included.`,
    '',
    'Top self time:',
    '',
    profileTable(summary.functions, busy),
    '',
    'Self time by where the code lives:',
    '',
    profileTable(summary.modules, busy),
    '',
    'Lab functions, inclusive (synchronous part of every sample with the function on its stack):',
    '',
    profileTable(summary.labInclusive, busy),
  ].join('\n');
}

/** The engineer's reading of these profiles (written from the runs of 2026-11-30; re-read when the tables change). */
const READING = `### Reading (2026-11-30)

- **No single hot function.** Under 50 streams the lab is CPU-bound (busy 60–80 % of a core in these runs, while other engineers' tests share the 2 cores): the cost is spread over the
  per-token path — undici body read → eventsource-parser → \`stream-decoder\` (JSON.parse + zod \`chunkSchema.safeParse\` per chunk) → three nested async generators
  (openai-compatible → resilience/cockatiel → runAgent) → observer (prom-client histogram + rolling window per chunk gap) → \`sse.send\` (JSON.stringify, PassThrough, one
  \`writev\` per event). The streaming section's "lab CPU per stream" row measures it: ≈ 10–12 ms per 40-token stream stored, i.e. ≈ 0.25 ms of CPU per token,
  so 50 streams × 100 tokens/s saturate a core and TTFT queues behind other streams' tokens (request leg +49 ms at 50 streams, +5 ms at 1).
- **At 1 stream the lab is mostly idle** (busy ≈ 15 %) yet adds ≈ 5 ms to TTFT, nearly all before the request reaches the test server: two more process hops
  (client → lab → test server) on an oversubscribed 2-core machine, plus the pre-flight work (agents.json read, uuid, zod, a log line, undici fetch set-up).
- **Storage serialises run ends**: \`withDataLock\` (proper-lockfile mkdir + note files) around each runs.csv append and session save costs ≈ 2–6 ms per run
  (the storage section: 417 rows/s vs 1,789 for one-at-a-time plain append+fsync), which is why whole-stream time grows with concurrency (+250 ms at 50, +1.2 s at 200).
- **\`/health\`**: \`writev\` (the response) and \`writeString\` (sonic-boom's async access-log write, one \`fs.write\` per request) lead; the rest is the plugin chain
  (request-context, injection-detector's URL scan, metrics, access-log formatting) — each small, together ≈ 3× the bare server's per-request CPU.

What would move the goals (none is a single-function change in src/runner or src/server/sse.ts, so they are described here, not made):
1. Streaming: a per-chunk fast path in \`src/providers/stream-decoder.ts\` (skip zod for the plain \`{"choices":[{"delta":{"content":…}}]}\` shape, validate the rest),
   and collapsing the resilience generator after the first part (cockatiel only guards the start) — both in src/providers.
2. Storage: batch run ends — one data-lock acquisition and one fsync for all runs that finished meanwhile (group commit) in src/store; the in-process queue
   already serialises, so the cross-process lock could be taken once per batch.
3. \`/health\`: skip the injection detector and the access-log line for \`/health\` and \`/metrics\` (monitoring routes; the access log could sample them) in src/server/plugins;
   or give sonic-boom a \`minLength\` (e.g. 4 KiB) so access-log lines are written in batches.`;

export async function runProfile(options: { missed: string[] }): Promise<string> {
  const wantsStreaming = options.missed.length === 0 || options.missed.some((goal) => goal.startsWith('Streaming'));
  const wantsServing = options.missed.length === 0 || options.missed.some((goal) => goal.startsWith('Serving'));
  const parts = [
    '<!-- section:profile -->',
    '## What the profile shows',
    '',
    `Missed goals profiled: ${options.missed.length > 0 ? options.missed.join('; ') : '(profile asked for explicitly)'}. ` +
      'The built lab runs under `node --cpu-prof` (spawned by bench/support/lab.ts; `--cpu-prof` is not allowed in NODE_OPTIONS) with the load below; the tables are generated from the `.cpuprofile`.',
    '',
  ];
  if (wantsStreaming) {
    const summary = await profiled(async (url) => {
      const agentId = await createAgent(url);
      const agent = loadAgent();
      try {
        for (let round = 0; round < 6; round++) {
          await Promise.all(
            Array.from({ length: 50 }, () => openStream({ url: `${url}/api/chat`, agent, marker: LAB_TOKEN, body: { agent_id: agentId, message: '[[scenario:slow delay=10 tokens=40]] hi' } }).done),
          );
        }
      } finally {
        agent.destroy();
      }
    });
    parts.push(block('50 concurrent chat streams (6 rounds, 40 tokens each)', summary, '300 streams, 12,000 tokens.'), '');
  }
  if (wantsServing) {
    const summary = await profiled(async (url) => {
      await autocannon({ url: `${url}/health`, connections: 10, duration: 5 });
    });
    parts.push(block('`/health` at concurrency 10 for 5 s', summary, 'autocannon, 10 connections.'), '');
  }
  parts.push(READING, '', '<!-- /section:profile -->');
  return parts.join('\n');
}
