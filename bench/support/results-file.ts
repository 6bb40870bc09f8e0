import type { GoalResult } from './report.js';

/**
 * bench/RESULTS.md as parts: the header (machine, date, what ran), the goals table (one row
 * per goal, tagged with its section) and the section blocks between their markers. A run of
 * some sections replaces only those sections' blocks and goal rows and notes the re-run in
 * the header; the full run's header, the other blocks and their goal rows stay as they were.
 */

/** What one section produced in this run. */
export interface SectionOutcome {
  id: string;
  /** The section's Markdown, between its `<!-- section:id -->` markers. */
  block: string;
  goals: GoalResult[];
}

interface GoalRow {
  /** The section the goal belongs to; null for a row from before goals named their section. */
  section: string | null;
  line: string;
}

interface ParsedResults {
  header: string[];
  goals: GoalRow[];
  blocks: Map<string, string>;
}

const TITLE = '# Agent Lab benchmarks';
const INTRO =
  'What the lab costs on top of the work it wraps, every figure beside a baseline measured in the same run, as ratios. ' +
  'Benchmarks report; they never fail on a number. Written by `bench/run.ts`.';
const RERUN_PREFIX = '- Re-run alone since: ';
const SECTION_BLOCK = /<!-- section:([a-z-]+) -->[\s\S]*?<!-- \/section:\1 -->/g;

function cells(line: string): string[] {
  return line
    .replace(/^\|\s?/, '')
    .replace(/\s?\|$/, '')
    .split(/\s\|\s/)
    .map((cell) => cell.trim());
}

export function parseResults(text: string): ParsedResults {
  const blocks = new Map<string, string>();
  for (const match of text.matchAll(SECTION_BLOCK)) blocks.set(match[1]!, match[0]);
  const firstBlock = text.search(/<!-- section:/);
  const top = (firstBlock < 0 ? text : text.slice(0, firstBlock)).split('\n');
  const goalsAt = top.indexOf('## Goals');
  const header = (goalsAt < 0 ? top : top.slice(0, goalsAt)).filter((line) => line.startsWith('- '));
  const goals: GoalRow[] = [];
  if (goalsAt >= 0) {
    for (const line of top.slice(goalsAt + 1)) {
      if (!line.startsWith('| ') || line.startsWith('| --- ') || line.startsWith('| goal |') || line.startsWith('| section |')) continue;
      const row = cells(line);
      goals.push({ section: row.length >= 4 ? row[0]! : null, line });
    }
  }
  return { header, goals, blocks };
}

function goalLine(section: string, goal: GoalResult): string {
  return `| ${section} | ${goal.goal} | ${goal.detail} | **${goal.met ? 'met' : 'missed'}** |`;
}

/** `storage at 2026-12-01T05:40:00Z (load 1.20, 17 s)` entries, one per section re-run alone, this run's replacing older ones. */
function rerunLine(previous: string | undefined, ran: string[], note: string): string {
  const entries = (previous?.slice(RERUN_PREFIX.length).split('; ') ?? []).filter((entry) => entry !== '' && !ran.includes(entry.split(' ')[0]!));
  return `${RERUN_PREFIX}${[...entries, ...ran.map((id) => `${id} ${note}`)].join('; ')}`;
}

/**
 * The new RESULTS.md. `full`: every section ran, so the header and goals are this run's alone.
 * Otherwise the previous file's header is kept (a line names the sections re-run and when) and
 * only the sections in `ran` change, blocks and goal rows.
 */
export function composeResults(options: {
  previous: string | null;
  /** Every section id, in the file's order. */
  order: string[];
  /** This run's header lines: date, machine, Node, load, command, sections run. */
  header: string[];
  ran: SectionOutcome[];
  full: boolean;
  /** How this run is described in the re-run line: `at <date> (load …, N s)`. */
  rerunNote: string;
}): string {
  const previous = options.previous === null ? null : parseResults(options.previous);
  const keepOld = !options.full && previous !== null && previous.header.length > 0;
  const ranIds = options.ran.map((section) => section.id);
  const blocks = new Map(keepOld ? previous.blocks : []);
  for (const section of options.ran) blocks.set(section.id, section.block);

  const header = keepOld
    ? [...previous.header.filter((line) => !line.startsWith(RERUN_PREFIX)), rerunLine(previous.header.find((line) => line.startsWith(RERUN_PREFIX)), ranIds, options.rerunNote)]
    : options.header;

  const goals: string[] = [];
  for (const id of options.order) {
    const outcome = options.ran.find((section) => section.id === id);
    if (outcome) goals.push(...outcome.goals.map((goal) => goalLine(id, goal)));
    else if (keepOld) goals.push(...previous.goals.filter((row) => row.section === id).map((row) => row.line));
  }
  if (keepOld) goals.push(...previous.goals.filter((row) => row.section === null || !options.order.includes(row.section)).map((row) => row.line));
  const goalsTable = goals.length === 0 ? [] : ['## Goals', '', '| section | goal | result | |', '| --- | --- | --- | --- |', ...goals, ''];

  const body = options.order.filter((id) => blocks.has(id)).map((id) => blocks.get(id)!);
  return [TITLE, '', INTRO, '', ...header, '', ...goalsTable, body.join('\n\n'), ''].join('\n');
}
