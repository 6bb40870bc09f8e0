import type { Command } from 'commander';
import { displayPath, EXIT_CODES_HELP, runRecoveryCommand, withDatabase, withUsageExit, type CommandContext } from '../../recovery/cli-support.js';
import { EXIT_CODES } from '../../recovery/recovery-error.js';
import { restoreData } from '../../recovery/restore.js';
import { restoreDatabase } from '../../recovery/database-backup.js';

/** `agent-lab restore --type T --date YYYYMMDD`: bring files back from a verified snapshot. */
export function register(program: Command, context: CommandContext): void {
  const command = program
    .command('restore')
    .description(
      'restore from the newest snapshot of a UTC day (or the one at --time): verifies every checksum first, copies what it ' +
        'replaces to DATA_DIR/quarantined/pre-restore-<timestamp>/, restores missing and damaged files (all with --overwrite). ' +
        'With DATABASE_URL: replaces the tables --type names with the dump\'s rows in one transaction, the old rows saved first',
    )
    .requiredOption('--type <type>', 'what to restore: sessions | telemetry (runs.csv) | scores (scores.csv) | agents | all (these and the logouts)')
    .requiredOption('--date <YYYYMMDD>', 'UTC day of the snapshot, e.g. $(date -u +%Y%m%d)')
    .option('--time <HHMMSS>', 'the snapshot of that day at this UTC time (default: the newest of the day)')
    .option('--dry-run', 'only report what would be restored')
    .option('--overwrite', 'also replace valid files that differ from the snapshot')
    .option('--json', 'print the result as JSON, for scripts')
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (options: { type: string; date: string; time?: string; dryRun?: boolean; overwrite?: boolean; json?: boolean }) => {
      await runRecoveryCommand({
        context,
        json: Boolean(options.json),
        body: async ({ config, onProgress }) => {
          const { databaseUrl } = config;
          // What both engines restore: which snapshot, which data, and whether only to report.
          const choice = {
            dataDir: config.dataDir,
            backupDir: config.backupDir,
            type: options.type,
            date: options.date,
            ...(options.time === undefined ? {} : { time: options.time }),
            dryRun: Boolean(options.dryRun),
          };
          if (databaseUrl !== undefined) {
            const result = await withDatabase({
              databaseUrl,
              migrate: false,
              body: (db) =>
                restoreDatabase({
                  databaseUrl,
                  db,
                  ...choice,
                }),
            });
            const lines = [
              `Snapshot ${displayPath(result.snapshotDirectory)}: checksum verified`,
              `${result.dryRun ? 'Would replace' : 'Replaced'} ${result.tables
                .filter((table) => !('merged' in table))
                .map((table) => `${table.table} (${table.rows_before} rows → ${table.rows_after})`)
                .join(', ')}${result.dryRun ? ' (dry run: nothing changed)' : ''}`,
            ];
            for (const table of result.tables) {
              if (!('merged' in table)) continue;
              const after = table.rows_after === undefined ? '' : ` → ${table.rows_after}`;
              lines.push(
                `${result.dryRun ? 'Would merge' : 'Merged'} the snapshot's ${table.snapshot_rows ?? 'unknown number of'} logouts into ${table.table} ` +
                  `(${table.rows_before} rows${after}; logouts made since are kept, expired ones dropped)`,
              );
            }
            if (result.preRestoreFile) lines.push(`The replaced rows were saved to ${displayPath(result.preRestoreFile)} (pg_restore reads it)`);
            return { exitCode: EXIT_CODES.ok, text: lines.join('\n'), json: result };
          }
          const result = await restoreData({
            ...choice,
            overwrite: Boolean(options.overwrite),
            onProgress,
          });
          const would = result.dryRun ? 'would be ' : '';
          const lines = [
            `Snapshot ${displayPath(result.snapshotDirectory)}: ${result.verifiedFiles} files, checksums verified`,
            `Restoring ${result.types.join(', ')}${result.dryRun ? ' (dry run: nothing changed)' : ''}`,
          ];
          for (const file of result.files) {
            if (file.action === 'unchanged' || file.action === 'kept') continue;
            lines.push(`  ${file.action.padEnd(15)} ${file.file}${file.reason ? ` (${file.reason})` : ''}`);
          }
          const { counts } = result;
          lines.push(
            `${counts['restore-missing']} missing ${would}restored, ${counts['restore-damaged']} damaged ${would}restored, ` +
              `${counts.overwrite} ${would}overwritten, ${counts.unchanged} unchanged, ${counts.kept} kept (valid and different; --overwrite replaces them)` +
              (counts['snapshot-damaged'] > 0 ? `, ${counts['snapshot-damaged']} not restored (damaged in the snapshot too)` : '') +
              (counts.merged > 0 ? `, ${counts.merged} ${would}merged (logouts: the snapshot's added to today's, none undone)` : ''),
          );
          if (result.preRestoreDirectory) lines.push(`Replaced files were copied to ${displayPath(result.preRestoreDirectory)}`);
          if (result.runsCsvRowsNotInSnapshot > 0) {
            lines.push(
              `${result.runsCsvRowsNotInSnapshot} rows of the replaced runs.csv are not in the snapshot (kept in that copy); ` +
                '`npx --no-install agent-lab rebuild-csv` re-adds the runs the sessions hold.',
            );
          }
          return { exitCode: EXIT_CODES.ok, text: lines.join('\n'), json: result };
        },
      });
    });
  withUsageExit(command);
}
