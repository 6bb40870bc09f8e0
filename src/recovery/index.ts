/**
 * The data recovery tools as a library: check, quarantine, backup (and its schedule and
 * retention), restore, rebuild-csv and the evidence snapshot. The CLI commands in
 * `src/cli/commands/` and the server's scheduled backup call these.
 */
export { checkData, checkSessions, listSessionFiles } from './check.js';
export type { CheckProblem, CheckReport } from './check.js';
export { checkRunsCsvBytes, checkRunRecord } from './runs-csv-check.js';
export type { CsvProblem, RunsCsvCheck } from './runs-csv-check.js';
export { checkSessionBytes } from './session-check.js';
export type { SessionProblem, SessionProblemKind } from './session-check.js';
export { quarantineData, DAMAGED_RECORDS_FILE, ORIGINAL_RUNS_CSV_FILE, QUARANTINE_MANIFEST } from './quarantine.js';
export type { QuarantineResult, QuarantinedRecord, QuarantinedSession } from './quarantine.js';
export {
  BACKUP_MANIFEST,
  assertBackupDir,
  createBackup,
  listBackups,
  pruneBackups,
  readBackupManifest,
  verifyBackup,
} from './backup.js';
export type { BackupFileEntry, BackupManifest, BackupResult, SnapshotInfo, VerifyResult } from './backup.js';
export { startBackupSchedule } from './backup-schedule.js';
export type { BackupSchedule } from './backup-schedule.js';
export { restoreData, parseRestoreType, chooseSnapshot, RESTORE_TYPES } from './restore.js';
export type { RestoreAction, RestoreResult, RestoreType } from './restore.js';
export { rebuildRunsCsv } from './rebuild-csv.js';
export type { RebuildResult } from './rebuild-csv.js';
export { createEvidenceSnapshot } from './evidence.js';
export type { EvidenceResult } from './evidence.js';
export { EXIT_CODES, RecoveryError, isRecoveryError } from './recovery-error.js';
export type { RecoveryErrorCode } from './recovery-error.js';
export { formatStamp, parseDateArgument, parseTimeArgument } from './timestamp.js';
export type { ProgressCallback } from './progress.js';
