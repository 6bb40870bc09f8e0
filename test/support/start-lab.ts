import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startOpenRouterServer } from './openrouter-server.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The built server entry; `npm test` builds before running tests. */
export const SERVER_ENTRY = path.join(root, 'dist', 'server', 'main.js');
export const CLI_ENTRY = path.join(root, 'bin', 'agent-lab.js');
export const REPO_ROOT = root;

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface RunningLab {
  url: string;
  port: number;
  cwd: string;
  dataDir: string;
  logFile: string;
  accessLog: string;
  providerUrl: string;
  provider: Awaited<ReturnType<typeof startOpenRouterServer>>;
  child: ChildProcess;
  /** Everything the lab printed so far. */
  output(): string;
  /** Stop the lab (SIGTERM) and the test provider; remove the temp dir unless `keep`. */
  close(options?: { keep?: boolean }): Promise<void>;
}

/**
 * Start the real, built lab in a child process, in a fresh working directory, against a
 * fresh OpenRouter-format test server on loopback. Resolves once `/health` answers.
 */
export async function startLab(
  options: { env?: Record<string, string>; cwd?: string; nodeArgs?: string[]; /** How long /health may take to answer (default 20 s). */ startTimeoutMs?: number } = {},
): Promise<RunningLab> {
  if (!existsSync(SERVER_ENTRY)) throw new Error(`${SERVER_ENTRY} is missing: run \`npm run build\` first.`);
  const provider = await startOpenRouterServer();
  const cwd = options.cwd ?? (await mkdtemp(path.join(os.tmpdir(), 'agent-lab-')));
  const port = await freePort();
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? cwd,
    PORT: String(port),
    HOST: '127.0.0.1',
    OPENROUTER_BASE_URL: provider.url,
    OPENROUTER_API_KEY: 'sk-or-test-key-0123456789',
    DATA_DIR: path.join(cwd, 'data'),
    LOG_FILE: path.join(cwd, 'logs', 'app.log'),
    ACCESS_LOG: path.join(cwd, 'logs', 'access.log'),
    BACKUP_DIR: path.join(cwd, 'backups'),
    READ_ONLY_FLAG: path.join(cwd, 'READ_ONLY_MODE'),
    MAINTENANCE_FLAG: path.join(cwd, 'MAINTENANCE_MODE'),
    BACKUP_INTERVAL_HOURS: '0',
    FETCH_ALLOW_PRIVATE: 'false',
    RATE_LIMIT_PER_MINUTE: '100000',
    ...options.env,
  };
  let output = '';
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), SERVER_ENTRY], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  // The last 200 kB of output: enough for any failure report, bounded for long benchmark runs.
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-200_000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  const startTimeoutMs = options.startTimeoutMs ?? 20_000;
  const deadline = Date.now() + startTimeoutMs;
  for (;;) {
    if (child.exitCode !== null) {
      await provider.close();
      throw new Error(`the lab exited with code ${child.exitCode} during start-up:\n${output}`);
    }
    try {
      const response = await fetch(`${url}/health`);
      if (response.status === 200 || response.status === 503) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      await provider.close();
      throw new Error(`the lab did not answer /health within ${startTimeoutMs / 1000} s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url,
    port,
    cwd,
    dataDir: env.DATA_DIR!,
    logFile: env.LOG_FILE!,
    accessLog: env.ACCESS_LOG!,
    providerUrl: provider.url,
    provider,
    child,
    output: () => output,
    async close(closeOptions = {}) {
      // a child killed by a signal has no exit code, but a signal code
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 12_000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      await provider.close();
      if (!closeOptions.keep && !options.cwd) await rm(cwd, { recursive: true, force: true });
    },
  };
}
