import { SCORE_COLUMNS, checkScoreRow } from '../domain/score.js';
import { decodeCsvRecords } from '../store/index.js';
import { checkCsvRecord, type CsvProblem, type RunsCsvCheck } from './runs-csv-check.js';

/**
 * Validation of scores.csv: the exact header (docs/data-files.md), every record's field
 * count, and each row against the score row rules (`kind` one of the four, `value` empty or
 * 0..1, `pass` empty or true/false). Same report shape as runs.csv's, so quarantine and
 * restore treat both alike.
 */

/** Check the bytes of a scores.csv file. */
export function checkScoresCsvBytes(bytes: Buffer): RunsCsvCheck {
  const all = decodeCsvRecords(bytes);
  const header = all[0];
  const problems: CsvProblem[] = [];
  const warnings: string[] = [];
  let columns: string[] = [...SCORE_COLUMNS];
  let headerOk = false;
  if (!header) {
    problems.push({ line: 1, record: 0, message: 'the file is empty: no header' });
  } else {
    const fields = header.fields.map((field, index) => (index === 0 ? field.replace(/^\uFEFF/, '') : field));
    if (header.problems.length === 0 && SCORE_COLUMNS.every((column, index) => fields[index] === column)) {
      headerOk = true;
      columns = fields;
      if (fields.length > SCORE_COLUMNS.length) warnings.push(`scores.csv header has extra columns after the lab's: ${fields.slice(SCORE_COLUMNS.length).join(', ')}`);
    } else {
      const reason = header.problems.length > 0 ? header.problems.join('; ') : `it is not ${SCORE_COLUMNS.join(',')}`;
      problems.push({ line: 1, record: 0, message: `damaged header: ${reason}` });
    }
  }
  const records: RunsCsvCheck['records'] = [];
  let damagedRows = 0;
  for (let index = 1; index < all.length; index += 1) {
    const record = all[index]!;
    const recordProblems = checkCsvRecord({ record, columns, checkRow: checkScoreRow });
    records.push({ record, problems: recordProblems });
    if (recordProblems.length > 0) {
      damagedRows += 1;
      problems.push({ line: record.line, record: index, message: recordProblems.join('; ') });
    }
  }
  return { columns, headerOk, legacyHeader: false, header, records, rowsChecked: records.length, damagedRows, problems, warnings };
}
