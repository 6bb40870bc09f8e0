import { readFile } from 'node:fs/promises';
import { decodeCsvRecords } from '../store/csv-codec.js';

/**
 * The rows of a data directory's CSV file (runs.csv, scores.csv) for tools that move whole
 * histories (`agent-lab import`): each complete record keyed by the file's header, with the
 * line it starts on. Records that are torn (no line ending) or have the wrong field count are
 * not rows: they are returned as problems naming their line, for the report.
 */

export interface CsvFileRows {
  /** False when the file does not exist. */
  exists: boolean;
  columns: string[];
  rows: Array<{ line: number; row: Record<string, string> }>;
  problems: Array<{ line: number; message: string }>;
}

export async function readCsvFileRows(file: string): Promise<CsvFileRows> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { exists: false, columns: [], rows: [], problems: [] };
    throw error;
  }
  const [header, ...body] = decodeCsvRecords(bytes);
  const columns = header?.fields ?? [];
  const rows: CsvFileRows['rows'] = [];
  const problems: CsvFileRows['problems'] = [];
  for (const record of body) {
    if (!record.terminated) problems.push({ line: record.line, message: 'torn record (no line ending): left out' });
    else if (record.fields.length !== columns.length) {
      problems.push({ line: record.line, message: `${record.fields.length} fields where the header has ${columns.length}: left out` });
    } else rows.push({ line: record.line, row: Object.fromEntries(columns.map((column, index) => [column, record.fields[index] ?? ''])) });
  }
  return { exists: true, columns, rows, problems };
}
