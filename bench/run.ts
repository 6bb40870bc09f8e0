import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderSection, type GoalResult, type SectionReport } from './support/report.js';

/**
 * `npm run bench`: every benchmark section, each figure beside its baseline from the same
 * run, written to bench/RESULTS.md. `node --import tsx bench/run.ts streaming serving`
 * runs only those sections and replaces only their part of RESULTS.md. Benchmarks report;
 * they never fail on a number (exit 0 unless a section crashed).
 */

const here = path.dirname(fileURLToPath(import.meta.url));
const RESULTS = path.join(here, 'RESULTS.md');

type Section = { id: string; run: () => Promise<SectionReport> };

const SECTIONS: Section[] = [
  { id: 'streaming', run: async () => (await import('./streaming.js')).runStreamingBench() },
  { id: 'stop', run: async () => (await import('./stop.js')).runStopBench() },
  { id: 'storage', run: async () => (await import('./storage.js')).runStorageBench() },
  { id: 'serving', run: async () => (await import('./serving.js')).runServingBench() },
  { id: 'memory', run: async () => (await import('./memory.js')).runMemoryBench() },
  { id: 'ui', run: async () => (await import('./ui.js')).runUiBench() },
  { id: 'local-model', run: async () => (await import('./local-model.js')).runLocalModelBench() },
  { id: 'openai-endpoint', run: async () => (await import('./openai-endpoint.js')).runOpenAiEndpointBench() },
  { id: 'evals', run: async () => (await import('./evals.js')).runEvalsBench() },
  { id: 'postgres', run: async () => (await import('./postgres.js')).runPostgresBench() },
];

function machine(): string[] {
  const cpuinfo = existsSync('/proc/cpuinfo') ? execFileSync('cat', ['/proc/cpuinfo'], { encoding: 'utf8' }) : '';
  const model = /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown';
  let nproc = String(os.availableParallelism());
  try {
    nproc = execFileSync('nproc', { encoding: 'utf8' }).trim();
  } catch {
    // nproc missing: keep Node's count
  }
  const load = os.loadavg().map((value) => value.toFixed(2)).join(', ');
  return [
    `- Date: ${new Date().toISOString()}`,
    `- Machine: ${nproc} CPUs (\`nproc\`), ${model}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB memory, ${os.type()} ${os.release()}`,
    `- Node ${process.version}; load average at start ${load} (a shared machine: other engineers' tests run alongside, so figures are noisy; the min–max columns say how much)`,
    `- Command: \`npm run bench\` (= \`npm run build && node --import tsx bench/run.ts\`); one section: \`node --import tsx bench/run.ts <${SECTIONS.map((s) => s.id).join('|')}|profile>\``,
  ];
}

function goalsTable(goals: GoalResult[]): string {
  if (goals.length === 0) return '';
  return [
    '## Goals',
    '',
    '| goal | result | |',
    '| --- | --- | --- |',
    ...goals.map((goal) => `| ${goal.goal} | ${goal.detail} | **${goal.met ? 'met' : 'missed'}** |`),
  ].join('\n');
}

/** Previously written section blocks, to keep when only some sections run. */
async function previousSections(): Promise<Map<string, string>> {
  const blocks = new Map<string, string>();
  if (!existsSync(RESULTS)) return blocks;
  const text = await readFile(RESULTS, 'utf8');
  for (const match of text.matchAll(/<!-- section:([a-z-]+) -->[\s\S]*?<!-- \/section:\1 -->/g)) blocks.set(match[1]!, match[0]);
  return blocks;
}

async function main(): Promise<void> {
  const asked = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));
  const known = new Set([...SECTIONS.map((section) => section.id), 'profile']);
  const unknown = asked.filter((id) => !known.has(id));
  if (unknown.length > 0) {
    console.error(`unknown section(s): ${unknown.join(', ')}; known: ${[...known].join(', ')}`);
    process.exit(2);
  }
  const selected = asked.length === 0 ? SECTIONS : SECTIONS.filter((section) => asked.includes(section.id));
  const started = performance.now();
  const header = machine();
  console.log(header.join('\n'));

  const blocks = await previousSections();
  const goals: GoalResult[] = [];
  const failures: string[] = [];
  for (const section of selected) {
    console.log(`\n== ${section.id}`);
    const sectionStarted = performance.now();
    try {
      const report = await section.run();
      report.seconds = (performance.now() - sectionStarted) / 1000;
      goals.push(...report.goals);
      blocks.set(section.id, renderSection(report));
      for (const row of report.rows) console.log(`  ${row.figure}: ${row.value} | baseline ${row.baseline} | ${row.ratio} ${row.goal}`);
      console.log(`  (${report.seconds.toFixed(0)} s)`);
    } catch (error) {
      failures.push(section.id);
      console.error(`  ${section.id} failed:`, error);
      blocks.set(section.id, `<!-- section:${section.id} -->\n## ${section.id}\n\nThis section failed in this run: \`${String((error as Error)?.message ?? error).split('\n')[0]}\`\n<!-- /section:${section.id} -->`);
    }
  }

  const profileWanted = asked.includes('profile') || (asked.length === 0 && goals.some((goal) => !goal.met));
  if (profileWanted) {
    console.log('\n== profile');
    try {
      const { runProfile } = await import('./profile.js');
      const missed = goals.filter((goal) => !goal.met).map((goal) => goal.goal);
      blocks.set('profile', await runProfile({ missed }));
    } catch (error) {
      failures.push('profile');
      console.error('  profile failed:', error);
    }
  }

  // Goals of sections not re-run are kept from their blocks' own tables; list this run's.
  const order = [...SECTIONS.map((section) => section.id), 'profile'];
  const body = order.filter((id) => blocks.has(id)).map((id) => blocks.get(id)!);
  const text = [
    '# Agent Lab benchmarks',
    '',
    'What the lab costs on top of the work it wraps, every figure beside a baseline measured in the same run, as ratios. ' +
      'Benchmarks report; they never fail on a number. Written by `bench/run.ts`.',
    '',
    ...header,
    `- Sections run this time: ${selected.map((section) => section.id).join(', ')}${profileWanted ? ', profile' : ''} (${((performance.now() - started) / 1000).toFixed(0)} s)`,
    '',
    goalsTable(goals),
    '',
    body.join('\n\n'),
    '',
  ].join('\n');
  await writeFile(RESULTS, text);
  console.log(`\nwrote ${path.relative(process.cwd(), RESULTS)} in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  if (failures.length > 0) {
    console.error(`sections that crashed: ${failures.join(', ')}`);
    process.exitCode = 1;
  }
}

await main();
