/**
 * The errors of a batch, each with a stable code: bad input (exit 2, nothing was run) and a
 * batch that had to stop (the lab refused to go on: auth, read-only, unreachable).
 */
export type BatchErrorCode =
  | 'batch:prompt_file_missing'
  | 'batch:prompt_file_empty'
  | 'batch:bad_line'
  | 'batch:no_prompt_column'
  | 'batch:bad_agents'
  | 'batch:lab_unreachable'
  | 'batch:lab_refused';

/** One failure of a batch, saying what was being done. */
export class BatchError extends Error {
  override readonly name = 'BatchError';
  readonly code: BatchErrorCode;

  constructor(code: BatchErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.code = code;
  }

  /** Bad input the user can fix (exit code 2); the others stopped a started batch. */
  get isInputError(): boolean {
    return this.code !== 'batch:lab_unreachable' && this.code !== 'batch:lab_refused';
  }
}
