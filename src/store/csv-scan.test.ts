import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeCsvRecords } from './csv-codec.js';
import { scanCsvRecords } from './csv-scan.js';

/** What the scanner reports for `bytes`, fed in pieces cut at `cuts` (as the index reads a file in chunks). */
function scanInPieces(bytes: Buffer, cuts: number[]): Array<{ start: number; end: number; fields: string[] }> {
  const found: Array<{ start: number; end: number; fields: string[] }> = [];
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  let carry = Buffer.alloc(0);
  let position = 0;
  for (const point of [...points, bytes.length]) {
    if (point < position) continue;
    const piece = Buffer.concat([carry, bytes.subarray(position, point)]);
    const base = position - carry.length;
    position = point;
    const { end } = scanCsvRecords({
      bytes: piece,
      base,
      final: position >= bytes.length,
      onRecord: (record) => found.push({ start: record.start, end: record.end, fields: Array.from({ length: record.fieldCount }, (_, index) => record.field(index)) }),
    });
    carry = Buffer.from(piece.subarray(end - base));
  }
  return found;
}

const csvish = fc
  .array(fc.oneof(fc.constantFrom(',', '"', '""', '\r', '\n', '\r\n', 'a', 'bc', ' ', 'é', '😀', '"x"', '\uFEFF'), fc.string({ maxLength: 3 })), { maxLength: 40 })
  .map((parts) => Buffer.from(parts.join(''), 'utf8'));

describe('scanCsvRecords', () => {
  it('reads the same whole records as the codec, however the bytes are cut into chunks', () => {
    fc.assert(
      fc.property(csvish, fc.array(fc.nat(), { maxLength: 4 }), fc.boolean(), (body, cuts, withBom) => {
        const bytes = withBom ? Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), body]) : body;
        const expected: Array<{ start: number; end: number; fields: string[] }> = [];
        for (const record of decodeCsvRecords(bytes)) {
          if (!record.terminated) break;
          expected.push({ start: record.start, end: record.end, fields: record.fields });
        }
        expect(scanInPieces(bytes, cuts)).toEqual(expected);
      }),
      { numRuns: 2_000 },
    );
  });

  it('stops before an incomplete last record (a write in flight or torn)', () => {
    const bytes = Buffer.from('a,b\n1,"2\n3');
    const ends: number[] = [];
    const { end } = scanCsvRecords({ bytes, base: 0, final: true, onRecord: (record) => ends.push(record.end) });
    expect(ends).toEqual([4]);
    expect(end).toBe(4);
  });
});
