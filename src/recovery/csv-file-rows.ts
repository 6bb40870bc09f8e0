import { open, type FileHandle } from 'node:fs/promises';
import { decodeCsvRecords, type CsvRecord } from '../store/csv-codec.js';

/**
 * The rows of a data directory's CSV file (runs.csv, scores.csv) for tools that move whole
 * histories (`agent-lab import`, `agent-lab export`), read a chunk at a time so a
 * million-row file never sits in memory decoded. Each complete record is keyed by the file's
 * header, with the line it starts on. Records that are torn (no line ending) or have the
 * wrong field count are not rows: they are problems naming their line, for the report.
 *
 * Chunks are split by the codec itself: every record of a chunk but the last is complete
 * (csv-parse reads left to right), and the last one, which the chunk's end may have cut
 * (mid-field, inside quotes, or between the CR and LF of a CRLF), is carried into the next
 * chunk and read again there.
 */

/** Bytes read from the file per chunk. */
const CHUNK_BYTES = 4 * 1024 * 1024;

export interface CsvRowBatch {
  /** The file's header (`[]` for an empty file). */
  columns: string[];
  rows: Array<{ line: number; row: Record<string, string> }>;
  problems: Array<{ line: number; message: string }>;
  /** Bytes of the file read so far, and its size when opened: for progress. */
  bytesRead: number;
  size: number;
}

/**
 * The file's rows in file order, a batch per chunk read. Yields nothing when the file does not
 * exist, and at least one batch (perhaps with no rows) when it does. Stopping early (`break`)
 * closes the file.
 */
export async function* readCsvFileRows(file: string, options: { chunkBytes?: number } = {}): AsyncGenerator<CsvRowBatch> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  try {
    const { size } = await handle.stat();
    const chunk = Buffer.alloc(options.chunkBytes ?? CHUNK_BYTES);
    let carried = Buffer.alloc(0);
    let linesBefore = 0;
    let bytesRead = 0;
    let columns: string[] | undefined;
    let yielded = false;
    let fileStart = true;
    for (;;) {
      const read = await handle.read(chunk, 0, chunk.length, null);
      bytesRead += read.bytesRead;
      const final = read.bytesRead === 0;
      const bytes = final ? carried : Buffer.concat([carried, chunk.subarray(0, read.bytesRead)]);
      const records: CsvRecord[] = bytes.length === 0 ? [] : decodeCsvRecords(bytes, { fileStart });
      const held = final ? undefined : records.pop();
      const batch: CsvRowBatch = { columns: [], rows: [], problems: [], bytesRead, size };
      for (const record of records) {
        const line = linesBefore + record.line;
        if (columns === undefined) columns = record.fields;
        else addRecord({ batch, record, line, columns });
      }
      batch.columns = columns ?? [];
      if (!final) {
        // The held record's bytes (all of them when there is none yet, as for a lone byte
        // order mark), copied: `chunk` is read into again.
        const from = held?.start ?? 0;
        carried = Buffer.from(bytes.subarray(from));
        linesBefore += (held?.line ?? 1) - 1;
        fileStart &&= from === 0;
      }
      if (batch.rows.length > 0 || batch.problems.length > 0 || (final && !yielded)) {
        yielded = true;
        yield batch;
      }
      if (final) return;
    }
  } finally {
    await handle.close();
  }
}

function addRecord(options: { batch: CsvRowBatch; record: CsvRecord; line: number; columns: string[] }): void {
  const { batch, record, line, columns } = options;
  if (!record.terminated) batch.problems.push({ line, message: 'torn record (no line ending): left out' });
  else if (record.fields.length !== columns.length) {
    batch.problems.push({ line, message: `${record.fields.length} fields where the header has ${columns.length}: left out` });
  } else batch.rows.push({ line, row: Object.fromEntries(columns.map((column, index) => [column, record.fields[index] ?? ''])) });
}
