import { describe, expect, it } from 'vitest';
import type { BreakerInfo } from '../server/context.js';
import { listBreakers } from './breaker-list.js';

const breaker = (model: string, state: BreakerInfo['state'], failures = 0): BreakerInfo => ({ key: `http://x|${model}`, baseUrl: 'http://x', model, state, failures });

describe('listBreakers', () => {
  it('lists open, half-open and failing breakers first, the newest of the rest after, and counts what it leaves out', () => {
    // Least recently used first, as the resilient provider gives them.
    const all = [
      breaker('old-open', 'open', 5),
      ...Array.from({ length: 10 }, (_, index) => breaker(`idle-${index}`, 'closed')),
      breaker('trial', 'half-open', 5),
      breaker('failing', 'closed', 2),
      breaker('newest', 'closed'),
    ];
    const listed = listBreakers(all, 5);
    expect(listed.breakers.map((entry) => entry.model)).toEqual(['old-open', 'trial', 'failing', 'newest', 'idle-9']);
    expect(listed).toMatchObject({ total: 14, open: 1, half_open: 1, more: 9 });
    expect(listBreakers(all.slice(0, 3), 5)).toMatchObject({ total: 3, more: 0 });
  });
});
