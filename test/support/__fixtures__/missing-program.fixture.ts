import { describe, expect, it } from 'vitest';
import { missing } from '../prerequisites.js';

// a program no machine has: its tests must be skipped with a note, or fail under CI=true
describe.skipIf(missing({ name: 'agent-lab-no-such-program', available: false, install: 'apt-get install -y agent-lab-no-such-package' }))('needs the program', () => {
  it('uses it', () => expect(true).toBe(true));
});

describe('needs nothing', () => {
  it('runs', () => expect(1 + 1).toBe(2));
});
