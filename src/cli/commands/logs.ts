import { createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import type { LabConfig } from '../../config/config.js';

/**
 * `agent-lab logs --errors`: the log's errors grouped by kind, most frequent first — what
 * `grep ERROR app.log | cut -d' ' -f4- | cut -d'{' -f1 | sort | uniq -c | sort -nr` prints,
 * counting only lines whose level is ERROR (or FATAL), so a message that merely mentions
 * "ERROR" in its context is not miscounted.
 */

const LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'] as const;
type Level = (typeof LEVELS)[number];

export interface MessageGroup {
  count: number;
  level: Level;
  message: string;
}

/** `2026-01-02 03:04:05.678 ERROR Message text {"ctx":1}` → level and message (no context). */
export function parseLogLine(line: string): { level: Level; message: string } | undefined {
  const match = /^\d{4}-\d{2}-\d{2} [\d:.]+ ([A-Z]+) (.*)$/.exec(line);
  if (!match) return undefined;
  const level = (match[1] === 'WARNING' ? 'WARN' : match[1]) as Level;
  if (!LEVELS.includes(level)) return undefined;
  const rest = match[2] ?? '';
  const brace = rest.indexOf('{');
  return { level, message: (brace === -1 ? rest : rest.slice(0, brace)).trim() };
}

/** Count the lines of `file` at or above `minimum`, grouped by level and message. */
export async function groupLogMessages(options: { file: string; minimum?: Level }): Promise<MessageGroup[]> {
  const minimum = LEVELS.indexOf(options.minimum ?? 'ERROR');
  const groups = new Map<string, MessageGroup>();
  const lines = createInterface({ input: createReadStream(options.file, 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) {
    const parsed = parseLogLine(line);
    if (!parsed || LEVELS.indexOf(parsed.level) < minimum) continue;
    const key = `${parsed.level} ${parsed.message}`;
    const group = groups.get(key);
    if (group) group.count += 1;
    else groups.set(key, { count: 1, level: parsed.level, message: parsed.message });
  }
  return [...groups.values()].sort((left, right) => right.count - left.count || left.message.localeCompare(right.message));
}

export function register(program: Command, context: { loadConfig: () => LabConfig }): void {
  program
    .command('logs')
    .description('group the log file\'s errors by kind, most frequent first (like grep ERROR | cut | sort | uniq -c | sort -nr)')
    .option('--errors', 'ERROR and FATAL lines (the default)')
    .option('--warnings', 'WARN lines and above')
    .option('--file <file>', 'the log file (default: LOG_FILE)')
    .option('--json', 'print the groups as JSON')
    .action(async (options: { errors?: boolean; warnings?: boolean; file?: string; json?: boolean }) => {
      const file = options.file ?? context.loadConfig().logFile;
      if (!existsSync(file)) {
        console.error(`agent-lab logs: ${file} does not exist (set LOG_FILE or pass --file)`);
        process.exitCode = 2;
        return;
      }
      const minimum: Level = options.warnings && !options.errors ? 'WARN' : 'ERROR';
      const groups = await groupLogMessages({ file, minimum });
      if (options.json) {
        console.log(JSON.stringify({ file, minimum, groups }, null, 2));
        return;
      }
      if (groups.length === 0) {
        console.log(`No ${minimum === 'WARN' ? 'WARN or ERROR' : 'ERROR'} lines in ${file}.`);
        return;
      }
      for (const group of groups) console.log(`${String(group.count).padStart(7)} ${group.level === 'ERROR' && minimum === 'ERROR' ? '' : `${group.level} `}${group.message}`);
    });
}
