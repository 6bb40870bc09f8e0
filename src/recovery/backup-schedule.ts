import { mkdir } from 'node:fs/promises';
import type { LabConfig } from '../config/config.js';
import type { Logger } from '../ops/logger.js';
import type { Database } from '../store/postgres/index.js';
import { createBackup, listBackups, pruneBackups } from './backup.js';
import { createDatabaseBackup } from './database-backup.js';
import { isRecoveryError } from './recovery-error.js';

/**
 * The server's scheduled backup: every BACKUP_INTERVAL_HOURS a snapshot to BACKUP_DIR,
 * then pruning to BACKUP_RETENTION_DAYS. The first one is due an interval after the newest
 * snapshot already there (or a minute after start when there is none). Never throws into
 * the server: failures are logged at ERROR and the next run is still scheduled. In PostgreSQL
 * mode (`database` given) each snapshot is a pg_dump of the database instead of DATA_DIR's files.
 */

export interface BackupSchedule {
  stop(): void;
  /** Run one backup now (and prune); resolves when done. For tests and an admin trigger. */
  runNow(): Promise<void>;
}

const HOUR_MS = 3_600_000;

export function startBackupSchedule(options: {
  config: Pick<LabConfig, 'dataDir' | 'backupDir' | 'backupIntervalHours' | 'backupRetentionDays'>;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** PostgreSQL mode: back up this database (DATABASE_URL and its open handle) with pg_dump. */
  database?: { url: string; db: Database };
  /** Delay before the first backup when BACKUP_DIR has none yet (default one minute). */
  firstDelayMs?: number;
}): BackupSchedule {
  const { config, logger } = options;
  const intervalMs = config.backupIntervalHours * HOUR_MS;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let running: Promise<void> | undefined;

  const runOnce = async (): Promise<void> => {
    try {
      if (options.database) {
        const result = await createDatabaseBackup({ databaseUrl: options.database.url, db: options.database.db, backupDir: config.backupDir });
        logger.info({ snapshot: result.name, rows: result.rows, bytes: result.bytes, duration_ms: result.durationMs }, 'scheduled database backup written');
      } else {
        const result = await createBackup({ dataDir: config.dataDir, backupDir: config.backupDir });
        logger.info(
          { snapshot: result.name, files: result.files, linked: result.linked, bytes: result.bytes, duration_ms: result.durationMs },
          'scheduled backup written',
        );
      }
      const removed = await pruneBackups({ backupDir: config.backupDir, retentionDays: config.backupRetentionDays });
      if (removed.length > 0) logger.info({ removed, retention_days: config.backupRetentionDays }, 'old backups pruned');
    } catch (error) {
      const message = isRecoveryError(error) ? error.line() : (error as Error).message;
      logger.error({ error: message, backup_dir: config.backupDir }, 'scheduled backup failed');
    }
  };

  const runNow = (): Promise<void> => {
    running ??= runOnce().finally(() => {
      running = undefined;
    });
    return running;
  };

  const schedule = (delayMs: number) => {
    if (stopped) return;
    timer = setTimeout(() => {
      void runNow().then(() => schedule(intervalMs));
    }, Math.max(0, Math.min(delayMs, 2_147_483_647)));
    timer.unref();
  };

  // The folder is the configured one, so creating it here is intended (the CLI refuses a
  // missing BACKUP_DIR instead, since there it may be a typo).
  void mkdir(config.backupDir, { recursive: true })
    .then(() => listBackups(config.backupDir))
    .then((snapshots) => {
      if (intervalMs <= 0) return;
      const newest = snapshots[snapshots.length - 1];
      const firstDelay = options.firstDelayMs ?? 60_000;
      schedule(newest ? Math.max(firstDelay, newest.date.getTime() + intervalMs - Date.now()) : firstDelay);
    })
    .catch((error: unknown) => {
      logger.error({ error: (error as Error).message, backup_dir: config.backupDir }, 'backup directory unusable; scheduled backups are off');
    });

  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
    runNow,
  };
}
