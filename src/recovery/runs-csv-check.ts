import { LAB_COLUMNS, RUN_COLUMNS, SEED_COLUMNS } from '../domain/run.js';
import { splitCsvRecords, type CsvRecord } from './csv-records.js';

/**
 * Validation of runs.csv as the playbooks read it: the header (its first 16 columns are the
 * seed's), every record's field count, and the type of each column's values.
 */

/** One damaged record (or header) of runs.csv. */
export interface CsvProblem {
  /** 1-based line where the record starts. */
  line: number;
  /** 1-based record number after the header (0 for the header itself). */
  record: number;
  message: string;
}

export interface RunsCsvCheck {
  /** Columns the records are checked against (the file's header, or RUN_COLUMNS when it is damaged). */
  columns: string[];
  headerOk: boolean;
  /** A legacy header (the seed's 15 or 16 columns) the server migrates at start-up. */
  legacyHeader: boolean;
  header: CsvRecord | undefined;
  /** Records after the header: good ones and damaged ones, in file order. */
  records: Array<{ record: CsvRecord; problems: string[] }>;
  rowsChecked: number;
  damagedRows: number;
  problems: CsvProblem[];
  warnings: string[];
}

const BOOLEAN_VALUES = new Set(['true', 'false', 'True', 'False']);
const NUMBER_PATTERN = /^-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const ISO_PATTERN = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;
/** Python's csv module refuses fields longer than this by default. */
export const PYTHON_FIELD_LIMIT = 131_072;

/** What a column's value must be: undefined when fine, else why not. */
export type ColumnRule = (value: string) => string | undefined;

export const integerRule: ColumnRule = (value) =>
  /^\d+$/.test(value) ? undefined : `"${preview(value)}" is not a whole number of tokens`;
export const numberRule =
  (options: { optional: boolean }): ColumnRule =>
  (value) => {
    if (value === '') return options.optional ? undefined : 'is empty, a number is required';
    return NUMBER_PATTERN.test(value) && Number.isFinite(Number(value)) ? undefined : `"${preview(value)}" is not a number`;
  };
export const booleanRule =
  (options: { optional: boolean }): ColumnRule =>
  (value) => {
    if (value === '' && options.optional) return undefined;
    return BOOLEAN_VALUES.has(value) ? undefined : `"${preview(value)}" is not true/false`;
  };
export const enumRule =
  (allowed: readonly string[]): ColumnRule =>
  (value) =>
    allowed.includes(value) ? undefined : `"${preview(value)}" is not one of ${allowed.join('|')}`;
export const timestampRule: ColumnRule = (value) =>
  ISO_PATTERN.test(value) && !Number.isNaN(Date.parse(value.replace(' ', 'T')))
    ? undefined
    : `"${preview(value)}" is not an ISO 8601 timestamp`;

/** What each known column must hold. Columns not listed hold free text. */
const COLUMN_RULES: Partial<Record<string, ColumnRule>> = {
  ts: timestampRule,
  prompt_tokens: integerRule,
  completion_tokens: integerRule,
  total_tokens: integerRule,
  latency_ms: numberRule({ optional: false }),
  cost_usd: numberRule({ optional: true }),
  streaming: booleanRule({ optional: false }),
  model_list_source: enumRule(['dynamic', 'fallback', 'local']),
  tool_web_enabled: booleanRule({ optional: false }),
  web_status: enumRule(['off', 'ok', 'blocked']),
  // Rows migrated from a 15-column legacy file may carry an empty `aborted`.
  aborted: booleanRule({ optional: true }),
  ttft_ms: numberRule({ optional: true }),
  tokens_per_s: numberRule({ optional: true }),
};

function preview(value: string): string {
  const flat = value.replace(/[\r\n]+/g, ' ');
  return flat.length > 40 ? `${flat.slice(0, 40)}…` : flat;
}

function sameColumns(actual: readonly string[], expected: readonly string[]): boolean {
  return actual.length === expected.length && expected.every((column, index) => actual[index] === column);
}

