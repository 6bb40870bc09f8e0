import { stringify } from 'csv-stringify/sync';
import { describe, expect, it } from 'vitest';
import { RUN_COLUMNS, SEED_COLUMNS, runToCsvFields } from '../domain/run.js';
import { decodeCsvRecords } from '../store/index.js';
import { checkRunsCsvBytes } from './runs-csv-check.js';
import { checkSessionBytes } from './session-check.js';
import { makeRun } from './test-support.js';

const header = stringify([[...RUN_COLUMNS]]);
const row = (index: number) => stringify([runToCsvFields(makeRun({ index, sessionId: 's' }))]);

describe('decodeCsvRecords', () => {
  it('keeps quoted new lines inside one record and reports where each record starts', () => {
    const bytes = Buffer.from(header + row(0) + row(1) + row(3));
    const records = decodeCsvRecords(bytes);
    expect(records.map((record) => record.fields.length)).toEqual([24, 24, 24, 24]);
    // Row 0 has a two-line note, so row 1 starts on line 4.
    expect(records.map((record) => record.line)).toEqual([1, 2, 4, 5]);
    expect(Buffer.concat(records.map((record) => record.raw)).equals(bytes)).toBe(true);
    expect(records[1]!.fields[10]).toBe('line one\nline two, with "quotes" — ünïcode');
  });
});

describe('checkRunsCsvBytes', () => {
  it('accepts the lab\'s own rows and a legacy header with True/False', () => {
    expect(checkRunsCsvBytes(Buffer.from(header + row(0) + row(1) + row(2))).problems).toEqual([]);
    const legacy = `${SEED_COLUMNS.join(',')}\n2025-10-01T02:31:41.664704,bot,gpt-3.5-turbo,1,2,3,100,0.001,,,,True,fallback,False,off,False\n`;
    const result = checkRunsCsvBytes(Buffer.from(legacy));
    expect(result.problems).toEqual([]);
    expect(result.legacyHeader).toBe(true);
  });

  it('finds too many fields, too few fields and a torn last line, each with its line', () => {
    const good = row(1);
    const tooMany = good.replace(/\n$/, ',extra\n');
    const tooFew = good.replace(/,\n$/, '\n');
    const torn = '2026-01-01T00:00:09.000Z,Agent,local/tiny,1,2';
    const result = checkRunsCsvBytes(Buffer.from(header + good + tooMany + tooFew + torn));
    expect(result.problems.map((problem) => [problem.line, problem.record])).toEqual([
      [3, 2],
      [4, 3],
      [5, 4],
    ]);
    expect(result.problems[0]!.message).toContain('has 25 fields, the header has 24');
    expect(result.problems[1]!.message).toContain('has 23 fields');
    expect(result.problems[2]!.message).toContain('no line ending');
  });

  it('checks the type of each column', () => {
    const fields = runToCsvFields(makeRun({ index: 1, sessionId: 's' }));
    const bad = (column: string, value: string) => {
      const copy = [...fields];
      copy[RUN_COLUMNS.indexOf(column as (typeof RUN_COLUMNS)[number])] = value;
      return checkRunsCsvBytes(Buffer.from(header + stringify([copy]))).problems[0]?.message;
    };
    expect(bad('ts', 'yesterday')).toContain('ts "yesterday" is not an ISO 8601 timestamp');
    expect(bad('prompt_tokens', '1.5')).toContain('prompt_tokens');
    expect(bad('streaming', 'yes')).toContain('streaming "yes" is not true/false');
    expect(bad('web_status', 'maybe')).toContain('web_status');
    expect(bad('model_list_source', 'static')).toContain('model_list_source');
    expect(bad('cost_usd', 'free')).toContain('cost_usd');
    expect(bad('cost_usd', '')).toBeUndefined();
    expect(bad('streaming', 'True')).toBeUndefined();
  });

  it('flags garbage bytes, an unclosed quote and a damaged header', () => {
    const garbage = Buffer.concat([Buffer.from(header), Buffer.from([0xff, 0x00, 0xfe]), Buffer.from(row(1))]);
    expect(checkRunsCsvBytes(garbage).problems[0]!.message).toMatch(/NUL bytes|not UTF-8/);
    const unclosed = checkRunsCsvBytes(Buffer.from(`${header}2026-01-01T00:00:00Z,"unclosed`));
    expect(unclosed.problems[0]!.message).toContain('never closed');
    const damagedHeader = checkRunsCsvBytes(Buffer.from(`ts,agent,model\n${row(1)}`));
    expect(damagedHeader.headerOk).toBe(false);
    expect(damagedHeader.problems[0]).toMatchObject({ line: 1, record: 0 });
  });
});

describe('checkSessionBytes', () => {
  it('accepts a lab session and a legacy Python session', () => {
    expect(checkSessionBytes(Buffer.from(JSON.stringify({ id: 'x', transcript: [], runs: [] })))).toBeUndefined();
    const legacy = { created_at: '2025-10-01 02:31:41.664704+00:00', notes: 'old', transcript: [{ role: 'user', content: 'hi' }] };
    expect(checkSessionBytes(Buffer.from(JSON.stringify(legacy)))).toBeUndefined();
  });

  it('names truncated JSON, garbage bytes and a wrong schema, with the line', () => {
    const text = JSON.stringify({ id: 'x', transcript: [{ role: 'user', content: 'hi' }] }, null, 2);
    expect(checkSessionBytes(Buffer.from(text.slice(0, 30)))).toMatchObject({ kind: 'json', line: text.slice(0, 30).split('\n').length });
    expect(checkSessionBytes(Buffer.from(text.slice(0, 30)))!.message).toContain('truncated JSON');
    const garbage = Buffer.concat([Buffer.from('{\n"a": "'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    expect(checkSessionBytes(garbage)).toMatchObject({ kind: 'encoding', line: 2 });
    expect(checkSessionBytes(Buffer.from('{"transcript": "nope"}'))).toMatchObject({ kind: 'schema' });
    expect(checkSessionBytes(Buffer.from('[1, 2]'))).toMatchObject({ kind: 'schema' });
    expect(checkSessionBytes(Buffer.alloc(0))).toMatchObject({ kind: 'empty' });
  });
});
