import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderSection, type SectionReport } from '../../bench/support/report.js';
import { composeResults, parseResults } from '../../bench/support/results-file.js';
import { REPO_ROOT } from '../support/start-lab.js';

/**
 * bench/run.ts with some sections: only their blocks and goal rows change in RESULTS.md. Run
 * on a RESULTS.md written by a made-up full run (not the live file, which every bench run
 * changes), with made-up section reports (no benchmark runs).
 */

const ORDER = ['streaming', 'stop', 'storage', 'serving', 'memory', 'ui', 'local-model', 'openai-endpoint', 'evals', 'profile'];
const HEADER = ['- Date: 2030-01-01T00:00:00.000Z', '- Machine: 64 CPUs (`nproc`), test, 1.0 GiB memory', '- Sections run this time: stop (3 s)'];
const FULL_RUN_HEADER = ['- Date: 2029-06-01T00:00:00.000Z', '- Machine: 2 CPUs (`nproc`), full run, 24 GiB memory', '- Sections run this time: all'];
/** The goals each section of the made-up full run reported. */
const FULL_RUN_GOALS: Record<string, SectionReport['goals']> = {
  streaming: [
    { goal: 'Added TTFT p50 ≤ 1 ms', met: false, detail: '+19 ms' },
    { goal: 'Added TTFT p99 ≤ 5 ms', met: false, detail: '+149 ms' },
  ],
  stop: [{ goal: 'Stop p95 ≤ 50 ms', met: true, detail: 'client gone → upstream closed, p50 | 2.15 ms' }],
  serving: [{ goal: '/health ≥ 0.7× bare Fastify', met: true, detail: '0.81' }],
  'openai-endpoint': [{ goal: '/v1 added TTFT ≤ 1 ms', met: false, detail: '+2.48 ms' }],
};

function report(id: string, figure: string, goals: SectionReport['goals']): SectionReport {
  return { id, title: `Re-run ${id}`, method: 'Made up for the test.', rows: [{ figure, value: '9 ms', baseline: '1 ms', ratio: '9.00×', goal: '', range: '' }], notes: [], goals, seconds: 3 };
}

