import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import { escapeCharacter, escapeJsonLineBreaks, NON_PRINTABLE } from './log-escape.js';

/**
 * The lab's logger: pino with redaction, written to stdout and to LOG_FILE as lines
 * `YYYY-MM-DD HH:MM:SS.mmm LEVEL message {"key": ...}` (UTC), so the playbooks' greps,
 * `cut -d' ' -f4-` and `uniq -c` work: the message is a stable sentence, variable data
 * only in the JSON context at the end.
 */
export type { Logger } from 'pino';

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const OMITTED_KEYS = new Set(['level', 'time', 'msg', 'pid', 'hostname']);

/** Paths whose values never reach a log line. */
export const REDACTED_PATHS = [
  'authorization',
  'apiKey',
  'api_key',
  'token',
  'password',
  'cookie',
  '*.authorization',
  '*.Authorization',
  '*.apiKey',
  '*.api_key',
  '*.token',
  '*.password',
  '*.cookie',
  'headers.authorization',
  'headers.cookie',
  'request.headers.authorization',
  'request.headers.cookie',
];

/** `2026-11-30 16:01:26.123` in UTC. */
export function formatLogTime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace('T', ' ').replace('Z', '');
}

/**
 * One pino JSON record → one log line (with its newline). Nothing in it breaks the line for
 * a line-oriented tool: the message's controls and separators are escaped as in the access
 * log (`\x85`, `\u2028`), the context's as JSON `\u` escapes (it still parses to the same values).
 */
export function formatLogLine(record: Record<string, unknown>): string {
  const time = typeof record.time === 'number' ? record.time : Date.now();
  const level = LEVEL_NAMES[Number(record.level)] ?? 'INFO';
  const message = String(record.msg ?? '')
    .replace(/[\r\n]+/g, ' ')
    .replace(NON_PRINTABLE, escapeCharacter);
  const context: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    if (!OMITTED_KEYS.has(key)) context[key] = value;
  }
  // JSON.stringify leaves U+2028, U+2029 and the C1 controls (U+0085) raw: escaped, the line stays one line for every tool.
  const contextText = Object.keys(context).length > 0 ? ` ${escapeJsonLineBreaks(JSON.stringify(context))}` : '';
  return `${formatLogTime(time)} ${level} ${message}${contextText}\n`;
}

/** A stream that formats pino's JSON and writes it to stdout and the log file. */
class LogLineStream extends Writable {
  private file: pino.DestinationStream & { reopen?: () => void; flushSync?: () => void; end?: () => void };
  /** stdout through an asynchronous, buffered destination: a synchronous write per line costs ~0.1 ms. */
  private stdout: (pino.DestinationStream & { flushSync?: () => void }) | undefined;
  constructor(logFile: string, toStdout: boolean) {
    super({ decodeStrings: false });
    mkdirSync(path.dirname(logFile), { recursive: true });
    this.file = pino.destination({ dest: logFile, sync: false, mkdir: true, append: true });
    if (toStdout) this.stdout = pino.destination({ dest: 1, sync: false });
  }

  override _write(chunk: string | Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const text = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    for (const raw of text.split('\n')) {
      if (raw.trim() === '') continue;
      let line: string;
      try {
        line = formatLogLine(JSON.parse(raw) as Record<string, unknown>);
      } catch {
        line = `${formatLogTime(Date.now())} INFO ${raw}\n`;
      }
      this.file.write(line);
      this.stdout?.write(line);
    }
    callback();
  }

  /** Reopen the log file (after logrotate moved it). */
  reopen(): void {
    this.file.reopen?.();
  }

  flushFile(): void {
    try {
      this.file.flushSync?.();
      this.stdout?.flushSync?.();
    } catch (error) {
      // flushSync throws while an async write is still pending; the write completes on its own.
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') process.stderr.write(`log flush failed: ${String(error)}\n`);
    }
  }
}

export interface LabLogger {
  logger: Logger;
  /** Reopen the log file, for logrotate (SIGHUP). */
  reopen(): void;
  /** Flush pending lines to the file (before exit). */
  flush(): void;
}

/** Build the lab's logger. `stdout: false` keeps tests and CLI output quiet. */
export function createLogger(options: { logFile: string; level?: string; stdout?: boolean }): LabLogger {
  const stream = new LogLineStream(options.logFile, options.stdout ?? true);
  const logger = pino(
    {
      level: options.level ?? 'info',
      base: undefined,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
    },
    stream,
  );
  return { logger, reopen: () => stream.reopen(), flush: () => stream.flushFile() };
}