/** Check the problems of one runs.csv record against the columns (empty list: the record is good). */
export function checkRunRecord(record: CsvRecord, columns: readonly string[]): string[] {
  return checkCsvRecord({ record, columns, rules: COLUMN_RULES });
}

/** Check one record of any of the lab's CSV files: field count, CSV reader limits, each column's rule. */
export function checkCsvRecord(options: { record: CsvRecord; columns: readonly string[]; rules: Partial<Record<string, ColumnRule>> }): string[] {
  const { record, columns, rules } = options;
  const problems = [...record.problems];
  if (record.fields.length === 0) return problems;
  if (record.fields.length !== columns.length) {
    problems.push(`has ${record.fields.length} fields, the header has ${columns.length}`);
    return problems;
  }
  for (let index = 0; index < columns.length; index += 1) {
    const column = columns[index]!;
    const value = record.fields[index]!;
    if (value.length > PYTHON_FIELD_LIMIT) {
      problems.push(`${column} is ${value.length} characters, over the ${PYTHON_FIELD_LIMIT} that CSV readers accept`);
      continue;
    }
    const rule = rules[column];
    const problem = rule?.(value);
    if (problem) problems.push(`${column} ${problem}`);
  }
  return problems;
}

/** Check the bytes of a runs.csv file. */
export function checkRunsCsvBytes(bytes: Buffer): RunsCsvCheck {
  const all = splitCsvRecords(bytes);
  const header = all[0];
  const problems: CsvProblem[] = [];
  const warnings: string[] = [];
  let columns: string[] = [...RUN_COLUMNS];
  let headerOk = false;
  let legacyHeader = false;
  if (!header) {
    problems.push({ line: 1, record: 0, message: 'the file is empty: no header' });
  } else {
    const fields = header.fields.map((field, index) => (index === 0 ? field.replace(/^\uFEFF/, '') : field));
    const seedWithoutAborted = SEED_COLUMNS.filter((column) => column !== 'aborted');
    if (sameColumns(fields.slice(0, SEED_COLUMNS.length), SEED_COLUMNS) && header.problems.length === 0) {
      headerOk = true;
      columns = fields;
      if (sameColumns(fields, SEED_COLUMNS)) {
        legacyHeader = true;
        warnings.push('runs.csv has the legacy 16-column header; the server migrates it at start-up');
      } else if (!sameColumns(fields, RUN_COLUMNS)) {
        const missing = LAB_COLUMNS.filter((column) => !fields.includes(column));
        warnings.push(
          missing.length > 0
            ? `runs.csv header lacks the lab's columns ${missing.join(', ')}`
            : `runs.csv header has extra columns after the lab's: ${fields.slice(RUN_COLUMNS.length).join(', ')}`,
        );
      }
    } else if (sameColumns(fields, seedWithoutAborted) && header.problems.length === 0) {
      headerOk = true;
      legacyHeader = true;
      columns = fields;
      warnings.push('runs.csv has the legacy 15-column header; the server migrates it at start-up');
    } else {
      const reason =
        header.problems.length > 0
          ? header.problems.join('; ')
          : `its first ${SEED_COLUMNS.length} columns are not ${SEED_COLUMNS.join(',')}`;
      problems.push({ line: 1, record: 0, message: `damaged header: ${reason}` });
    }
  }
  const records: RunsCsvCheck['records'] = [];
  let damagedRows = 0;
  for (let index = 1; index < all.length; index += 1) {
    const record = all[index]!;
    const recordProblems = checkRunRecord(record, columns);
    records.push({ record, problems: recordProblems });
    if (recordProblems.length > 0) {
      damagedRows += 1;
      problems.push({ line: record.line, record: index, message: recordProblems.join('; ') });
    }
  }
  return { columns, headerOk, legacyHeader, header, records, rowsChecked: records.length, damagedRows, problems, warnings };
}
