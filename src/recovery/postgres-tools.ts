import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { RecoveryError } from './recovery-error.js';

/**
 * PostgreSQL's own client programs (pg_dump, pg_restore, psql), which PostgreSQL mode's
 * backup and restore use (docs/runbook.md). They are found on PATH, else in the newest
 * `/usr/lib/postgresql/<version>/bin` (Debian's layout), or in POSTGRES_BIN. The password of
 * DATABASE_URL goes to them in PGPASSWORD, never on a command line that `ps` shows.
 */

export type PostgresTool = 'pg_dump' | 'pg_restore' | 'psql';

const DEBIAN_ROOT = '/usr/lib/postgresql';

/** The program to run for `tool`, or a RecoveryError saying how to install it. */
export function findPostgresTool(tool: PostgresTool, env: NodeJS.ProcessEnv = process.env): string {
  const candidates: string[] = [];
  if (env.POSTGRES_BIN) candidates.push(path.join(env.POSTGRES_BIN, tool));
  for (const directory of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) candidates.push(path.join(directory, tool));
  if (existsSync(DEBIAN_ROOT)) {
    const versions = readdirSync(DEBIAN_ROOT)
      .filter((name) => /^\d+$/.test(name))
      .sort((a, b) => Number(b) - Number(a));
    for (const version of versions) candidates.push(path.join(DEBIAN_ROOT, version, 'bin', tool));
  }
  const found = candidates.find((candidate) => existsSync(candidate));
  if (found) return found;
  throw new RecoveryError('env:postgres_tools', `${tool} (PostgreSQL's client programs) is not installed`, {
    hint: 'install them (apt-get install -y postgresql-client) or set POSTGRES_BIN to the folder holding pg_dump, pg_restore and psql',
  });
}

/** DATABASE_URL split into a URL without its password and the PG* environment that carries it. */
export function connectionFor(databaseUrl: string): { dbname: string; env: NodeJS.ProcessEnv } {
  const url = new URL(databaseUrl);
  const password = decodeURIComponent(url.password);
  url.password = '';
  return { dbname: url.toString(), env: password === '' ? {} : { PGPASSWORD: password } };
}

/**
 * Run a PostgreSQL client program; resolves with its stdout, or rejects with a RecoveryError
 * holding its last lines of stderr. `input` is written to its stdin (psql scripts).
 */
export function runPostgresTool(options: {
  tool: PostgresTool;
  args: string[];
  /** The database to connect to; none for pg_restore reading only a dump file. */
  databaseUrl?: string;
  input?: string | Buffer | NodeJS.ReadableStream;
  what: string;
}): Promise<string> {
  const program = findPostgresTool(options.tool);
  const { dbname, env } = options.databaseUrl === undefined ? { dbname: undefined, env: {} } : connectionFor(options.databaseUrl);
  return new Promise((resolve, reject) => {
    const child = spawn(program, dbname === undefined ? options.args : [...options.args, `--dbname=${dbname}`], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...env, PGCONNECT_TIMEOUT: process.env.PGCONNECT_TIMEOUT ?? '10' },
    });
    const stdout: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-8_000)));
    child.once('error', (error) => reject(new RecoveryError('env:postgres_tools', `Could not run ${program} while ${options.what}: ${error.message}`, { cause: error })));
    child.once('close', (status) => {
      if (status === 0) return resolve(Buffer.concat(stdout).toString());
      const detail = stderr.trim().split('\n').slice(-3).join(' / ') || `exit status ${status}`;
      reject(new RecoveryError('env:postgres', `${options.tool} failed while ${options.what}: ${hidePassword(detail, options.databaseUrl)}`, {
        hint: 'check that DATABASE_URL names a reachable database and that the client programs are as new as the server',
      }));
    });
    child.stdin.on('error', () => undefined);
    if (options.input === undefined) child.stdin.end();
    else if (typeof options.input === 'string' || Buffer.isBuffer(options.input)) child.stdin.end(options.input);
    else options.input.pipe(child.stdin);
  });
}

/** A tool's message with the password of DATABASE_URL (should it echo it) replaced by `***`. */
function hidePassword(text: string, databaseUrl: string | undefined): string {
  const password = databaseUrl === undefined ? '' : decodeURIComponent(new URL(databaseUrl).password);
  return password === '' ? text : text.replaceAll(password, '***');
}
