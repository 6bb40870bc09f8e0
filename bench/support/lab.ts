import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startOpenRouterServer, type OpenRouterServer } from '../../test/support/openrouter-server.js';
import { freePort, SERVER_ENTRY } from '../../test/support/start-lab.js';
import { sleep } from './stats.js';

/**
 * The built lab in a child process for the benchmarks, against an OpenRouter-format test
 * server in this process (so its `closedAt` stamps share our `performance.now()` clock).
 * Like test/support/start-lab.ts, plus Node flags for the child (`--cpu-prof` is not
 * allowed in NODE_OPTIONS) and a rate limit no benchmark reaches.
 */
export interface BenchLab {
  url: string;
  pid: number;
  cwd: string;
  dataDir: string;
  provider: OpenRouterServer;
  child: ChildProcess;
  output(): string;
  /** SIGTERM (a graceful exit writes a CPU profile), then remove the working directory. */
  close(): Promise<void>;
}

export async function startBenchLab(options: { env?: Record<string, string>; nodeArgs?: string[] } = {}): Promise<BenchLab> {
  if (!existsSync(SERVER_ENTRY)) throw new Error(`${SERVER_ENTRY} is missing: run \`npm run build\` first.`);
  const provider = await startOpenRouterServer();
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'agent-lab-bench-'));
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
    RATE_LIMIT_PER_MINUTE: '10000000',
    ...options.env,
  };
  let output = '';
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), SERVER_ENTRY], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
  child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      await provider.close();
      throw new Error(`the lab exited with code ${child.exitCode} during start-up:\n${output}`);
    }
    try {
      const response = await fetch(`${url}/health`);
      await response.arrayBuffer();
      if (response.status === 200 || response.status === 503) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      await provider.close();
      throw new Error(`the lab did not answer /health within 30 s:\n${output}`);
    }
    await sleep(50);
  }
  return {
    url,
    pid: child.pid!,
    cwd,
    dataDir: env.DATA_DIR!,
    provider,
    child,
    output: () => output,
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await Promise.race([exited, sleep(15_000)]);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
      await provider.close();
      await rm(cwd, { recursive: true, force: true });
    },
  };
}

/** Resident set size of a process in KB, from /proc/<pid>/status. */
export async function rssKb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]);
}

/** Create an agent on the lab and return its id. */
export async function createAgent(url: string, agent: { name?: string; model?: string; system_prompt?: string; max_tokens?: number; temperature?: number } = {}): Promise<string> {
  const response = await fetch(`${url}/api/agents`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...agent, name: agent.name ?? 'bench', model: agent.model ?? 'openai/gpt-4o-mini', system_prompt: agent.system_prompt ?? 'Be brief.' }),
  });
  const json = (await response.json()) as { id?: string; agent?: { id?: string } };
  const id = json.id ?? json.agent?.id;
  if (response.status >= 300 || !id) throw new Error(`creating an agent failed: ${response.status} ${JSON.stringify(json)}`);
  return id;
}

/** CPU time (user + system) a process has used so far, ms (10 ms resolution). */
export async function cpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch((error: unknown) => {
    throw new Error(`process ${pid} is gone (did the lab exit?)`, { cause: error });
  });
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of /proc/<pid>/stat (utime, stime) are the 12th and 13th after the name.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}
