import { mkdirSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';

/**
 * The access log (ACCESS_LOG): one line per request in Combined Log Format, client address
 * first, so `awk '{print $1}' access.log | sort | uniq -c` counts requests per client. Two
 * fields follow the combined ones: the response time in milliseconds and the request id,
 * which joins a line to the app log.
 */
export interface AccessLog {
  write(entry: AccessEntry): void;
  /** Reopen the file after logrotate moved it (SIGHUP). */
  reopen(): void;
  /** Write pending lines now (tests, shutdown). */
  flush(): void;
  close(): void;
}

export interface AccessEntry {
  client: string;
  /** Authenticated user, when there is one; `-` otherwise. */
  user?: string;
  time: Date;
  method: string;
  url: string;
  httpVersion: string;
  status: number;
  bytes: number | undefined;
  referer: string | undefined;
  userAgent: string | undefined;
  durationMs: number;
  requestId: string;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (value: number) => String(value).padStart(2, '0');

/** `[10/Oct/2026:13:55:36 +0000]`, in UTC like the app log. */
export function formatAccessTime(time: Date): string {
  return `[${pad(time.getUTCDate())}/${MONTHS[time.getUTCMonth()]}/${time.getUTCFullYear()}:${pad(time.getUTCHours())}:${pad(time.getUTCMinutes())}:${pad(time.getUTCSeconds())} +0000]`;
}

/** Quote a request-supplied value: no quotes, backslashes or control characters survive unescaped. */
function quoted(value: string | undefined): string {
  if (value === undefined || value === '') return '"-"';
  const escaped = value
    .slice(0, 2000)
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/[\x00-\x1f\x7f]/g, (character) => `\\x${character.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return `"${escaped}"`;
}

/** One Combined Log Format line (with its newline), plus response time and request id. */
export function formatAccessLine(entry: AccessEntry): string {
  const request = `${entry.method} ${entry.url} HTTP/${entry.httpVersion}`;
  const bytes = entry.bytes === undefined ? '-' : String(entry.bytes);
  const user = entry.user && /^[\w.@-]{1,64}$/.test(entry.user) ? entry.user : '-';
  const client = entry.client.replace(/\s/g, '') || '-';
  return `${client} - ${user} ${formatAccessTime(entry.time)} ${quoted(request)} ${entry.status} ${bytes} ${quoted(entry.referer)} ${quoted(entry.userAgent)} ${entry.durationMs.toFixed(1)} ${entry.requestId.replace(/\s/g, '')}\n`;
}

/** Open the access log for appending (its directory is created). */
export function createAccessLog(options: { file: string }): AccessLog {
  mkdirSync(path.dirname(options.file), { recursive: true });
  const destination = pino.destination({ dest: options.file, sync: false, mkdir: true, append: true });
  let closed = false;
  return {
    write: (entry) => {
      if (!closed) destination.write(formatAccessLine(entry));
    },
    reopen: () => destination.reopen(),
    flush: () => {
      try {
        destination.flushSync();
      } catch (error) {
        // flushSync refuses while an async write is pending; that write lands on its own
        if ((error as NodeJS.ErrnoException).code !== 'EAGAIN' && !/sonic boom is not ready/i.test(String(error))) throw error;
      }
    },
    close: () => {
      if (closed) return;
      closed = true;
      destination.end();
    },
  };
}
