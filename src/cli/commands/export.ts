import type { Command } from 'commander';
import { EXPORT_TYPES, exportHistory, type ExportType } from '../../recovery/export-data.js';
import { displayPath, EXIT_CODES_HELP, runRecoveryCommand, withDatabase, withUsageExit, type CommandContext } from '../../recovery/cli-support.js';
import { EXIT_CODES, RecoveryError } from '../../recovery/recovery-error.js';

/** `agent-lab export [--type runs|scores] [--out FILE]`: the history as runs.csv (or scores.csv), from either engine. */
export function register(program: Command, context: CommandContext): void {
  const command = program
    .command('export')
    .description(
      'write the run history in the runs.csv format (or scores with --type scores) to stdout or --out FILE: from PostgreSQL ' +
        'when DATABASE_URL is set, else from DATA_DIR (complete rows only)',
    )
    .option('--type <type>', 'runs | scores', 'runs')
    .option('--out <file>', 'write to this file (atomically) instead of stdout')
    .option('--json', 'print the result as JSON (needs --out: stdout is the CSV otherwise)')
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (options: { type: string; out?: string; json?: boolean }) => {
      await runRecoveryCommand({
        context,
        json: Boolean(options.json),
        body: async ({ config }) => {
          const type = options.type.trim().toLowerCase();
          if (!(EXPORT_TYPES as readonly string[]).includes(type)) {
            throw new RecoveryError('usage:type', `--type "${options.type}" is not one of ${EXPORT_TYPES.join('|')}`, { hint: 'runs exports runs.csv, scores scores.csv' });
          }
          if (options.out === undefined && options.json) {
            throw new RecoveryError('usage:argument', '--json needs --out FILE', { hint: 'without --out the CSV itself goes to stdout' });
          }
          const { databaseUrl } = config;
          const exportTo = (source: Parameters<typeof exportHistory>[0]['source']) =>
            exportHistory({ source, type: type as ExportType, ...(options.out === undefined ? {} : { out: options.out }) });
          const result =
            databaseUrl === undefined
              ? await exportTo({ engine: 'files', dataDir: config.dataDir })
              : await withDatabase({ databaseUrl, migrate: false, body: (db) => exportTo({ engine: 'postgres', db }) });
          if (result.file === undefined) {
            // stdout held the CSV: the summary goes to stderr, so a pipe gets only the CSV.
            process.stderr.write(`Exported ${result.rows} ${type}${result.leftOut > 0 ? ` (${result.leftOut} damaged records left out: run agent-lab check)` : ''}\n`);
            return { exitCode: EXIT_CODES.ok, text: '', json: result, silent: true };
          }
          const text = `Exported ${result.rows} ${type} to ${displayPath(result.file)}${result.leftOut > 0 ? ` (${result.leftOut} damaged records left out: run agent-lab check)` : ''}`;
          return { exitCode: EXIT_CODES.ok, text, json: result };
        },
      });
    });
  withUsageExit(command);
}
