import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, statSync } from 'node:fs';
import { copyFile, mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Prerequisite } from '../support/prerequisites.js';
import { REPO_ROOT, freePort } from '../support/start-lab.js';

/** The deployment kit's files. */
export const DEPLOY_DIR = path.join(REPO_ROOT, 'deploy');
export const deployFile = (...parts: string[]) => path.join(DEPLOY_DIR, ...parts);
export const readDeployFile = (...parts: string[]) => readFileSync(deployFile(...parts), 'utf8');

const SEARCH_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** Absolute path of a program (PATH plus the sbin directories a non-root PATH lacks), or undefined. */
export function findProgram(name: string): string | undefined {
  const directories = [...(process.env.PATH ?? '').split(path.delimiter), ...SEARCH_PATH].filter(Boolean);
  for (const directory of directories) {
    const candidate = path.join(directory, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** A program the tests need, found like `findProgram`, with the Debian package that has it. */
export function programPrerequisite(program: string, debianPackage: string): Prerequisite {
  return { name: program, available: findProgram(program) !== undefined, install: `apt-get install -y ${debianPackage} (.ci/run installs it)` };
}

export const isRoot = process.getuid?.() === 0;

/** A temp directory readable by other users (nginx workers, the `nobody` preflight). */
export async function tempDir(prefix: string): Promise<string> {
  const directory = await mkdtemp(path.join(os.tmpdir(), prefix));
  chmodSync(directory, 0o755);
  return directory;
}

export function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): SpawnSyncReturns<string> {
  return spawnSync(command, args, {
    cwd: options.cwd ?? REPO_ROOT,
    env: options.env ?? process.env,
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 60_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Run asynchronously (the event loop keeps serving in-process servers), collecting output. */
export function runAsync(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd ?? REPO_ROOT, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.once('error', reject);
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

export async function waitFor<T>(probe: () => Promise<T | undefined> | T | undefined, options: { timeoutMs?: number; what: string }): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${options.what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export interface RunningNginx {
  url: string;
  port: number;
  prefix: string;
  wwwDir: string;
  logDir: string;
  conf: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * deploy/nginx/agent-lab.conf adapted for a test on loopback: the listen lines, the upstream
 * port and the www/log directories replaced (each must exist in the shipped file, so the
 * test follows it), wrapped in a minimal nginx.conf with every path under a temp prefix.
 */
export function adaptNginxConf(options: { source: string; port: number; labPort: number; wwwDir: string; logDir: string }): string {
  const replacements: Array<[string | RegExp, string]> = [
    [/^(\s*)listen 80;$/m, `$1listen 127.0.0.1:${options.port};`],
    [/^\s*listen \[::\]:80;\n/m, ''],
    ['server 127.0.0.1:7860;', `server 127.0.0.1:${options.labPort};`],
    [/\/var\/www\/agent-lab/g, options.wwwDir],
    [/\/var\/log\/nginx\//g, `${options.logDir}/`],
  ];
  let text = options.source;
  for (const [pattern, replacement] of replacements) {
    const next = text.replace(pattern, replacement);
    if (next === text) throw new Error(`deploy/nginx/agent-lab.conf no longer contains ${String(pattern)}: update the test`);
    text = next;
  }
  return text;
}

export function wrapperNginxConf(options: { prefix: string; include: string; daemon: boolean }): string {
  const { prefix } = options;
  return [
    options.daemon ? '' : 'daemon off;',
    'master_process on;',
    'worker_processes 1;',
    isRoot ? 'user root;' : '',
    `pid ${prefix}/nginx.pid;`,
    `error_log ${prefix}/logs/error.log;`,
    'events { worker_connections 128; }',
    'http {',
    '  include /etc/nginx/mime.types;',
    '  default_type application/octet-stream;',
    `  access_log ${prefix}/logs/default.access.log;`,
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `  ${kind}_temp_path ${prefix}/tmp/${kind};`),
    `  include ${options.include};`,
    '}',
    '',
  ].join('\n');
}

/** Start real nginx (foreground, its own prefix) in front of the lab on `labPort` (and any `moreLabPorts`: one upstream, round robin). */
export async function startNginx(options: { labPort: number; moreLabPorts?: number[] }): Promise<RunningNginx> {
  const nginx = findProgram('nginx');
  if (!nginx) throw new Error('nginx is not installed');
  const prefix = await tempDir('agent-lab-nginx-');
  const wwwDir = path.join(prefix, 'www');
  const logDir = path.join(prefix, 'logs');
  await mkdir(wwwDir, { recursive: true });
  await mkdir(logDir, { recursive: true });
  await mkdir(path.join(prefix, 'tmp'), { recursive: true });
  await writeFile(path.join(wwwDir, 'maintenance.html'), readDeployFile('www', 'maintenance.html'));
  const port = await freePort();
  const siteConf = path.join(prefix, 'agent-lab.conf');
  const site = adaptNginxConf({ source: readDeployFile('nginx', 'agent-lab.conf'), port, labPort: options.labPort, wwwDir, logDir });
  const servers = [options.labPort, ...(options.moreLabPorts ?? [])].map((labPort) => `server 127.0.0.1:${labPort};`).join('\n    ');
  await writeFile(siteConf, site.replace(`server 127.0.0.1:${options.labPort};`, servers));
  const conf = path.join(prefix, 'nginx.conf');
  await writeFile(conf, wrapperNginxConf({ prefix, include: siteConf, daemon: false }));
  let output = '';
  const child = spawn(nginx, ['-p', prefix, '-c', conf, '-e', path.join(logDir, 'error.log')], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}: ${output}`);
      return (await portAnswers(port)) || undefined;
    },
    { what: 'nginx to listen', timeoutMs: 10_000 },
  );
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    prefix,
    wwwDir,
    logDir,
    conf,
    child,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      await rm(prefix, { recursive: true, force: true });
    },
  };
}

/** True when users other than the owner can reach `file` (every directory above it searchable) and have `mode` on it. */
function othersCanReach(file: string, mode: number): boolean {
  if ((statSync(file).mode & mode) === 0) return false;
  for (let directory = path.dirname(file); ; directory = path.dirname(directory)) {
    if ((statSync(directory).mode & 0o001) === 0) return false;
    if (directory === path.dirname(directory)) return true;
  }
}

/**
 * A node binary the service user (`nobody`) can run: this one, or a copy in `scratch` when it
 * lives somewhere only root can reach (a Node.js under /root/.cache, as CI's second run uses).
 */
export async function nodeForOtherUsers(scratch: string): Promise<string> {
  if (othersCanReach(process.execPath, 0o001)) return process.execPath;
  const node = path.join(scratch, 'node');
  await copyFile(process.execPath, node);
  chmodSync(node, 0o755);
  return node;
}
