import { spawn } from 'node:child_process';
import { chmodSync, existsSync, readdirSync } from 'node:fs';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { Prerequisite } from './prerequisites.js';
import { freePort } from './start-lab.js';

/**
 * A throwaway PostgreSQL for tests, from Debian's packages (`postgresql`): `initdb` in a temp
 * directory, started on 127.0.0.1 at a free port with its socket in that directory, one
 * database per test file, stopped and deleted at the end. PostgreSQL refuses to run as root,
 * so as root the cluster runs as the `postgres` OS user (`runuser`), its directory chowned to it.
 */

const POSTGRES_ROOT = '/usr/lib/postgresql';
const SUPERUSER = 'lab';
/** A password with URL-special characters, so tests see that it is never shown. */
export const POSTGRES_TEST_PASSWORD = 'pg-secret:p@ss/word';

/** The newest installed PostgreSQL's bin directory (POSTGRES_BIN overrides), or undefined. */
export function postgresBinDirectory(): string | undefined {
  const override = process.env.POSTGRES_BIN;
  if (override) return existsSync(path.join(override, 'initdb')) ? override : undefined;
  if (!existsSync(POSTGRES_ROOT)) return undefined;
  const versions = readdirSync(POSTGRES_ROOT)
    .filter((name) => /^\d+$/.test(name) && existsSync(path.join(POSTGRES_ROOT, name, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : path.join(POSTGRES_ROOT, versions[0], 'bin');
}

const isRoot = process.getuid?.() === 0;

/** PostgreSQL's server programs, for `missing(...)`. */
export function postgresPrerequisite(): Prerequisite {
  const bin = postgresBinDirectory();
  const runuser = !isRoot || ['/usr/sbin/runuser', '/sbin/runuser', '/usr/bin/runuser'].some((file) => existsSync(file));
  return {
    name: 'PostgreSQL server (initdb, pg_ctl)',
    available: bin !== undefined && runuser,
    install: 'apt-get install -y postgresql (.ci/run installs it), or set POSTGRES_BIN to a directory holding initdb and pg_ctl',
  };
}

export interface PostgresCluster {
  host: string;
  port: number;
  /** Create an empty database and return its URL (with the superuser's password). */
  createDatabase(name?: string): Promise<string>;
  /** The URL of an existing database. */
  url(database: string): string;
  /** The server's log so far (for failure messages). */
  log(): Promise<string>;
  /** Stop the server at once, keeping its data (`start()` brings it back on the same port). */
  halt(): Promise<void>;
  /** Start a halted server again. */
  start(): Promise<void>;
  /** Stop the server at once and delete its directory. */
  stop(): Promise<void>;
}

function execute(command: string, args: string[], options: { asPostgres: boolean; timeoutMs?: number }): Promise<string> {
  const [program, programArgs] = options.asPostgres ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
  return new Promise((resolve, reject) => {
    const child = spawn(program, programArgs as string[], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C.UTF-8' } });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.once('error', reject);
    child.once('close', (status) => {
      clearTimeout(timer);
      if (status === 0) resolve(output);
      else reject(new Error(`${command} ${args.join(' ')} exited with ${status}: ${output}`));
    });
  });
}

let databaseCounter = 0;

/** initdb and start a cluster; call `stop()` in afterAll. */
export async function startPostgres(): Promise<PostgresCluster> {
  const bin = postgresBinDirectory();
  if (!bin) throw new Error('PostgreSQL is not installed: apt-get install -y postgresql');
  const root = await mkdtemp(path.join(os.tmpdir(), 'agent-lab-pg-'));
  chmodSync(root, 0o755);
  const dataDir = path.join(root, 'data');
  const socketDir = path.join(root, 'socket');
  const passwordFile = path.join(root, 'password');
  const logFile = path.join(root, 'postgres.log');
  await mkdir(socketDir);
  await writeFile(passwordFile, `${POSTGRES_TEST_PASSWORD}\n`, { mode: 0o600 });
  if (isRoot) await execute('chown', ['-R', 'postgres:postgres', root], { asPostgres: false });
  const asPostgres = isRoot;
  await execute(
    path.join(bin, 'initdb'),
    ['-D', dataDir, '-U', SUPERUSER, `--pwfile=${passwordFile}`, '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--no-sync'],
    { asPostgres, timeoutMs: 120_000 },
  );
  const port = await freePort();
  // fsync off: the tests kill lab processes, never the database server, and disk time is shared.
  const serverOptions = [`-p ${port}`, `-k ${socketDir}`, "-c listen_addresses='127.0.0.1'", '-c fsync=off', '-c full_page_writes=off', '-c max_connections=100', '-c shared_buffers=32MB'].join(' ');
  const start = () => execute(path.join(bin, 'pg_ctl'), ['-D', dataDir, '-l', logFile, '-o', serverOptions, '-w', '-t', '60', 'start'], { asPostgres, timeoutMs: 90_000 });
  const halt = () => execute(path.join(bin, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', '-w', 'stop'], { asPostgres, timeoutMs: 60_000 });
  await start();

  const host = '127.0.0.1';
  const url = (database: string) => `postgres://${SUPERUSER}:${encodeURIComponent(POSTGRES_TEST_PASSWORD)}@${host}:${port}/${database}`;
  let stopped = false;
  return {
    host,
    port,
    url,
    async createDatabase(name) {
      databaseCounter += 1;
      const database = name ?? `lab_${process.pid}_${databaseCounter}`;
      const client = new pg.Client({ connectionString: url('postgres') });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
      } finally {
        await client.end();
      }
      return url(database);
    },
    log: () => readFile(logFile, 'utf8').catch(() => ''),
    async halt() {
      await halt();
    },
    async start() {
      await start();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        // already halted is fine: the directory goes either way
        await halt().catch(() => undefined);
      } finally {
        await rm(root, { recursive: true, force: true });
      }
    },
  };
}
