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

  it('shows titles as plain text, never raw markdown', () => {
    expect(plainTitle('# **Bold** title with `code` and [a link](https://x.example)')).toBe('Bold title with code and a link');
    expect(plainTitle('- item\n> quote')).toBe('item quote');
  });
});
