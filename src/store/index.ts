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
export { AppendOnlyCsv } from './append-only-csv.js';
export type { AppendOnlyCsvOptions, CsvFileContent, OpenFile } from './append-only-csv.js';
export { CSV_PROBLEMS, decodeCsvRecords, encodeCsvRecord, encodeCsvRecords } from './csv-codec.js';
export type { CsvRecord } from './csv-codec.js';
export { DATA_LOCK_NAME, dataLockPath, isProcessAlive, withDataLock } from './data-lock.js';
export { checkRunRow, parseCsvBoolean, parseRunRow, PYTHON_FIELD_LIMIT, runRowSchema } from './run-row.js';
export type { RunRow } from './run-row.js';
export { RunsCsv, fileTimestamp } from './runs-csv.js';
export type { RunIndexEvent, RunsCsvContent, RunsCsvInitResult } from './runs-csv.js';
export { INDEX_SNAPSHOT_NAME, indexSnapshotPath } from './index-snapshot.js';
export { SessionStore } from './session-store.js';
export type {
  AppendTurnOptions,
  DamagedSessionEntry,
  SessionInput,
  SessionListEntry,
  SessionSummary,
} from './session-store.js';
export { ScoresCsv, isScoresHeader, parseScoresCsv } from './scores-csv.js';
export type { ScoresCsvContent, ScoresCsvInitResult } from './scores-csv.js';
export { REVOKED_SESSIONS_FILE, RevokedSessionsFile, revokedSessionSchema, revokedSessionsFileSchema } from './revoked-sessions-file.js';
export type { RevokedSession } from './revoked-sessions-file.js';