describe('RESULTS.md after a run of some sections', () => {
  let directory: string;
  let file: string;
  let original: string;
  beforeEach(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'agent-lab-bench-'));
    file = path.join(directory, 'RESULTS.md');
    original = composeResults({
      previous: null,
      order: ORDER,
      header: FULL_RUN_HEADER,
      ran: ORDER.map((id) => {
        const section = report(id, `${id} full-run figure`, FULL_RUN_GOALS[id] ?? []);
        return { id, block: renderSection(section), goals: section.goals };
      }),
      full: true,
      rerunNote: 'unused',
    });
    await writeFile(file, original);
  });
  afterEach(async () => rm(directory, { recursive: true, force: true }));

  /** What bench/run.ts writes after running these sections (`full`: all of them). */
  async function runSections(sections: SectionReport[], options: { full?: boolean; note?: string } = {}): Promise<string> {
    const text = composeResults({
      previous: await readFile(file, 'utf8'),
      order: ORDER,
      header: HEADER,
      ran: sections.map((section) => ({ id: section.id, block: renderSection(section), goals: section.goals })),
      full: options.full ?? false,
      rerunNote: options.note ?? 'at 2030-01-01T00:00:00.000Z (load 0.50, 3 s)',
    });
    await writeFile(file, text);
    return text;
  }

  it('one section: its block and goal rows change; the header, the other blocks and their goal rows stay as they were', async () => {
    const before = parseResults(original);
    expect(before.goals.map((row) => row.section)).toEqual(['streaming', 'streaming', 'stop', 'serving', 'openai-endpoint']);
    const text = await runSections([report('stop', 'made-up stop figure', [{ goal: 'Stop: made up', met: false, detail: 'p50 80 ms' }])]);
    const after = parseResults(text);

    for (const [id, block] of before.blocks) {
      if (id === 'stop') continue;
      expect(after.blocks.get(id), id).toBe(block); // byte for byte
    }
    expect(after.blocks.get('stop')).toContain('made-up stop figure');
    expect(text).not.toContain('stop full-run figure');
    expect([...after.blocks.keys()]).toEqual([...before.blocks.keys()]);

    // The full run's header is kept, with the re-run named; none of this run's header lines replace it.
    expect(after.header.slice(0, before.header.length)).toEqual(before.header);
    expect(after.header.at(-1)).toBe('- Re-run alone since: stop at 2030-01-01T00:00:00.000Z (load 0.50, 3 s)');
    expect(text).not.toContain('2030-01-01T00:00:00.000Z\n');
    expect(text).not.toContain('64 CPUs');

    // Goals: the other sections' rows unchanged and in place; stop's replaced.
    expect(after.goals.map((row) => row.line)).toEqual([
      ...before.goals.filter((row) => row.section === 'streaming').map((row) => row.line),
      '| stop | Stop: made up | p50 80 ms | **missed** |',
      ...before.goals.filter((row) => row.section === 'serving' || row.section === 'openai-endpoint').map((row) => row.line),
    ]);
  });

  it('later runs of other sections add to the re-run line; the same section again replaces its entry; a section that crashed drops its goal rows', async () => {
    await runSections([report('stop', 'first', [])], { note: 'at T1 (load 1.00, 3 s)' });
    await runSections([report('serving', 'serving again', [])], { note: 'at T2 (load 2.00, 4 s)' });
    const text = await runSections([report('stop', 'second', [])], { note: 'at T3 (load 3.00, 5 s)' });
    const after = parseResults(text);
    expect(after.header.filter((line) => line.startsWith('- Re-run'))).toEqual(['- Re-run alone since: serving at T2 (load 2.00, 4 s); stop at T3 (load 3.00, 5 s)']);
    expect(after.goals.map((row) => row.section)).toEqual(['streaming', 'streaming', 'openai-endpoint']);
    expect(after.blocks.get('stop')).toContain('second');
    expect(after.blocks.get('streaming')).toBe(parseResults(original).blocks.get('streaming'));
  });

  it('a full run writes its own header and goals, with no re-run line', async () => {
    await runSections([report('stop', 'partial', [])]);
    const sections = ORDER.filter((id) => id !== 'profile').map((id) => report(id, `${id} figure`, id === 'memory' ? [{ goal: 'Memory: made up', met: true, detail: '1 MB' }] : []));
    const text = await runSections(sections, { full: true });
    const after = parseResults(text);
    expect(after.header).toEqual(HEADER);
    expect(after.goals.map((row) => row.line)).toEqual(['| memory | Memory: made up | 1 MB | **met** |']);
    expect([...after.blocks.keys()]).toEqual(ORDER.filter((id) => id !== 'profile'));
  });

  it('with no RESULTS.md yet, a run of one section writes a whole file', async () => {
    const text = composeResults({ previous: null, order: ORDER, header: HEADER, ran: [{ id: 'stop', block: renderSection(report('stop', 'fresh', [])), goals: [] }], full: false, rerunNote: 'x' });
    expect(parseResults(text).header).toEqual(HEADER);
    expect(text.startsWith('# Agent Lab benchmarks\n')).toBe(true);
    expect(text).toContain('fresh');
  });
});

describe('the live bench/RESULTS.md', () => {
  it('is in the format a single-section run can update: a header, known section blocks, goal rows naming their section', async () => {
    const live = parseResults(await readFile(path.join(REPO_ROOT, 'bench', 'RESULTS.md'), 'utf8'));
    expect(live.header.some((line) => line.startsWith('- Date: '))).toBe(true);
    expect(live.blocks.size).toBeGreaterThan(5);
    for (const row of live.goals) expect([...live.blocks.keys()], row.line).toContain(row.section);
  });
});
