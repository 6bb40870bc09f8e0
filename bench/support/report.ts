/** The shape every benchmark section returns, and its Markdown. */

/** One line of a section's table: a figure beside its baseline from the same run. */
export interface Row {
  figure: string;
  value: string;
  baseline: string;
  ratio: string;
  goal: string;
  /** min–max over repeats, where the figure is noisy. */
  range: string;
}

export interface GoalResult {
  goal: string;
  met: boolean;
  detail: string;
}

export interface SectionReport {
  id: string;
  title: string;
  /** What was measured and how, one paragraph. */
  method: string;
  rows: Row[];
  notes: string[];
  goals: GoalResult[];
  /** Extra Markdown appended after the table (e.g. a profile). */
  extra?: string;
  seconds?: number;
}

/** `12.3 ms`. */
export function ms(value: number, digits = 1): string {
  return Number.isFinite(value) ? `${value.toFixed(digits)} ms` : 'n/a';
}

/** `+1.2 ms` / `−0.4 ms`. */
export function signedMs(value: number, digits = 1): string {
  if (!Number.isFinite(value)) return 'n/a';
  return `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(digits)} ms`;
}

/** `value / baseline` as `1.23×`. */
export function ratio(value: number, baseline: number, digits = 2): string {
  if (!Number.isFinite(value) || !Number.isFinite(baseline) || baseline === 0) return 'n/a';
  return `${(value / baseline).toFixed(digits)}×`;
}

/** `1 234` style integers. */
export function count(value: number, digits = 0): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** `min–max unit`. */
export function span(values: readonly number[], format: (value: number) => string): string {
  if (values.length < 2) return '';
  return `${format(Math.min(...values))} – ${format(Math.max(...values))}`;
}

/** Goal cell: `≤ 1 ms: met`. */
export function goalCell(text: string, met: boolean | undefined): string {
  if (met === undefined) return text;
  return `${text}: **${met ? 'met' : 'missed'}**`;
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** The section as Markdown, between markers so one section can be re-run alone. */
export function renderSection(section: SectionReport): string {
  const lines = [`<!-- section:${section.id} -->`, `## ${section.title}`, '', section.method, ''];
  lines.push('| figure | lab | baseline | ratio | goal | min–max over repeats |', '| --- | --- | --- | --- | --- | --- |');
  for (const row of section.rows) {
    lines.push(`| ${[row.figure, row.value, row.baseline, row.ratio, row.goal, row.range].map(escapeCell).join(' | ')} |`);
  }
  if (section.notes.length > 0) lines.push('', ...section.notes.map((note) => `- ${note}`));
  if (section.extra) lines.push('', section.extra);
  if (section.seconds !== undefined) lines.push('', `_Section time: ${section.seconds.toFixed(0)} s._`);
  lines.push(`<!-- /section:${section.id} -->`);
  return lines.join('\n');
}
