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
  parts.push('<!-- /section:profile -->');
  return parts.join('\n');
}
