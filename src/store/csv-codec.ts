import { isUtf8 } from 'node:buffer';
import { parse, type Options as ParseOptions } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';

/**
 * The lab's one CSV codec (csv-parse / csv-stringify), for runs.csv and any other CSV file
 * the lab keeps: the store's reads and torn-record repair, `check`, `quarantine`, `restore`
 * and `rebuild-csv` all split records here, so they cannot disagree.
 *
 * Reading follows Python's csv module, which the playbooks use: a quote opens a quoted
 * field only at its start (`relax_quotes`), `""` inside one is a quote, and a record ends at
 * CRLF, LF or a lone CR outside quotes. Each record keeps its exact bytes and byte offsets
 * (from csv-parse's `info`), so a torn last record can be cut off at an exact offset and a
 * damaged one moved aside unchanged. Writing quotes every field holding a comma, quote, LF
 * or CR, and ends records with LF.
 */

/** One record as found in the bytes. */
export interface CsvRecord {
  /** 1-based physical line where the record starts. */
  line: number;
  /** Byte offset of the record's first byte. */
  start: number;
  /** Byte offset just past its line ending (or the end of the input). */
  end: number;
  /** The record's exact bytes, line ending included (a view, not a copy). */
  raw: Buffer;
  /** Field values; `['']` for a blank line. */
  fields: string[];
  /** True when the record ends with a line ending outside quotes. */
  terminated: boolean;
  /** True when the input ended inside a quoted field (a torn write). */
  openQuote: boolean;
  /** Shape problems: torn, unclosed quote, NUL bytes, bytes that are not UTF-8, blank line. */
  problems: string[];
}

const PARSE_OPTIONS: ParseOptions = {
  bom: true,
  relax_quotes: true,
  relax_column_count: true,
  record_delimiter: ['\r\n', '\n', '\r'],
  skip_empty_lines: false,
  info: true,
};

const LF = 0x0a;
const CR = 0x0d;

/** Problems every reader cares about, by their stable wording. */
export const CSV_PROBLEMS = {
  unterminated: 'the last record has no line ending (torn write)',
  openQuote: 'a quoted field is never closed (torn or truncated record)',
  nul: 'contains NUL bytes (garbage)',
  notUtf8: 'contains bytes that are not UTF-8 (garbage)',
  blank: 'blank line',
} as const;

/**
 * Split `bytes` into records, never throwing: a last record that csv-parse cannot finish (a
 * quote never closed) comes back with `openQuote` and its fields as far as they go. `limit`
 * stops after that many records (the header alone, for example). `fileStart: false` says the
 * bytes start mid-file (a chunk of a longer file), where a byte order mark is not one.
 */
export function decodeCsvRecords(bytes: Buffer, options: { limit?: number; fileStart?: boolean } = {}): CsvRecord[] {
  const records: CsvRecord[] = [];
  let end = 0;
  let line = 1;
  const fileStart = options.fileStart ?? true;
  const bomLength = fileStart && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  const push = (fields: string[], next: { end: number; openQuote: boolean }) => {
    const start = end;
    const raw = bytes.subarray(start, next.end);
    const last = raw[raw.length - 1];
    const openQuote = next.openQuote;
    const terminated = !openQuote && (last === LF || last === CR);
    const problems: string[] = [];
    if (!terminated) problems.push(CSV_PROBLEMS.unterminated);
    if (openQuote) problems.push(CSV_PROBLEMS.openQuote);
    if (raw.includes(0)) problems.push(CSV_PROBLEMS.nul);
    if (!isUtf8(raw)) problems.push(CSV_PROBLEMS.notUtf8);
    if (fields.length === 1 && fields[0] === '' && raw.length - (start === 0 ? bomLength : 0) <= 2 && terminated) problems.push(CSV_PROBLEMS.blank);
    records.push({ line, start, end: next.end, raw, fields, terminated, openQuote, problems });
    end = next.end;
    // Physical lines as an editor counts them (csv-parse counts a CRLF inside quotes twice).
    line += countLineBreaks(raw);
  };
  try {
    parse(bytes, {
      ...PARSE_OPTIONS,
      bom: fileStart,
      ...(options.limit !== undefined ? { to: options.limit } : {}),
      // With `info`, csv-parse hands each record over as `{ record, info }`.
      on_record: (entry: unknown) => {
        const { record, info } = entry as { record: string[]; info: { bytes: number } };
        push(record, { end: Math.min(info.bytes, bytes.length), openQuote: false });
        return null;
      },
    });
  } catch {
    // csv-parse stops at an unclosed quote at the end of the input (or another error it
    // cannot relax): the rest, from the last whole record, is one torn record.
    if (end < bytes.length) {
      const rest = bytes.subarray(end);
      push(fieldsAsFarAsTheyGo(rest), { end: bytes.length, openQuote: true });
    }
  }
  return records;
}

/** The fields of a torn record, read as if its open quote were closed. */
function fieldsAsFarAsTheyGo(rest: Buffer): string[] {
  try {
    const [record] = parse(Buffer.concat([rest, Buffer.from('"')]), { ...PARSE_OPTIONS, info: false, to: 1 }) as string[][];
    return record ?? [''];
  } catch {
    return [rest.toString('utf8')];
  }
}

/** LFs, and CRs not followed by an LF. */
function countLineBreaks(bytes: Buffer): number {
  let count = 0;
  for (let index = bytes.indexOf(LF); index !== -1; index = bytes.indexOf(LF, index + 1)) count += 1;
  for (let index = bytes.indexOf(CR); index !== -1; index = bytes.indexOf(CR, index + 1)) {
    if (bytes[index + 1] !== LF) count += 1;
  }
  return count;
}

/**
 * One record as CSV text: RFC 4180 quoting (a lone CR is quoted too), LF line ending. A
 * U+0000 in a field (a client's tag may hold one) is written as U+FFFD, as PostgreSQL mode
 * stores it: reading, `check` calls NUL bytes garbage, so a run written with one would be
 * reported damaged and quarantined. (Lone surrogates already become U+FFFD in UTF-8.)
 */
export function encodeCsvRecord(fields: readonly string[]): string {
  return encodeCsvRecords([fields]);
}

/** Several records as CSV text, each as `encodeCsvRecord` writes it. */
export function encodeCsvRecords(records: ReadonlyArray<readonly string[]>): string {
  const text = stringify(records as string[][], { record_delimiter: '\n', quoted_match: /\r/ });
  return text.includes('\u0000') ? text.replaceAll('\u0000', '\uFFFD') : text;
}
