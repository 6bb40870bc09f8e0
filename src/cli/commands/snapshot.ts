import type { Command } from 'commander';
import { displayPath, EXIT_CODES_HELP, runRecoveryCommand, withUsageExit, type CommandContext } from '../../recovery/cli-support.js';
import { createEvidenceSnapshot } from '../../recovery/evidence.js';
import { EXIT_CODES } from '../../recovery/recovery-error.js';

/** `agent-lab snapshot`: an evidence tarball of the data directory and the logs. */
export function register(program: Command, context: CommandContext): void {
  const command = program
    .command('snapshot')
    .description('write evidence-<YYYYMMDD_HHMMSS>.tar.gz (UTC) of the data directory and the log files, for forensics')
    .option('--output-dir <dir>', 'where to write the tarball (default: the working directory)')
    .option('--json', 'print the result as JSON, for scripts')
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (options: { json?: boolean; outputDir?: string }) => {
      await runRecoveryCommand({
        context,
        json: Boolean(options.json),
        body: async ({ config, onProgress }) => {
          const result = await createEvidenceSnapshot({
            dataDir: config.dataDir,
            logFiles: [config.logFile, config.accessLog],
            ...(options.outputDir === undefined ? {} : { outputDir: options.outputDir }),
            onProgress,
          });
          const text = `Evidence ${displayPath(result.file)}: ${result.entries} entries, ${result.bytes} bytes (data/ and ${result.logs.length} log file(s))`;
          return { exitCode: EXIT_CODES.ok, text, json: result };
        },
      });
    });
  withUsageExit(command);
}
