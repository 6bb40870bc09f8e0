import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCsvRecords } from '../store/csv-codec.js';
import { readCsvFileRows } from './csv-file-rows.js';

/** Everything the reader yields for `file`, batches joined. */
async function readAll(file: string, chunkBytes: number) {
  const found = { batches: 0, columns: [] as string[], rows: [] as Array<{ line: number; row: Record<string, string> }>, problems: [] as Array<{ line: number; message: string }> };
  for await (const batch of readCsvFileRows(file, { chunkBytes })) {
    found.batches += 1;
    found.columns = batch.columns;
    found.rows.push(...batch.rows);
    found.problems.push(...batch.problems);
  }
  return found;
}

/** What the same file decoded whole by the codec means as rows and problems. */
function expectedOf(bytes: Buffer) {
  const [header, ...body] = decodeCsvRecords(bytes);
  const columns = header?.fields ?? [];
  const rows: Array<{ line: number; row: Record<string, string> }> = [];
  const problems: Array<{ line: number; message: string }> = [];
  for (const record of body) {
    if (!record.terminated) problems.push({ line: record.line, message: 'torn record (no line ending): left out' });
    else if (record.fields.length !== columns.length) problems.push({ line: record.line, message: `${record.fields.length} fields where the header has ${columns.length}: left out` });
    else rows.push({ line: record.line, row: Object.fromEntries(columns.map((column, index) => [column, record.fields[index] ?? ''])) });
  }
  return { columns, rows, problems };
}

const csvish = fc
  .array(fc.oneof(fc.constantFrom(',', '"', '""', '\r', '\n', '\r\n', 'a', 'bc', ' ', 'é', '😀', '"x"', '\uFEFF', '"a\nb"'), fc.string({ maxLength: 3 })), { maxLength: 40 })
  .map((parts) => parts.join(''));

describe('readCsvFileRows', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'csv-file-rows-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('reads the rows and problems the whole-file decode finds, with their lines, however small the chunks', async () => {
    const file = path.join(dir, 'property.csv');
    await fc.assert(
      fc.asyncProperty(csvish, csvish, fc.integer({ min: 1, max: 24 }), fc.boolean(), async (header, body, chunkBytes, withBom) => {
        const bytes = Buffer.from(`${withBom ? '\uFEFF' : ''}${header}\n${body}`, 'utf8');
        await writeFile(file, bytes);
        const found = await readAll(file, chunkBytes);
        const { columns, rows, problems } = expectedOf(bytes);
        expect({ columns: found.columns, rows: found.rows, problems: found.problems }).toEqual({ columns, rows, problems });
      }),
      { numRuns: 500 },
    );
  });

  it('names torn and wrong-length records by line, keeps quoted line breaks, and yields one empty batch for a header-only file', async () => {
    const file = path.join(dir, 'runs.csv');
    await writeFile(file, 'a,b\r\n1,"two\nlines"\r\n3\n4,5\n6,"torn');
    const found = await readAll(file, 5);
    expect(found.rows).toEqual([
      { line: 2, row: { a: '1', b: 'two\nlines' } },
      { line: 5, row: { a: '4', b: '5' } },
    ]);
    expect(found.problems).toEqual([
      { line: 4, message: '1 fields where the header has 2: left out' },
      { line: 6, message: 'torn record (no line ending): left out' },
    ]);
    await writeFile(file, 'a,b\n');
    expect(await readAll(file, 3)).toMatchObject({ batches: 1, columns: ['a', 'b'], rows: [] });
    expect(await readAll(path.join(dir, 'missing.csv'), 3)).toMatchObject({ batches: 0 });
  });
});
