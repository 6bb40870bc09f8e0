import { LAB_COLUMNS, RUN_COLUMNS, SEED_COLUMNS } from '../domain/run.js';
import { checkRunRow, CSV_PROBLEMS, decodeCsvRecords, type CsvRecord } from '../store/index.js';

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

function sameColumns(actual: readonly string[], expected: readonly string[]): boolean {
  return actual.length === expected.length && expected.every((column, index) => actual[index] === column);
}

/** The problems of one runs.csv record against the columns (empty list: the record is good). */
export function checkRunRecord(record: CsvRecord, columns: readonly string[]): string[] {
  return checkCsvRecord({ record, columns, checkRow: checkRunRow });
}

/**
 * The problems of one record of any of the lab's CSV files: its shape (from the CSV codec),
 * its field count, then the row against the file's row schema (`checkRow`).
 */
export function checkCsvRecord(options: { record: CsvRecord; columns: readonly string[]; checkRow: (row: Record<string, string>) => string[] }): string[] {
  const { record, columns } = options;
  const problems = [...record.problems];
  if (record.problems.includes(CSV_PROBLEMS.blank)) return problems;
  if (record.fields.length !== columns.length) {
    problems.push(`has ${record.fields.length} fields, the header has ${columns.length}`);
    return problems;
  }
  const row: Record<string, string> = {};
  columns.forEach((column, index) => {
    row[column] = record.fields[index] ?? '';
  });
  problems.push(...options.checkRow(row));
  return problems;
}

/** Check the bytes of a runs.csv file. */
export function checkRunsCsvBytes(bytes: Buffer): RunsCsvCheck {
  const all = decodeCsvRecords(bytes);
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
