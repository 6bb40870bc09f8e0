import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { RUN_COLUMNS, runToCsvFields } from '../domain/run.js';
import { checkRunsCsvBytes } from '../recovery/runs-csv-check.js';
import { CSV_PROBLEMS, decodeCsvRecords, encodeCsvRecord, encodeCsvRecords } from './csv-codec.js';
import { checkRunRow, parseRunRow } from './run-row.js';
import { RunsCsv } from './runs-csv.js';
import { sampleRun, temporaryDataDir } from './test-support.js';

/** Python's csv module over the same bytes: what the playbooks see. */
function pythonRecords(bytes: Buffer): string[][] {
  const result = spawnSync(
    'python3',
    ['-c', 'import csv,io,json,sys\nprint(json.dumps(list(csv.reader(io.TextIOWrapper(sys.stdin.buffer,encoding="utf-8",newline="")))))'],
    { input: bytes, encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(result.stderr);
  return JSON.parse(result.stdout) as string[][];
}

describe('the CSV codec', () => {
  it('splits records as Python csv does: CRLF, LF and a lone CR end records outside quotes, any of them is data inside', () => {
    const bytes = Buffer.from('h1,h2\r\na,"x\r\ny"\r\nb,"c\rd"\ne,f\rg,h\n"i""j",k\n');
    const records = decodeCsvRecords(bytes);
    expect(records.map((record) => record.fields)).toEqual(pythonRecords(bytes));
    expect(records.map((record) => record.line)).toEqual([1, 2, 4, 6, 7, 8]);
    expect(Buffer.concat(records.map((record) => record.raw)).equals(bytes)).toBe(true);
    expect(records.every((record) => record.problems.length === 0)).toBe(true);
  });

  it('a torn last record comes back whole-bytes with its problem, never a throw', () => {
    const bytes = Buffer.from('h1,h2\na,b\nc,"torn');
    const records = decodeCsvRecords(bytes);
    expect(records).toHaveLength(3);
    expect(records[2]).toMatchObject({ start: 10, end: bytes.length, terminated: false, openQuote: true, fields: ['c', 'torn'] });
    expect(records[2]!.problems).toEqual([CSV_PROBLEMS.unterminated, CSV_PROBLEMS.openQuote]);
    expect(decodeCsvRecords(Buffer.from('h1,h2\na,b'))[1]).toMatchObject({ terminated: false, openQuote: false, fields: ['a', 'b'] });
  });

  it('writes what it reads: any text round-trips, a lone CR is quoted', () => {
    const fields = ['plain', 'a, "quoted"', 'cr\ronly', 'lf\nonly', 'crlf\r\nboth', '', '=1+2', 'émoji 😀'];
    expect(encodeCsvRecord(['x\ry'])).toBe('"x\ry"\n');
    const bytes = Buffer.from(encodeCsvRecords([fields, fields]));
    expect(decodeCsvRecords(bytes).map((record) => record.fields)).toEqual([fields, fields]);
    expect(pythonRecords(bytes)).toEqual([fields, fields]);
  });

  it('writes a U+0000 in a field as U+FFFD, so the record is not read back as garbage', () => {
    const [record] = decodeCsvRecords(Buffer.from(encodeCsvRecord(['tag\u0000with a NUL', 'plain'])));
    expect(record?.fields).toEqual(['tag\uFFFDwith a NUL', 'plain']);
    expect(record?.problems).toEqual([]);
  });

  it('the store and check agree on a lone CR outside quotes (the two old scanners did not)', async () => {
    const { dataDir, cleanup } = await temporaryDataDir();
    try {
      const fields = runToCsvFields(sampleRun({ run_id: 'r1' }));
      const broken = [...fields];
      broken[RUN_COLUMNS.indexOf('run_notes')] = 'half\rhalf';
      // Written by some other tool without quoting the CR: Python reads two short records.
      const bytes = Buffer.from(encodeCsvRecord([...RUN_COLUMNS]) + broken.join(',') + '\n' + encodeCsvRecord(fields));
      const store = new RunsCsv({ dataDir });
      await store.init();
      await writeFile(store.path, bytes);
      const read = await store.read();
      const check = checkRunsCsvBytes(bytes);
      expect(read.rows).toHaveLength(1);
      expect(read.skipped).toBe(2);
      expect(check.damagedRows).toBe(read.skipped);
      expect(check.rowsChecked - check.damagedRows).toBe(read.rows.length);
      expect(pythonRecords(bytes)).toHaveLength(4);
    } finally {
      await cleanup();
    }
  });
});

describe('the runs.csv row schema (one for read, check and rebuild)', () => {
  const row = (overrides: Record<string, string>) => {
    const fields = runToCsvFields(sampleRun());
    return { ...Object.fromEntries(RUN_COLUMNS.map((column, index) => [column, fields[index]!])), ...overrides };
  };

  it('accepts legacy True/False in read and in check alike', () => {
    const legacy = row({ streaming: 'True', tool_web_enabled: 'False', aborted: 'True' });
    expect(checkRunRow(legacy)).toEqual([]);
    expect(parseRunRow(legacy)).toMatchObject({ streaming: true, tool_web_enabled: false, aborted: true });
  });

  it('what check calls damaged, read does not take at face value, and the other way round', () => {
    for (const [column, value] of [
      ['streaming', 'yes'],
      ['streaming', '1'],
      ['prompt_tokens', '1.5'],
      ['cost_usd', 'free'],
      ['web_status', 'maybe'],
    ] as const) {
      const damaged = row({ [column]: value });
      expect(checkRunRow(damaged).join()).toContain(column);
      expect(parseRunRow(damaged)[column]).not.toBe(value);
    }
    expect(parseRunRow(row({ streaming: 'yes' })).streaming).toBe(false);
    expect(parseRunRow(row({ cost_usd: '' })).cost_usd).toBeNull();
    expect(parseRunRow(row({ cost_usd: '0' })).cost_usd).toBe(0);
  });
});
