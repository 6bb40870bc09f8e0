import { Command, CommanderError } from 'commander';
import { ConfigError, loadConfig, type LabConfig } from '../config/config.js';
import { LAB_VERSION } from '../server/version.js';
import { register as registerBackup } from './commands/backup.js';
import { register as registerBatch } from './commands/batch.js';
import { register as registerCheck } from './commands/check.js';
import { register as registerEval } from './commands/eval.js';
import { register as registerExport } from './commands/export.js';
import { register as registerFlags } from './commands/flags.js';
import { register as registerImport } from './commands/import.js';
import { register as registerLogs } from './commands/logs.js';
import { register as registerQuarantine } from './commands/quarantine.js';
import { register as registerRebuildCsv } from './commands/rebuild-csv.js';
import { register as registerRelease } from './commands/release.js';
import { register as registerRestore } from './commands/restore.js';
import { register as registerSmoke } from './commands/smoke.js';
import { register as registerSnapshot } from './commands/snapshot.js';

/**
 * `agent-lab <command>`: the operations CLI. Exit codes: 0 success, 1 the check or
 * operation found a problem, 2 bad usage or an unusable environment.
 */
export function buildProgram(): Command {
  const program = new Command('agent-lab')
    .description('Agent Lab operations: integrity checks, backups, recovery, flags, smoke tests and logs.')
    .version(LAB_VERSION)
    .showHelpAfterError('(run `agent-lab --help` for the commands)')
    .exitOverride();
  const context = {
    loadConfig: (): LabConfig => {
      try {
        return loadConfig();
      } catch (error) {
        if (error instanceof ConfigError) {
          console.error(`agent-lab: ${error.message}`);
          process.exit(2);
        }
        throw error;
      }
    },
  };
  for (const register of [
    registerCheck,
    registerQuarantine,
    registerBackup,
    registerRestore,
    registerRebuildCsv,
    registerSnapshot,
    registerExport,
    registerImport,
    registerFlags,
    registerSmoke,
    registerLogs,
    registerRelease,
    registerBatch,
    registerEval,
  ]) {
    register(program, context);
  }
  return program;
}

async function main(): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(process.argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exit(error.exitCode === 0 ? 0 : 2);
    }
    console.error(`agent-lab: ${(error as Error).message}`);
    process.exit(2);
  }
}

void main();
