import { describe, expect, it } from 'vitest';
import { exchangeSpan, replaceExchange } from './exchange.js';

const transcript = [
  { role: 'user', content: 'q1' },
  { role: 'assistant', content: 'a1', run_id: 'r1' },
  { role: 'user', content: 'q2' },
  { role: 'tool', content: '5' },
  { role: 'assistant', content: 'a2', run_id: 'r2' },
  { role: 'user', content: 'q3' },
  { role: 'assistant', content: 'a3', run_id: 'r3' },
];

describe('a run’s exchange in a transcript', () => {
  it('spans the asking user message, tool turns and the answer', () => {
    expect(exchangeSpan(transcript, 'r2')).toEqual({ start: 2, end: 5 });
    expect(exchangeSpan(transcript, 'missing')).toBeUndefined();
  });

  it('is replaced in place, the later exchanges kept', () => {
    const replaced = replaceExchange({ transcript, runId: 'r2', entries: [{ role: 'user', content: 'q2b' }, { role: 'assistant', content: 'a2b', run_id: 'r4' }] });
    expect(replaced.map((entry) => entry.content)).toEqual(['q1', 'a1', 'q2b', 'a2b', 'q3', 'a3']);
  });
});
