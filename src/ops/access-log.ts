import { mkdirSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { escapeCharacter, NON_PRINTABLE } from './log-escape.js';

/**
 * The access log (ACCESS_LOG): one line per request in Combined Log Format, client address
 * first, so `awk '{print $1}' access.log | sort | uniq -c` counts requests per client. Two
 * fields follow the combined ones: the response time in milliseconds and the request id,
 * which joins a line to the app log.
 *
 * Lines are batched: they collect in memory and go to the file in one write every
 * FLUSH_INTERVAL_MS (or as soon as FLUSH_BYTES are pending), not one `fs.write` per request.
 * Pending lines are written before a reopen (so a line lands in exactly one generation of
 * the file), on `flush()`, on `close()` and when the process exits.
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
  /** When the request arrived: a Date or epoch milliseconds. */
  time: Date | number;
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

/** How long a line may wait in memory before it is written, and how much may wait. */
export const FLUSH_INTERVAL_MS = 50;
const FLUSH_BYTES = 64 * 1024;

/** `[10/Oct/2026:13:55:36 +0000]`, in UTC like the app log. */
export function formatAccessTime(time: Date | number): string {
  const date = typeof time === 'number' ? new Date(time) : time;
  return `[${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000]`;
}

// the timestamp changes once a second: format it once per second, not once per line
let cachedSecond = Number.NaN;
let cachedTime = '';
function accessTime(time: Date | number): string {
  const ms = typeof time === 'number' ? time : time.getTime();
  const second = Math.floor(ms / 1000);
  if (second !== cachedSecond) {
    cachedTime = formatAccessTime(ms);
    cachedSecond = second;
  }
  return cachedTime;
}

/** Anything but printable ASCII other than `"` and `\\` takes the slow path. */
const NEEDS_ESCAPE = /[^\x20\x21\x23-\x5b\x5d-\x7e]/;
const PLAIN_TOKEN = /^[\w.@-]{1,64}$/;
const WHITESPACE = /\s/;

/** Quote a request-supplied value: no quotes, backslashes or control characters survive unescaped. */
function quoted(value: string | undefined): string {
  if (value === undefined || value === '') return '"-"';
  const text = value.length > 2000 ? value.slice(0, 2000) : value;
  if (!NEEDS_ESCAPE.test(text)) return `"${text}"`;
  const escaped = text
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(NON_PRINTABLE, escapeCharacter);
  return `"${escaped}"`;
}

/** One Combined Log Format line (with its newline), plus response time and request id. */
export function formatAccessLine(entry: AccessEntry): string {
  const request = `${entry.method} ${entry.url} HTTP/${entry.httpVersion}`;
  const bytes = entry.bytes === undefined ? '-' : String(entry.bytes);
  const user = entry.user && PLAIN_TOKEN.test(entry.user) ? entry.user : '-';
  const client = (WHITESPACE.test(entry.client) ? entry.client.replace(/\s/g, '') : entry.client) || '-';
  const requestId = WHITESPACE.test(entry.requestId) ? entry.requestId.replace(/\s/g, '') : entry.requestId;
  return `${client} - ${user} ${accessTime(entry.time)} ${quoted(request)} ${entry.status} ${bytes} ${quoted(entry.referer)} ${quoted(entry.userAgent)} ${entry.durationMs.toFixed(1)} ${requestId}\n`;
}

/** Open the access log for appending (its directory is created). */
export function createAccessLog(options: { file: string; flushIntervalMs?: number }): AccessLog {
  const flushIntervalMs = options.flushIntervalMs ?? FLUSH_INTERVAL_MS;
  mkdirSync(path.dirname(options.file), { recursive: true });
  const destination = pino.destination({ dest: options.file, sync: false, mkdir: true, append: true });
  let closed = false;
  let pending = '';
  let timer: NodeJS.Timeout | undefined;

  /** Hand the pending lines to the file stream (one async write; sonic-boom queues behind a write in flight). */
  const drain = () => {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    if (pending === '') return;
    const batch = pending;
    pending = '';
    destination.write(batch);
  };
  /** Write everything now, synchronously (flushSync refuses while the file is still opening). */
  const writeNow = () => {
    drain();
    try {
      destination.flushSync();
    } catch (error) {
      // not open yet, or already closed: the queued lines are written by sonic-boom itself
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN' && !/sonic boom is not ready|destroyed/i.test(String(error))) throw error;
    }
  };
  // a process that exits without closing the log (process.exit, a crash) still writes its last lines
  const onExit = () => {
    try {
      writeNow();
    } catch {
      // exiting: nothing more can be done
    }
  };
  process.once('exit', onExit);

  return {
    write: (entry) => {
      if (closed) return;
      pending += formatAccessLine(entry);
      if (pending.length >= FLUSH_BYTES) drain();
      else if (timer === undefined) {
        timer = setTimeout(drain, flushIntervalMs);
        timer.unref();
      }
    },
    reopen: () => {
      // lines of requests served before the signal go to the file they were served under
      drain();
      destination.reopen();
    },
    flush: writeNow,
    close: () => {
      if (closed) return;
      drain();
      closed = true;
      // sonic-boom writes what it holds, then closes; an exit before that writes it synchronously
      destination.once('close', () => process.off('exit', onExit));
      destination.end();
    },
  };
}
