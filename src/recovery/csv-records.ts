/**
 * An RFC 4180 record splitter that works on the raw bytes of a damaged file: it never
 * throws, keeps each record's exact bytes (so quarantine can move them unchanged), and
 * says where each record starts and what is wrong with its shape.
 */

/** One CSV record as found in the file. */
export interface CsvRecord {
  /** 1-based physical line where the record starts (the header is line 1). */
  line: number;
  /** The record's exact bytes, including its line ending when it has one. */
  raw: Buffer;
  /** Field values (UTF-8 decoded, quotes removed); empty for a blank line. */
  fields: string[];
  /** True when the record ends with a line break (false for a torn last record). */
  terminated: boolean;
  /** Shape problems found while splitting (unterminated quote, NUL byte, invalid UTF-8, ...). */
  problems: string[];
}

const COMMA = 0x2c;
const QUOTE = 0x22;
const CR = 0x0d;
const LF = 0x0a;
const NUL = 0x00;

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Split `bytes` into records. An empty input yields no records. */
export function splitCsvRecords(bytes: Buffer): CsvRecord[] {
  const records: CsvRecord[] = [];
  const length = bytes.length;
  let position = 0;
  let line = 1;
  // A UTF-8 byte-order mark before the header is tolerated (spreadsheets write one).
  if (length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) position = 3;
  let recordStart = 0;
  while (position < length) {
    const startLine = line;
    const fieldSlices: Array<{ start: number; end: number; quoted: boolean }> = [];
    const problems = new Set<string>();
    let terminated = false;
    let fieldStart = position;
    let quoted = false;
    let inQuotes = false;
    let afterQuote = false;
    let sawNul = false;
    let record: { end: number } | undefined;
    while (position < length) {
      const byte = bytes[position]!;
      if (byte === NUL) sawNul = true;
      if (inQuotes) {
        if (byte === QUOTE) {
          if (bytes[position + 1] === QUOTE) {
            position += 2;
            continue;
          }
          inQuotes = false;
          afterQuote = true;
        } else if (byte === LF) {
          line += 1;
        }
        position += 1;
        continue;
      }
      if (byte === COMMA) {
        fieldSlices.push({ start: fieldStart, end: position, quoted });
        position += 1;
        fieldStart = position;
        quoted = false;
        afterQuote = false;
        continue;
      }
      if (byte === CR || byte === LF) {
        fieldSlices.push({ start: fieldStart, end: position, quoted });
        if (byte === CR && bytes[position + 1] === LF) position += 1;
        position += 1;
        line += 1;
        terminated = true;
        record = { end: position };
        break;
      }
      if (byte === QUOTE) {
        if (position === fieldStart) {
          quoted = true;
          inQuotes = true;
        } else {
          problems.add(afterQuote ? 'stray quote after a quoted field' : 'quote inside an unquoted field');
        }
      } else if (afterQuote) {
        problems.add('characters after the closing quote of a field');
        afterQuote = false;
      }
      position += 1;
    }
    if (!record) {
      fieldSlices.push({ start: fieldStart, end: position, quoted });
      record = { end: position };
      if (inQuotes) problems.add('a quoted field is never closed (torn or truncated record)');
      problems.add('the last record has no line ending (torn write)');
    }
    if (sawNul) problems.add('contains NUL bytes (garbage)');
    const raw = bytes.subarray(recordStart, record.end);
    recordStart = record.end;
    const blank = fieldSlices.length === 1 && fieldSlices[0]!.end === fieldSlices[0]!.start && !fieldSlices[0]!.quoted;
    const fields: string[] = [];
    if (!blank) {
      for (const slice of fieldSlices) {
        let text: string;
        try {
          text = decoder.decode(bytes.subarray(slice.start, slice.end));
        } catch {
          problems.add('contains bytes that are not UTF-8 (garbage)');
          text = bytes.subarray(slice.start, slice.end).toString('utf8');
        }
        if (slice.quoted) {
          const closing = text.lastIndexOf('"');
          const inner = closing > 0 ? text.slice(1, closing) + text.slice(closing + 1) : text.slice(1);
          text = inner.replaceAll('""', '"');
        }
        fields.push(text);
      }
    } else {
      problems.add('blank line');
    }
    records.push({ line: startLine, raw, fields, terminated, problems: [...problems] });
  }
  return records;
}
