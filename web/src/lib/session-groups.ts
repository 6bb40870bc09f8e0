import type { RunRecord, SessionListItem } from '../api/types.js';

/**
 * The sidebar's sessions: chats grouped by day (Today, Yesterday, then dates), and the
 * sessions a bake-off, batch or eval made grouped under their experiment with a badge, so
 * they do not bury the chats under a dozen identical titles.
 */

export type ExperimentKind = 'bake-off' | 'batch' | 'eval' | 'judge';

export interface SessionGroup {
  key: string;
  label: string;
  badge: ExperimentKind | null;
  sessions: SessionListItem[];
}

/** A title as plain text: markdown marks, links and headings reduced to their words, on one line. */
export function plainTitle(text: string | null | undefined): string {
  if (!text) return '';
  return text
    .replace(/```[\s\S]*?```/g, ' ')
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, ' ')
    .replace(/^\s{0,3}(#{1,6}|>|[-*+]|\d+\.)\s+/gm, '')
    .replace(/(\*\*|__|\*|_|~~|`)/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * Which kind names a group when its sessions differ: a judge's calls share the experiment id of
 * what they judged (a bake-off, an eval), so "judge" badges a group only when nothing else is in it.
 */
const KIND_PRECEDENCE: Record<ExperimentKind, number> = { judge: 0, batch: 1, eval: 2, 'bake-off': 3 };

function strongerKind(current: ExperimentKind | undefined, candidate: ExperimentKind): ExperimentKind {
  return current !== undefined && KIND_PRECEDENCE[current] >= KIND_PRECEDENCE[candidate] ? current : candidate;
}

/** What made a session's runs, when it was not a plain chat. */
function experimentKind(run: Pick<RunRecord, 'bakeoff_id' | 'experiment_id' | 'task_label'>): ExperimentKind | null {
  if (run.task_label === 'judge') return 'judge';
  if (run.bakeoff_id) return 'bake-off';
  if (/^batch-/.test(run.experiment_id)) return 'batch';
  if (/^eval-/.test(run.experiment_id)) return 'eval';
  return null;
}

function dayLabel(iso: string | null | undefined, now: Date): string {
  const date = iso ? new Date(iso) : null;
  if (!date || Number.isNaN(date.getTime())) return 'Older';
  const startOf = (value: Date) => new Date(value.getFullYear(), value.getMonth(), value.getDate()).getTime();
  const days = Math.round((startOf(now) - startOf(date)) / 86_400_000);
  if (days <= 0) return 'Today';
  if (days === 1) return 'Yesterday';
  if (days < 7) return date.toLocaleDateString('en-US', { weekday: 'long' });
  return date.toLocaleDateString('en-CA'); // YYYY-MM-DD
}

/** Sessions (newest first) → groups in the order the sidebar shows them: newest activity first. */
export function groupSessions(options: { sessions: SessionListItem[]; runs: RunRecord[]; now?: Date }): SessionGroup[] {
  const now = options.now ?? new Date();
  const bySession = new Map<string, { experimentId: string; kind: ExperimentKind }>();
  for (const run of options.runs) {
    // A judge's calls are runs too: their sessions go with the experiment judged, or under "judge calls".
    const kind = run.session_id ? experimentKind(run) : null;
    if (!kind || !(run.experiment_id || kind === 'judge')) continue;
    const known = bySession.get(run.session_id);
    bySession.set(run.session_id, { experimentId: run.experiment_id || 'judge calls', kind: strongerKind(known?.kind, kind) });
  }
  const groups = new Map<string, SessionGroup>();
  for (const session of options.sessions) {
    const experiment = bySession.get(session.id);
    const key = experiment ? `experiment:${experiment.experimentId}` : `day:${dayLabel(session.updated_at ?? session.created_at, now)}`;
    let group = groups.get(key);
    if (!group) {
      group = experiment
        ? { key, label: experiment.experimentId, badge: experiment.kind, sessions: [] }
        : { key, label: key.slice(4), badge: null, sessions: [] };
      groups.set(key, group);
    }
    if (experiment && group.badge) group.badge = strongerKind(group.badge, experiment.kind);
    group.sessions.push(session);
  }
  return [...groups.values()];
}
