import { describe, expect, it } from 'vitest';
import { appendText, transcriptToTurns, turnText } from './turn.js';

describe('turns', () => {
  it('appends streamed text to the last text part, and starts a new one after a tool', () => {
    let parts = appendText([], 'Hel');
    parts = appendText(parts, 'lo');
    expect(parts).toEqual([{ kind: 'text', text: 'Hello' }]);
    parts = appendText([...parts, { kind: 'tool', id: 't', name: 'utc_now', args: {} }], 'After');
    expect(parts.map((part) => part.kind)).toEqual(['text', 'tool', 'text']);
  });

  it('restores a stored transcript: tool entries join their answer, aborted runs stay marked', () => {
    const turns = transcriptToTurns(
      [
        { role: 'user', content: 'add 2 and 3' },
        { role: 'assistant', content: '', run_id: 'r1', tool_calls: [{ id: 'c1', function: { name: 'add_numbers', arguments: '{"a":2,"b":3}' } }] },
        { role: 'tool', content: '5', tool_call_id: 'c1', name: 'add_numbers' },
        { role: 'assistant', content: 'The sum is 5', run_id: 'r1' },
        { role: 'user', content: 'again' },
        { role: 'assistant', content: 'The su', run_id: 'r2' },
      ],
      [{ run_id: 'r2', aborted: true }],
    );
    const failed = transcriptToTurns([{ role: 'assistant', content: '', run_id: 'r3' }], [{ run_id: 'r3', error: 'provider:credits: Out of credits (402)' }]);
    expect(failed[0]?.error).toEqual({ code: 'provider:credits', message: 'Out of credits (402)', retryable: true });
    expect(turns.map((turn) => turn.role)).toEqual(['user', 'assistant', 'assistant', 'user', 'assistant']);
    expect(turns[1]?.parts).toEqual([{ kind: 'tool', id: 'c1', name: 'add_numbers', args: { a: 2, b: 3 }, result: 5 }]);
    expect(turns[4]?.state).toBe('aborted');
    expect(turns.map(turnText)).toEqual(['add 2 and 3', '', 'The sum is 5', 'again', 'The su']);
  });
});
