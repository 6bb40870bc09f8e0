import { describe, expect, it } from 'vitest';
import type { RunRecord, SessionListItem } from '../api/types.js';
import { groupSessions, plainTitle } from './session-groups.js';

const run = (fields: Partial<RunRecord>): RunRecord => ({ bakeoff_id: '', experiment_id: '', task_label: '', session_id: '', ...fields }) as RunRecord;

describe('the sidebar groups', () => {
  it('puts chats under their day and bake-off/batch sessions under their experiment with a badge', () => {
    const now = new Date(2026, 11, 1, 12);
    const sessions: SessionListItem[] = [
      { id: 's1', name: 'today chat', updated_at: new Date(2026, 11, 1, 9).toISOString() },
      { id: 'b1', name: 'Race', updated_at: new Date(2026, 11, 1, 8).toISOString() },
      { id: 'b2', name: 'Race', updated_at: new Date(2026, 11, 1, 8).toISOString() },
      { id: 's2', name: 'yesterday chat', updated_at: new Date(2026, 10, 30, 9).toISOString() },
      { id: 'c1', name: 'batch prompt', updated_at: new Date(2026, 10, 20, 9).toISOString() },
      { id: 'j1', name: 'judge prompt', updated_at: new Date(2026, 10, 20, 8).toISOString() },
    ];
    const runs = [
      run({ session_id: 'b1', experiment_id: 'bakeoff-1', bakeoff_id: 'x' }),
      run({ session_id: 'b2', experiment_id: 'bakeoff-1', bakeoff_id: 'x' }),
      run({ session_id: 'c1', experiment_id: 'batch-7' }),
      run({ session_id: 's1', experiment_id: 'my-tag' }),
      run({ session_id: 'j1', task_label: 'judge' }),
    ];
    const groups = groupSessions({ sessions, runs, now });
    expect(groups.map((group) => [group.label, group.badge, group.sessions.map((session) => session.id)])).toEqual([
      ['Today', null, ['s1']],
      ['bakeoff-1', 'bake-off', ['b1', 'b2']],
      ['Yesterday', null, ['s2']],
      ['batch-7', 'batch', ['c1']],
      ['judge calls', 'judge', ['j1']],
    ]);
  });

  it("keeps a bake-off's or eval's badge when a judge's calls share its experiment id (judge only for judge calls alone)", () => {
    const sessions: SessionListItem[] = [
      { id: 'judge-newest', name: 'judge call', updated_at: '2026-12-01T10:00:00Z' },
      { id: 'lane-a', name: 'Race', updated_at: '2026-12-01T09:00:00Z' },
      { id: 'eval-judge', name: 'judge call', updated_at: '2026-12-01T08:00:00Z' },
      { id: 'eval-case', name: 'case', updated_at: '2026-12-01T07:00:00Z' },
      { id: 'judge-only', name: 'judge call', updated_at: '2026-12-01T06:00:00Z' },
    ];
    const runs = [
      run({ session_id: 'judge-newest', experiment_id: 'race-1', task_label: 'judge' }),
      run({ session_id: 'lane-a', experiment_id: 'race-1', bakeoff_id: 'x' }),
      run({ session_id: 'eval-judge', experiment_id: 'eval-greet', task_label: 'judge' }),
      run({ session_id: 'eval-case', experiment_id: 'eval-greet' }),
      run({ session_id: 'judge-only', experiment_id: 'graded-by-hand', task_label: 'judge' }),
    ];
    const groups = groupSessions({ sessions, runs, now: new Date('2026-12-01T12:00:00Z') });
    expect(groups.map((group) => [group.label, group.badge, group.sessions.map((session) => session.id)])).toEqual([
      ['race-1', 'bake-off', ['judge-newest', 'lane-a']],
      ['eval-greet', 'eval', ['eval-judge', 'eval-case']],
      ['graded-by-hand', 'judge', ['judge-only']],
    ]);
  });

  it('shows titles as plain text, never raw markdown', () => {
    expect(plainTitle('# **Bold** title with `code` and [a link](https://x.example)')).toBe('Bold title with code and a link');
    expect(plainTitle('- item\n> quote')).toBe('item quote');
  });
});
