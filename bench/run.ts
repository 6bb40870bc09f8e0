import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderSection, type SectionReport } from './support/report.js';
import { composeResults, type SectionOutcome } from './support/results-file.js';

/**
 * `npm run bench`: every benchmark section, each figure beside its baseline from the same
 * run, written to bench/RESULTS.md. `node --import tsx bench/run.ts streaming serving`
 * runs only those sections and replaces only their part of RESULTS.md (their blocks and goal
 * rows; the header of the last full run stays, with a line naming what was re-run since). Benchmarks report;
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
  { id: 'history', run: async () => (await import('./history.js')).runHistoryBench() },
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
  const startedAt = new Date().toISOString();
  const loadAtStart = os.loadavg()[0]!.toFixed(2);
  const header = machine();
  console.log(header.join('\n'));

  const ran: SectionOutcome[] = [];
  const failures: string[] = [];
  for (const section of selected) {
    console.log(`\n== ${section.id}`);
    const sectionStarted = performance.now();
    try {
      const report = await section.run();
      report.seconds = (performance.now() - sectionStarted) / 1000;
      ran.push({ id: section.id, block: renderSection(report), goals: report.goals });
      for (const row of report.rows) console.log(`  ${row.figure}: ${row.value} | baseline ${row.baseline} | ${row.ratio} ${row.goal}`);
      console.log(`  (${report.seconds.toFixed(0)} s)`);
    } catch (error) {
      failures.push(section.id);
      console.error(`  ${section.id} failed:`, error);
      const block = `<!-- section:${section.id} -->\n## ${section.id}\n\nThis section failed in this run: \`${String((error as Error)?.message ?? error).split('\n')[0]}\`\n<!-- /section:${section.id} -->`;
      ran.push({ id: section.id, block, goals: [] });
    }
  }

  const goals = ran.flatMap((section) => section.goals);
  const profileWanted = asked.includes('profile') || (asked.length === 0 && goals.some((goal) => !goal.met));
  if (profileWanted) {
    console.log('\n== profile');
    try {
      const { runProfile } = await import('./profile.js');
      const missed = goals.filter((goal) => !goal.met).map((goal) => goal.goal);
      ran.push({ id: 'profile', block: await runProfile({ missed }), goals: [] });
    } catch (error) {
      failures.push('profile');
      console.error('  profile failed:', error);
    }
  }

  // A run of some sections changes only their blocks and goal rows (bench/support/results-file.ts).
  const seconds = ((performance.now() - started) / 1000).toFixed(0);
  const text = composeResults({
    previous: existsSync(RESULTS) ? await readFile(RESULTS, 'utf8') : null,
    order: [...SECTIONS.map((section) => section.id), 'profile'],
    header: [...header, `- Sections run this time: ${ran.map((section) => section.id).join(', ')} (${seconds} s)`],
    ran,
    full: asked.length === 0,
    rerunNote: `at ${startedAt} (load ${loadAtStart}, ${seconds} s)`,
  });
  await writeFile(RESULTS, text);
  console.log(`\nwrote ${path.relative(process.cwd(), RESULTS)} in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  if (failures.length > 0) {
    console.error(`sections that crashed: ${failures.join(', ')}`);
    process.exitCode = 1;
  }
}

await main();
