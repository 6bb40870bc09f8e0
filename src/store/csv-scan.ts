import { decodeCsvRecords } from './csv-codec.js';

/**
 * A fast record scanner for large CSV files (the run index's start-up pass over runs.csv),
 * reading the same records as the codec (csv-codec.ts): RFC 4180 quoting, `""` inside a
 * quoted field, records ending at CRLF, LF or a lone CR outside quotes, a quote inside an
 * unquoted field kept as it is. A quoted field followed by something other than a comma or
 * a line ending (which csv-parse reads in its own relaxed way) is handed to the codec, so the
 * two never disagree. It reports byte ranges, so a caller decodes only the fields it needs.
 */

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;

/** The fields of one record, as byte ranges into the scanned buffer (valid during the callback only). */
export interface ScannedRecord {
  /** Byte offset of the record in the file. */
  start: number;
  /** Byte offset just past its line ending. */
  end: number;
  fieldCount: number;
  /** The text of field `index` ('' past the last field). */
  field(index: number): string;
}

/** Where scanning stopped: records before `end` were reported; bytes from it on are an incomplete record (or none). */
export interface ScanResult {
  end: number;
}

class RangeRecord implements ScannedRecord {
  start = 0;
  end = 0;
  fieldCount = 0;
  starts: number[] = [];
  ends: number[] = [];
  escaped: boolean[] = [];
  bytes: Buffer = Buffer.alloc(0);

  field(index: number): string {
    if (index >= this.fieldCount) return '';
    const text = this.bytes.toString('utf8', this.starts[index], this.ends[index]);
    return this.escaped[index] ? text.replaceAll('""', '"') : text;
  }
}

class DecodedRecord implements ScannedRecord {
  constructor(
    readonly start: number,
    readonly end: number,
    readonly fields: string[],
  ) {}

  get fieldCount(): number {
    return this.fields.length;
  }

  field(index: number): string {
    return this.fields[index] ?? '';
  }
}

/**
 * Report every complete record of `bytes` (which starts at file offset `base`, at a record
 * boundary) to `onRecord`. With `final: false` (more bytes follow), a record ending in a
 * lone CR at the very end is left for the next call (it may be a CRLF). A BOM at offset 0 is
 * skipped.
 */
export function scanCsvRecords(options: { bytes: Buffer; base: number; final: boolean; onRecord: (record: ScannedRecord) => void }): ScanResult {
  const { bytes, base, final, onRecord } = options;
  const length = bytes.length;
  const record = new RangeRecord();
  record.bytes = bytes;
  let position = base === 0 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  let recordStart = 0;
  for (;;) {
    if (position >= length) return { end: base + recordStart };
    record.fieldCount = 0;
    let terminatedAt = -1;
    let irregular = false;
    // One record: fields until a line ending outside quotes.
    for (;;) {
      const fieldIndex = record.fieldCount;
      if (bytes[position] === QUOTE) {
        const contentStart = position + 1;
        let cursor = contentStart;
        let escaped = false;
        let closed = -1;
        for (;;) {
          const next = bytes.indexOf(QUOTE, cursor);
          if (next === -1) break;
          if (bytes[next + 1] === QUOTE) {
            escaped = true;
            cursor = next + 2;
            continue;
          }
          closed = next;
          break;
        }
        if (closed === -1) return { end: base + recordStart }; // an open quote: incomplete
        const after = bytes[closed + 1];
        if (closed + 1 < length && after !== COMMA && after !== LF && after !== CR) {
          irregular = true;
          break;
        }
        record.starts[fieldIndex] = contentStart;
        record.ends[fieldIndex] = closed;
        record.escaped[fieldIndex] = escaped;
        record.fieldCount += 1;
        position = closed + 1;
      } else {
        let cursor = position;
        while (cursor < length) {
          const byte = bytes[cursor];
          if (byte === COMMA || byte === LF || byte === CR) break;
          cursor += 1;
        }
        record.starts[fieldIndex] = position;
        record.ends[fieldIndex] = cursor;
        record.escaped[fieldIndex] = false;
        record.fieldCount += 1;
        position = cursor;
      }
      if (position >= length) break; // no line ending yet
      const byte = bytes[position];
      if (byte === COMMA) {
        position += 1;
        if (position >= length) break;
        continue;
      }
      if (byte === CR) {
        if (position + 1 >= length && !final) break; // a CR at the end: maybe a CRLF
        terminatedAt = bytes[position + 1] === LF ? position + 2 : position + 1;
      } else {
        terminatedAt = position + 1;
      }
      break;
    }
    if (irregular) {
      const resumed = decodeIrregular({ bytes, base, recordStart, final, onRecord });
      if (resumed === undefined) return { end: base + recordStart };
      recordStart = resumed;
      position = resumed;
      continue;
    }
    if (terminatedAt === -1) return { end: base + recordStart };
    record.start = base + recordStart;
    record.end = base + terminatedAt;
    onRecord(record);
    recordStart = terminatedAt;
    position = terminatedAt;
  }
}

/**
 * The codec's reading of the records from `recordStart` on, for a record the scanner does not
 * read itself; reports the first whole one (the codec's last may be cut by the buffer's end)
 * and returns where the scanner resumes, or undefined when no whole record is there yet.
 */
function decodeIrregular(options: { bytes: Buffer; base: number; recordStart: number; final: boolean; onRecord: (record: ScannedRecord) => void }): number | undefined {
  const { bytes, base, recordStart, final, onRecord } = options;
  const decoded = decodeCsvRecords(bytes.subarray(recordStart), { limit: 2 });
  const first = decoded[0];
  if (!first?.terminated) return undefined;
  // Without a record after it, a CR at the very end may still become a CRLF.
  if (!final && decoded.length < 2 && first.raw[first.raw.length - 1] === CR) return undefined;
  onRecord(new DecodedRecord(base + recordStart, base + recordStart + first.end, first.fields));
  return recordStart + first.end;
}
