import type { Command } from 'commander';
import { displayPath, EXIT_CODES_HELP, refuseInDatabaseMode, runRecoveryCommand, withUsageExit, type CommandContext } from '../../recovery/cli-support.js';
import { rebuildRunsCsv } from '../../recovery/rebuild-csv.js';
import { EXIT_CODES } from '../../recovery/recovery-error.js';

/** `agent-lab rebuild-csv`: runs.csv from the sessions' run records. */
export function register(program: Command, context: CommandContext): void {
  const command = program
    .command('rebuild-csv')
    .description(
      "rebuild runs.csv from the sessions' run records (the rows the lab itself writes), keeping rows no session can " +
        'reproduce (legacy rows) as they are, ordered by ts; the old file is kept as runs.csv.bak-<timestamp>',
    )
    .option('--dry-run', 'only report what the new file would hold')
    .option('--json', 'print the result as JSON, for scripts')
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (options: { json?: boolean; dryRun?: boolean }) => {
      await runRecoveryCommand({
        context,
        json: Boolean(options.json),
        body: async ({ config, onProgress }) => {
          refuseInDatabaseMode(config, 'rebuild-csv', 'runs live in the runs table; `agent-lab export --out runs.csv` writes runs.csv from it');
          const result = await rebuildRunsCsv({ dataDir: config.dataDir, dryRun: Boolean(options.dryRun), onProgress });
          const lines = [
            `runs.csv ${result.dryRun ? 'would hold' : 'rebuilt:'} ${result.rows} rows: ${result.fromSessions} from sessions, ` +
              `${result.keptFromOldFile} kept from the old file (no session holds them), ${result.replacedOldRows} old rows replaced by their session's row`,
          ];
          if (result.droppedDamagedRecords > 0) {
            lines.push(`${result.droppedDamagedRecords} damaged records of the old file were left out (the .bak keeps them)`);
          }
          if (result.damagedSessions.length > 0) {
            lines.push(`${result.damagedSessions.length} damaged session files were skipped (run check, then quarantine or restore): ${result.damagedSessions.slice(0, 5).join(', ')}`);
          }
          if (result.backupPath) lines.push(`Old file kept as ${displayPath(result.backupPath)}`);
          return { exitCode: EXIT_CODES.ok, text: lines.join('\n'), json: result };
        },
      });
    });
  withUsageExit(command);
}
