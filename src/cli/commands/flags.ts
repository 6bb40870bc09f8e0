import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Argument, type Command } from 'commander';
import type { LabConfig } from '../../config/config.js';

/**
 * `agent-lab read-only on|off|status` and `agent-lab maintenance on|off|status`: create,
 * remove or report the flag files (READ_ONLY_FLAG, MAINTENANCE_FLAG). A running lab notices
 * within a second; no restart, no network. The file says who set it and when.
 */

type Mode = 'read-only' | 'maintenance';

export interface FlagState {
  mode: Mode;
  on: boolean;
  file: string;
  /** What the file says (who set it and when), when it is on. */
  note?: string;
}

const EFFECT: Record<Mode, { on: string; off: string }> = {
  'read-only': { on: 'writes are refused with 503, reads keep working', off: 'writes are accepted again' },
  maintenance: { on: 'pages and the API answer 503; health and metrics keep answering', off: 'pages and the API are served again' },
};

export function flagState(mode: Mode, file: string): FlagState {
  if (!existsSync(file)) return { mode, on: false, file };
  let note: string | undefined;
  try {
    note = readFileSync(file, 'utf8').trim().split('\n')[0]?.slice(0, 200) || undefined;
  } catch (error) {
    note = `unreadable: ${(error as NodeJS.ErrnoException).code ?? String(error)}`;
  }
  return { mode, on: true, file, ...(note ? { note } : {}) };
}

export function setFlag(options: { mode: Mode; file: string; on: boolean }): FlagState {
  if (options.on) {
    mkdirSync(path.dirname(options.file), { recursive: true });
    if (!existsSync(options.file)) {
      writeFileSync(options.file, `${options.mode} on since ${new Date().toISOString()} (agent-lab CLI, user ${os.userInfo().username}, host ${os.hostname()})\n`);
    }
  } else {
    rmSync(options.file, { force: true });
  }
  return flagState(options.mode, options.file);
}

function registerMode(program: Command, context: { loadConfig: () => LabConfig }, mode: Mode): void {
  program
    .command(mode)
    .description(`turn ${mode} mode on or off (the ${mode === 'read-only' ? 'READ_ONLY_MODE' : 'MAINTENANCE_MODE'} flag file), or show it`)
    .addArgument(new Argument('[state]', 'on, off or status').choices(['on', 'off', 'status']).default('status'))
    .option('--json', 'print the state as JSON')
    .action((state: 'on' | 'off' | 'status', options: { json?: boolean }) => {
      const config = context.loadConfig();
      const file = mode === 'read-only' ? config.readOnlyFlag : config.maintenanceFlag;
      let result: FlagState;
      try {
        result = state === 'status' ? flagState(mode, file) : setFlag({ mode, file, on: state === 'on' });
      } catch (error) {
        console.error(`agent-lab ${mode}: could not ${state === 'on' ? 'create' : 'remove'} ${file}: ${(error as Error).message}`);
        process.exitCode = 1;
        return;
      }
      if (options.json) {
        console.log(JSON.stringify(result));
        return;
      }
      const where = `(${file}${result.note ? `: ${result.note}` : ''})`;
      if (state === 'status') console.log(`${mode} mode is ${result.on ? 'on' : 'off'} ${where}`);
      else console.log(`${mode} mode is ${result.on ? 'on' : 'off'} ${where}: a running lab applies it within a second — ${result.on ? EFFECT[mode].on : EFFECT[mode].off}.`);
    });
}

export function register(program: Command, context: { loadConfig: () => LabConfig }): void {
  registerMode(program, context, 'read-only');
  registerMode(program, context, 'maintenance');
}
