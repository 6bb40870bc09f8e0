import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import type { LabConfig } from '../config/config.js';
import { isLabError } from '../domain/errors.js';
import type { ProgressCallback } from './progress.js';
import { sql } from 'kysely';
import { createDatabase, migrateToLatest, redactDatabaseUrl, type Database } from '../store/postgres/index.js';
import { EXIT_CODES, isRecoveryError, RecoveryError } from './recovery-error.js';

/**
 * What the recovery commands share: the `--json` switch, the progress bar (only on a
 * terminal), one clear line for every error, and the documented exit codes.
 */

/** The context `src/cli/main.ts` passes to every command's `register`. */
export interface CommandContext {
  loadConfig: () => LabConfig;
}

/** Help text listing the exit codes, appended to every recovery command's `--help`. */
export const EXIT_CODES_HELP = `
Exit codes:
  0  done (or nothing wrong found)
  1  damage found, or a snapshot whose checksums fail
  2  bad input or unusable environment (bad option or date, missing BACKUP_DIR or
     DATA_DIR, disk full, not writable, data lock busy); nothing was changed

Safe while the server runs: writes happen under the data lock (DATA_DIR/.agent-lab.lock).`;

/**
 * Usage errors (unknown option, missing value) exit with 2 after commander's own message;
 * `--help` still exits 0.
 */
export function withUsageExit(command: Command): Command {
  return command.showHelpAfterError(`(run "agent-lab ${command.name()} --help" for usage)`).exitOverride((error) => {
    process.exit(error.exitCode === 0 ? 0 : EXIT_CODES.usage);
  });
}

/** A progress callback drawing a bar on stderr when stdout is a terminal (and not --json). */
export function createProgress(options: { enabled: boolean; minimumTotal?: number }): { onProgress: ProgressCallback; stop: () => void } {
  if (!options.enabled) return { onProgress: () => {}, stop: () => {} };
  let bar: cliProgress.SingleBar | undefined;
  let phase = '';
  const minimumTotal = options.minimumTotal ?? 200;
  return {
    onProgress: (event) => {
      if (event.total < minimumTotal) return;
      if (!bar || event.phase !== phase) {
        bar?.stop();
        phase = event.phase;
        bar = new cliProgress.SingleBar(
          { format: `${phase.padEnd(9)} [{bar}] {percentage}% | {value}/{total} | ETA {eta}s`, stream: process.stderr, hideCursor: true, clearOnComplete: true },
          cliProgress.Presets.shades_classic,
        );
        bar.start(event.total, event.done);
      }
      bar.update(event.done);
    },
    stop: () => bar?.stop(),
  };
}

/** What a command's body returns: the exit code, the text for people and the value for --json. */
export interface CommandOutcome {
  exitCode: number;
  text: string;
  json: unknown;
  /** Print nothing on success (the command wrote its own output, e.g. a CSV to stdout). */
  silent?: boolean;
}

/**
 * Run a command body: load the configuration, give it a progress callback, print its
 * outcome (text or JSON) and set the exit code. Every error becomes one line on stderr
 * (and a JSON error object on stdout with --json) with a non-zero exit.
 */
export async function runRecoveryCommand(options: {
  context: CommandContext;
  json: boolean;
  body: (input: { config: LabConfig; onProgress: ProgressCallback }) => Promise<CommandOutcome>;
}): Promise<void> {
  const progress = createProgress({ enabled: Boolean(process.stdout.isTTY) && !options.json });
  try {
    const config = options.context.loadConfig();
    const outcome = await options.body({ config, onProgress: progress.onProgress });
    progress.stop();
    if (options.json) process.stdout.write(`${JSON.stringify(outcome.json, null, 2)}\n`);
    else if (!outcome.silent) process.stdout.write(`${outcome.text.replace(/\n*$/, '')}\n`);
    process.exitCode = outcome.exitCode;
  } catch (error) {
    progress.stop();
    const { code, line, exitCode } = describeError(error);
    if (options.json) process.stdout.write(`${JSON.stringify({ ok: false, error: { code, message: line } }, null, 2)}\n`);
    process.stderr.write(`agent-lab: ${line}\n`);
    process.exitCode = exitCode;
  }
}

/** An error → its stable code, the one line to print, and the exit code. */
export function describeError(error: unknown): { code: string; line: string; exitCode: number } {
  if (isRecoveryError(error)) return { code: error.code, line: error.line(), exitCode: error.exitCode };
  if (error instanceof Error && error.name === 'ConfigError') {
    return { code: 'usage:config', line: `${error.message} (fix the variable in the environment or .env)`, exitCode: EXIT_CODES.usage };
  }
  if (isLabError(error)) return { code: error.code, line: error.message, exitCode: EXIT_CODES.usage };
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'internal:cli', line: `unexpected failure: ${message}`, exitCode: EXIT_CODES.usage };
}

/** A path shown relative to the working directory when it is inside it. */
export function displayPath(file: string): string {
  const cwd = process.cwd();
  return file.startsWith(`${cwd}/`) ? file.slice(cwd.length + 1) : file;
}

/**
 * Run `body` with the database of DATABASE_URL (PostgreSQL mode), closing the pool after.
 * `migrate`: bring the schema up to date first (what the lab does at start; `import` needs
 * the tables). A database that cannot be reached is one clear line, without the password.
 */
export async function withDatabase<T>(options: { databaseUrl: string; migrate: boolean; body: (db: Database) => Promise<T> }): Promise<T> {
  const db = createDatabase({ url: options.databaseUrl, maxConnections: 4, applicationName: 'agent-lab-cli' });
  try {
    try {
      if (options.migrate) await migrateToLatest(db);
      else await sql`select 1`.execute(db);
    } catch (error) {
      throw new RecoveryError('env:postgres', `The database ${redactDatabaseUrl(options.databaseUrl)} cannot be used: ${(error as Error).message}`, {
        cause: error,
        hint: 'check DATABASE_URL and that PostgreSQL is running',
      });
    }
    try {
      return await options.body(db);
    } catch (error) {
      if (isRecoveryError(error) || isLabError(error)) throw error;
      throw new RecoveryError('env:postgres', `The database ${redactDatabaseUrl(options.databaseUrl)} failed: ${(error as Error).message}`, {
        cause: error,
        hint: 'if its tables are missing, start the lab on it once (it creates them) or load data with `agent-lab import DIR`',
      });
    }
  } finally {
    await db.destroy().catch(() => undefined);
  }
}

/** Refuse a files-only command in PostgreSQL mode, naming what to do instead. */
export function refuseInDatabaseMode(config: LabConfig, command: string, instead: string): void {
  if (config.databaseUrl === undefined) return;
  throw new RecoveryError('usage:argument', `\`agent-lab ${command}\` works on the files of DATA_DIR, and this lab keeps its data in PostgreSQL (DATABASE_URL is set)`, { hint: instead });
}
