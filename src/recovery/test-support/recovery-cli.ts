import { Command } from 'commander';
import { loadConfig } from '../../config/config.js';
import { register as registerBackup } from '../../cli/commands/backup.js';
import { register as registerCheck } from '../../cli/commands/check.js';
import { register as registerQuarantine } from '../../cli/commands/quarantine.js';
import { register as registerRebuildCsv } from '../../cli/commands/rebuild-csv.js';
import { register as registerRestore } from '../../cli/commands/restore.js';
import { register as registerSnapshot } from '../../cli/commands/snapshot.js';

/**
 * A small `agent-lab` program with only the recovery commands, for tests to spawn
 * (`node --import tsx src/recovery/test-support/recovery-cli.ts check`) until and besides
 * the lead's `src/cli/main.ts`.
 */
const program = new Command('agent-lab').exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2));
const context = { loadConfig: () => loadConfig() };
for (const register of [registerCheck, registerQuarantine, registerBackup, registerRestore, registerRebuildCsv, registerSnapshot]) {
  register(program, context);
}
await program.parseAsync(process.argv);
