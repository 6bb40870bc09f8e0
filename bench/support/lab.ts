import { readFile } from 'node:fs/promises';
import type http from 'node:http';
import { loadAgent } from './sse-load.js';
import { startLab, type RunningLab } from '../../test/support/start-lab.js';

/**
 * The built lab in a child process for the benchmarks (test/support/start-lab.ts), against
 * an OpenRouter-format test server in this process, so its `closedAt` stamps share our
 * `performance.now()` clock. Node flags go to the child (`--cpu-prof` is not allowed in
 * NODE_OPTIONS).
 */
export interface BenchLab extends RunningLab {
  pid: number;
}

/** The built lab with a rate limit no benchmark reaches, and optional Node flags for the child (e.g. `--cpu-prof`). */
export async function startBenchLab(options: { env?: Record<string, string>; nodeArgs?: string[] } = {}): Promise<BenchLab> {
  const lab = await startLab({ env: { RATE_LIMIT_PER_MINUTE: '10000000', ...options.env }, ...(options.nodeArgs ? { nodeArgs: options.nodeArgs } : {}) });
  return Object.assign(lab, { pid: lab.child.pid! });
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

/**
 * Start a bench lab and one keep-alive agent per side (direct to the test server, through the
 * lab), run `body`, and always clean up; when the lab died meanwhile, the error carries its
 * last output.
 */
export async function withBenchLab<T>(
  section: string,
  body: (context: { lab: BenchLab; agents: { direct: http.Agent; lab: http.Agent } }) => Promise<T>,
): Promise<T> {
  const lab = await startBenchLab();
  const agents = { direct: loadAgent(), lab: loadAgent() };
  try {
    return await body({ lab, agents });
  } catch (error) {
    const exit = lab.child.exitCode ?? lab.child.signalCode;
    if (exit !== null) throw new Error(`the lab exited (${exit}) during the ${section} benchmark; its last output:\n${lab.output().slice(-3000)}`, { cause: error });
    throw error;
  } finally {
    agents.direct.destroy();
    agents.lab.destroy();
    await lab.close();
  }
}
