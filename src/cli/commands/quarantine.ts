import type { Command } from 'commander';
import { displayPath, EXIT_CODES_HELP, refuseInDatabaseMode, runRecoveryCommand, withUsageExit, type CommandContext } from '../../recovery/cli-support.js';
import { quarantineData } from '../../recovery/quarantine.js';
import { EXIT_CODES } from '../../recovery/recovery-error.js';

/** `agent-lab quarantine`: move damaged session files and runs.csv records aside. */
export function register(program: Command, context: CommandContext): void {
  const command = program
    .command('quarantine')
    .description(
      'move damaged session files to DATA_DIR/quarantined/<YYYYMMDD_HHMMSS>/ and damaged runs.csv and scores.csv records to side files there ' +
        '(with a manifest saying why); runs.csv is replaced by its clean records atomically. Nothing is deleted.',
    )
    .option('--dry-run', 'only list what would move')
    .option('--json', 'print the result as JSON, for scripts')
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (options: { json?: boolean; dryRun?: boolean }) => {
      await runRecoveryCommand({
        context,
        json: Boolean(options.json),
        body: async ({ config, onProgress }) => {
          refuseInDatabaseMode(config, 'quarantine', 'PostgreSQL keeps rows whole; `agent-lab check` names any unreadable agent or session, and `agent-lab restore --type ... --date ...` replaces the table from a backup');
          const result = await quarantineData({ dataDir: config.dataDir, dryRun: Boolean(options.dryRun), onProgress });
          const verb = result.dryRun ? 'Would move' : 'Moved';
          const lines: string[] = [];
          if (result.sessions.length === 0 && result.runsCsv.records.length === 0 && result.scoresCsv.records.length === 0) {
            lines.push('Nothing to quarantine: no damaged session file, runs.csv or scores.csv record.');
          } else {
            for (const session of result.sessions) lines.push(`${verb} ${session.file}: ${session.reason}`);
            for (const [name, csv] of [['runs.csv', result.runsCsv], ['scores.csv', result.scoresCsv]] as const) {
              for (const record of csv.records) lines.push(`${verb} ${name} line ${record.line}${record.record === 0 ? ' (header)' : ''}: ${record.reason}`);
              if (csv.records.length > 0) lines.push(`${name} ${result.dryRun ? 'would keep' : 'keeps'} ${csv.keptRows} good rows${csv.headerReplaced ? ' under a new header' : ''}`);
            }
            if (result.directory) lines.push(`Quarantine folder: ${displayPath(result.directory)} (manifest.json says why each moved)`);
          }
          return { exitCode: EXIT_CODES.ok, text: lines.join('\n'), json: result };
        },
      });
    });
  withUsageExit(command);
}
