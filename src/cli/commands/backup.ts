import type { Command } from 'commander';
import { createBackup, verifyBackup } from '../../recovery/backup.js';
import { createDatabaseBackup, verifyDatabaseBackup } from '../../recovery/database-backup.js';
import { displayPath, EXIT_CODES_HELP, runRecoveryCommand, withDatabase, withUsageExit, type CommandContext } from '../../recovery/cli-support.js';
import { EXIT_CODES } from '../../recovery/recovery-error.js';

/** `agent-lab backup [--verify [NAME]]`: a checksummed snapshot to BACKUP_DIR, or re-check one. */
export function register(program: Command, context: CommandContext): void {
  const command = program
    .command('backup')
    .description(
      'write a snapshot BACKUP_DIR/<YYYYMMDD_HHMMSS>/ (UTC) of the sessions, runs.csv (gzipped) and agents, with a ' +
        'manifest of SHA-256 checksums; unchanged session files are hard-linked to the previous snapshot. With DATABASE_URL: ' +
        'a pg_dump of the database (database.pgdump) with its checksum and row counts',
    )
    .option('--verify [name]', 're-check the checksums of a snapshot (the newest when no name is given) instead of writing one')
    .option('--json', 'print the result as JSON, for scripts')
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (options: { json?: boolean; verify?: string | boolean }) => {
      await runRecoveryCommand({
        context,
        json: Boolean(options.json),
        body: async ({ config, onProgress }) => {
          const { databaseUrl } = config;
          if (databaseUrl !== undefined) {
            if (options.verify !== undefined) {
              const result = await verifyDatabaseBackup({ backupDir: config.backupDir, ...(typeof options.verify === 'string' ? { name: options.verify } : {}) });
              const lines = [`Snapshot ${displayPath(result.directory)}: database dump of ${rowsText(result.rows)}`];
              for (const problem of result.problems) lines.push(`  ${problem.file}: ${problem.message}`);
              lines.push(result.ok ? 'The checksum matches and pg_restore reads the dump.' : 'The dump fails: do not restore from this snapshot.');
              return { exitCode: result.ok ? EXIT_CODES.ok : EXIT_CODES.damage, text: lines.join('\n'), json: result };
            }
            const result = await withDatabase({ databaseUrl, migrate: false, body: (db) => createDatabaseBackup({ databaseUrl, db, backupDir: config.backupDir }) });
            const text = [`Snapshot ${displayPath(result.directory)}`, `pg_dump of ${rowsText(result.rows)}, ${result.bytes} bytes, in ${result.durationMs} ms`].join('\n');
            return { exitCode: EXIT_CODES.ok, text, json: result };
          }
          if (options.verify !== undefined) {
            const result = await verifyBackup({
              backupDir: config.backupDir,
              ...(typeof options.verify === 'string' ? { name: options.verify } : {}),
              onProgress,
            });
            const lines = [`Snapshot ${displayPath(result.directory)}: ${result.checked} files checked`];
            for (const problem of result.problems) lines.push(`  ${problem.file}: ${problem.message}`);
            lines.push(result.ok ? 'All checksums match.' : `${result.problems.length} file(s) fail: do not restore from this snapshot.`);
            return { exitCode: result.ok ? EXIT_CODES.ok : EXIT_CODES.damage, text: lines.join('\n'), json: result };
          }
          const result = await createBackup({ dataDir: config.dataDir, backupDir: config.backupDir, onProgress });
          const text = [
            `Snapshot ${displayPath(result.directory)}`,
            `${result.sessions} sessions (${result.linked} unchanged, linked to ${result.incrementalFrom ?? 'no earlier snapshot'}), ${result.files} files, ${result.bytes} bytes, in ${result.durationMs} ms`,
          ].join('\n');
          return { exitCode: EXIT_CODES.ok, text, json: result };
        },
      });
    });
  withUsageExit(command);
}

function rowsText(rows: { agents: number; sessions: number; runs: number; scores: number }): string {
  return `${rows.agents} agents, ${rows.sessions} sessions, ${rows.runs} runs, ${rows.scores} scores`;
}
