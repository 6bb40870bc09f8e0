/**
 * A byte-level scan of RFC 4180 CSV that finds where each record starts and ends and how
 * many fields it has, without decoding values. runs.csv uses it to find a torn last
 * record (a crash mid-append) and to cut it off at an exact byte offset.
 *
 * It follows the same rules as csv-parse with `relax_quotes` and Python's csv module: a
 * quote opens a quoted field only at the start of a field, `""` inside one is a quote,
 * records end at LF or CRLF outside quotes, and a lone CR is data. Delimiters are ASCII,
 * and UTF-8 never uses ASCII bytes inside a multi-byte character, so bytes are safe to scan.
 */

/** One record's place in the buffer. */
export interface CsvRecordSpan {
  /** Byte offset of the record's first byte. */
  start: number;
  /** Byte offset just past the record's line ending (or the end of the buffer). */
  end: number;
  /** How many fields the record has (a blank line has 1 empty field). */
  fields: number;
  /** True when the record ends with a line ending outside quotes. */
  terminated: boolean;
  /** True when the buffer ended inside a quoted field. */
  openQuote: boolean;
}

const COMMA = 0x2c;
const QUOTE = 0x22;
const LF = 0x0a;

type State = 'field-start' | 'unquoted' | 'quoted' | 'after-quote';

/**
 * Scan `bytes` into record spans. `limit` stops after that many complete records (the
 * header alone, for example).
 */
export function scanCsvRecords(bytes: Uint8Array, options: { limit?: number } = {}): CsvRecordSpan[] {
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const records: CsvRecordSpan[] = [];
  let state: State = 'field-start';
  let start = 0;
  let fields = 1;
  for (let index = 0; index < bytes.length; index += 1) {
    const byte = bytes[index];
    if (state === 'quoted') {
      if (byte === QUOTE) {
        if (bytes[index + 1] === QUOTE) index += 1;
        else state = 'after-quote';
      }
      continue;
    }
    if (byte === COMMA) {
      fields += 1;
      state = 'field-start';
    } else if (byte === LF) {
      records.push({ start, end: index + 1, fields, terminated: true, openQuote: false });
      if (records.length >= limit) return records;
      start = index + 1;
      fields = 1;
      state = 'field-start';
    } else if (byte === QUOTE && state === 'field-start') {
      state = 'quoted';
    } else if (state === 'field-start') {
      state = 'unquoted';
    }
  }
  if (start < bytes.length) {
    records.push({ start, end: bytes.length, fields, terminated: false, openQuote: state === 'quoted' });
  }
  return records;
}
