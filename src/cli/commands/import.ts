import type { Command } from 'commander';
import { importDataDirectory } from '../../recovery/import-data.js';
import { displayPath, EXIT_CODES_HELP, runRecoveryCommand, withDatabase, withUsageExit, type CommandContext } from '../../recovery/cli-support.js';
import { EXIT_CODES, RecoveryError } from '../../recovery/recovery-error.js';

/** `agent-lab import DIR`: load a files data directory into the PostgreSQL database of DATABASE_URL. */
export function register(program: Command, context: CommandContext): void {
  const command = program
    .command('import')
    .description(
      'load a files data directory (agents.json, sessions/, runs.csv, scores.csv) into the PostgreSQL database of DATABASE_URL; ' +
        'records already there (same id) are skipped, so running it again finishes an interrupted import',
    )
    .argument('<dir>', 'the files data directory to load (a files-mode DATA_DIR)')
    .option('--json', 'print the result as JSON, for scripts')
    .addHelpText('after', `${EXIT_CODES_HELP}\n  (1: some records could not be read and were left out; they are listed.)`)
    .action(async (directory: string, options: { json?: boolean }) => {
      await runRecoveryCommand({
        context,
        json: Boolean(options.json),
        body: async ({ config, onProgress }) => {
          const { databaseUrl } = config;
          if (databaseUrl === undefined) {
            throw new RecoveryError('usage:argument', '`agent-lab import` loads into PostgreSQL, and DATABASE_URL is not set', {
              hint: 'set DATABASE_URL=postgres://user:password@host:5432/database (in the environment or .env) and run it again',
            });
          }
          const report = await withDatabase({ databaseUrl, migrate: true, body: (db) => importDataDirectory({ sourceDir: directory, db, onProgress }) });
          const line = (name: string, counts: { read: number; imported: number; skipped: number }) =>
            `${name}: ${counts.imported} imported, ${counts.skipped} already there (of ${counts.read} read)`;
          const lines = [
            `Imported ${displayPath(report.sourceDir)} in ${report.durationMs} ms`,
            line('agents', report.agents),
            line('sessions', report.sessions),
            line('runs', report.runs),
            line('scores', report.scores),
            line('logouts', report.logouts),
          ];
          for (const problem of report.problems.slice(0, 50)) lines.push(`  ${problem.file}${problem.line === undefined ? '' : `:${problem.line}`}: ${problem.message}`);
          if (report.problems.length > 50) lines.push(`  ... and ${report.problems.length - 50} more (--json lists all)`);
          if (report.problems.length > 0) lines.push(`${report.problems.length} record(s) could not be read and were left out: \`agent-lab check\` with DATA_DIR=${directory} explains them.`);
          return { exitCode: report.problems.length > 0 ? EXIT_CODES.damage : EXIT_CODES.ok, text: lines.join('\n'), json: report };
        },
      });
    });
  withUsageExit(command);
}
