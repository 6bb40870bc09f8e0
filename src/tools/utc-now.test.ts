import { describe, expect, it } from 'vitest';
import { formatUtc, utcNow } from './utc-now.js';

// 2024-02-29 (a leap day, day 60) 07:08:09.123 UTC, a Thursday.
const date = new Date(Date.UTC(2024, 1, 29, 7, 8, 9, 123));

describe('formatUtc', () => {
  it('defaults to ISO 8601 in UTC', () => {
    expect(formatUtc({ date })).toBe('2024-02-29T07:08:09Z');
    expect(formatUtc({ date, fmt: '' })).toBe('2024-02-29T07:08:09Z');
  });

  it.each([
    ['%Y-%m-%d %H:%M:%S', '2024-02-29 07:08:09'],
    ['%Y-%m-%dT%H:%M:%S%z', '2024-02-29T07:08:09+0000'],
    ['%a %b %d %H:%M %Z', 'Thu Feb 29 07:08 UTC'],
    ['day %j of %Y', 'day 060 of 2024'],
    ['100%% at %H', '100% at 07'],
    ['no directives', 'no directives'],
  ])('formats %s', (fmt, expected) => {
    expect(formatUtc({ date, fmt })).toBe(expected);
  });

  it('pads the day of the year and counts the last day of a leap year as 366', () => {
    expect(formatUtc({ date: new Date(Date.UTC(2024, 0, 1)), fmt: '%j' })).toBe('001');
    expect(formatUtc({ date: new Date(Date.UTC(2024, 11, 31, 23, 59, 59)), fmt: '%j' })).toBe('366');
  });

  it('names an unsupported directive instead of guessing', () => {
    expect(formatUtc({ date, fmt: '%Y %q' })).toMatch(/^Error: unsupported format directive '%q' in fmt\. Supported: %Y %m %d %H %M %S %z %Z %j %a %b %%/);
    expect(formatUtc({ date, fmt: '%Y %' })).toMatch(/^Error: unsupported format directive a lone '%' at the end/);
  });
});

describe('utcNow', () => {
  it('reads the clock it is given, in UTC whatever the local zone', () => {
    const zone = process.env.TZ;
    process.env.TZ = 'Asia/Kolkata';
    try {
      expect(date.getHours()).not.toBe(7);
      expect(utcNow({ now: () => date, fmt: '%H:%M' })).toBe('07:08');
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });

  it('reads the real clock by default', () => {
    const before = Date.now();
    const shown = Date.parse(utcNow({}));
    expect(shown).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(shown).toBeLessThanOrEqual(Date.now());
  });
});
