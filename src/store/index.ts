/**
 * Crash-safe storage under DATA_DIR: runs.csv, session files, agents, and the data lock
 * the server and the CLI share. See docs/data-files.md.
 */
export { AgentStore } from './agent-store.js';
export type { AgentFileStatus } from './agent-store.js';
export {
  DamagedFileError,
  fsyncDirectory,
  readJsonFile,
  removeStaleTemporaryFiles,
  writeFileAtomic,
  writeJsonAtomic,
} from './atomic-file.js';
export { scanCsvRecords } from './csv-records.js';
export type { CsvRecordSpan } from './csv-records.js';
export { DATA_LOCK_NAME, dataLockPath, isProcessAlive, withDataLock } from './data-lock.js';
export { parseCsvBoolean, parseRunRow } from './run-row.js';
export type { RunRow } from './run-row.js';
export { RunsCsv, fileTimestamp } from './runs-csv.js';
export type { RunsCsvContent, RunsCsvInitResult } from './runs-csv.js';
export { SessionStore } from './session-store.js';
export type {
  AppendTurnOptions,
  DamagedSessionEntry,
  SessionInput,
  SessionListEntry,
  SessionSummary,
} from './session-store.js';
