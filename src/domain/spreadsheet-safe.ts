/**
 * Spreadsheet formula injection (CSV injection): a cell whose text starts with `=`, `+`, `-`,
 * `@`, a tab or a CR is run as a formula by Excel, LibreOffice and Google Sheets. Downloads
 * neutralise such text with a leading `'` (OWASP's advice); numbers stay numbers.
 */

const FORMULA_START = /^[=+\-@\t\r]/;

/** `text`, or `'text` when a spreadsheet would read it as a formula. */
export function neutraliseFormula(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}
