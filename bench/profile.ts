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
- **Storage no longer serialises run ends** (group commit, src/store/group-commit.ts): \`withDataLock\` used to be taken around each runs.csv append and
  each session save (≈ 2–6 ms per run, 677 rows/s with 100 runs finishing at once). Now runs that finish while a write is in flight are committed together: one lock
  acquisition, one write + one fsync for their runs.csv rows (≈ 8,000 rows/s, 0.9× a plain concurrent append+fsync), their session files written in parallel with
  one directory fsync. Last token → \`run-end\` (p50 whole stream − p50 last token): 197 → 71–73 ms at 50 streams (two runs);
  1,142 → 479–1,032 ms at 200, where the machine's load decides (the direct baseline moved by 165 ms between the two runs) and CPU is what is left.
- **Memory does not grow with history**: in heap snapshots of the lab (each taken after a full GC) the heap is 33.4 MB after 1,000 runs and 33.2 MB after 6,000
  (self sizes 36.1 → 36.0 MB; no constructor grows but V8's compiled code, +1.3 MB). The memory section's heap figure is \`heap_used_mb\` read without a GC, i.e.
  garbage not yet collected, and RSS follows V8's heap sizing: lazy GC, not a leak.
- **\`/health\`**: \`writev\` (the response) and \`writeString\` (sonic-boom's async access-log write, one \`fs.write\` per request) lead; the rest is the plugin chain
  (request-context, injection-detector's URL scan, metrics, access-log formatting) — each small, together ≈ 3× the bare server's per-request CPU.

What would move the goals (none is a single-function change in src/runner or src/server/sse.ts, so they are described here, not made):
1. Streaming: a per-chunk fast path in \`src/providers/stream-decoder.ts\` (skip zod for the plain \`{"choices":[{"delta":{"content":…}}]}\` shape, validate the rest),
   and collapsing the resilience generator after the first part (cockatiel only guards the start) — both in src/providers.
2. Storage: done (group commit in src/store, above); what is left of the run-end time at 200 streams is the CPU of 1.
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
