import { describe, expect, it } from 'vitest';
import { replaceUnstorableCharacters } from './storable-text.js';

describe('replaceUnstorableCharacters', () => {
  it('replaces U+0000 and lone surrogates with U+FFFD, keeping paired surrogates', () => {
    expect(replaceUnstorableCharacters('a\u0000b')).toBe('a\uFFFDb');
    expect(replaceUnstorableCharacters('high \ud800 alone')).toBe('high \uFFFD alone');
    expect(replaceUnstorableCharacters('low \udc00 alone')).toBe('low \uFFFD alone');
    expect(replaceUnstorableCharacters('reversed \udc00\ud800')).toBe('reversed \uFFFD\uFFFD');
    expect(replaceUnstorableCharacters('emoji 😀 kept')).toBe('emoji 😀 kept');
  });

  it('cleans strings inside arrays and objects, keys included, and leaves other values alone', () => {
    const when = new Date('2026-12-01T00:00:00Z');
    const cleaned = replaceUnstorableCharacters({ 'k\u0000': ['\ud800', 3, null], when, nested: { flag: true, text: 'x\udfff' } });
    expect(cleaned).toEqual({ 'k\uFFFD': ['\uFFFD', 3, null], when, nested: { flag: true, text: 'x\uFFFD' } });
    expect(cleaned.when).toBe(when);
  });

  it('keeps a "__proto__" key as data, not as the prototype', () => {
    const input = JSON.parse('{"__proto__": {"polluted": "\\u0000"}}') as Record<string, unknown>;
    const cleaned = replaceUnstorableCharacters(input);
    expect(Object.keys(cleaned)).toEqual(['__proto__']);
    expect((cleaned as { polluted?: unknown }).polluted).toBeUndefined();
    expect(Object.getOwnPropertyDescriptor(cleaned, '__proto__')?.value).toEqual({ polluted: '\uFFFD' });
  });
});
