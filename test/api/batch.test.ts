import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ENTRY, startLab, type RunningLab } from '../support/start-lab.js';
import { api } from '../support/sse-client.js';

/**
 * `agent-lab batch` as a user runs it: the built CLI in a child process against the built
 * lab (and the OpenRouter-format test server), checked through runs.csv.
 */

let lab: RunningLab;
let workDir: string;
const agents: Array<{ id: string; name: string }> = [];

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

function startCli(args: string[], options: { env?: Record<string, string> } = {}) {
  const child = spawn(process.execPath, [CLI_ENTRY, 'batch', '--url', lab.url, ...args], {
    cwd: workDir,
    env: { PATH: process.env.PATH ?? '', HOME: workDir, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<CliRun>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return { child, done, output: () => stdout + stderr };
}

const runCli = (args: string[], options: { env?: Record<string, string> } = {}) => startCli(args, options).done;

async function csvRows(): Promise<Record<string, string>[]> {
  return parse(await readFile(path.join(lab.dataDir, 'runs.csv'), 'utf8'), { columns: true });
}

async function promptFile(name: string, content: string): Promise<string> {
  const file = path.join(workDir, name);
  await writeFile(file, content);
  return file;
}

beforeAll(async () => {
  lab = await startLab();
  workDir = await mkdtemp(path.join(os.tmpdir(), 'agent-lab-batch-'));
  for (const [index, model] of ['openai/gpt-4o-mini', 'openai/gpt-4o', 'anthropic/claude-3.5-haiku'].entries()) {
    const created = await api(`${lab.url}/api/agents`, { body: { name: `Batch agent ${index}`, model, system_prompt: 'Be brief.' } });
    agents.push({ id: created.json.id, name: created.json.name });
  }
});
afterAll(async () => {
  await lab?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('agent-lab batch', () => {
  it('20 prompts × 3 agents, interrupted with SIGINT part-way and resumed, records each pair exactly once', async () => {
    const lines = Array.from({ length: 20 }, (_, index) => JSON.stringify({ prompt: `Question ${index + 1} [[scenario:slow delay=15 tokens=12]]`, task_label: index % 2 ? 'odd' : 'even' }));
    const file = await promptFile('prompts.jsonl', `${lines.join('\n')}\n`);
    const experiment = 'exp-batch-resume';
    const args = ['--prompts', file, '--agents', `${agents[0]!.id},${agents[1]!.name},${agents[2]!.id}`, '--concurrency', '4', '--experiment', experiment];

    const first = startCli(args);
    await expect
      .poll(async () => (await csvRows()).filter((row) => row.experiment_id === experiment && row.aborted === 'false').length, { timeout: 20_000, interval: 25 })
      .toBeGreaterThanOrEqual(15);
    first.child.kill('SIGINT');
    const interrupted = await first.done;
    expect(interrupted.code).toBe(130);
    expect(interrupted.stderr).toMatch(/interrupted/);
    expect(interrupted.stdout).toContain(`--experiment ${experiment}`); // the resume hint

    await expect.poll(async () => (await csvRows()).filter((row) => row.experiment_id === experiment && row.aborted === 'true').length, { timeout: 5000 }).toBeGreaterThan(0);
    const afterInterrupt = (await csvRows()).filter((row) => row.experiment_id === experiment);
    const cleanBefore = afterInterrupt.filter((row) => row.aborted === 'false' && row.error === '').length;
    const abortedRows = afterInterrupt.filter((row) => row.aborted === 'true').length;
    expect(cleanBefore).toBeLessThan(60);
    expect(abortedRows).toBeLessThanOrEqual(4);

    const resumed = await runCli([...args, '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    const outcome = JSON.parse(resumed.stdout);
    expect(outcome.already_done).toBe(cleanBefore);
    expect(outcome.ok).toBe(60 - cleanBefore);
    expect(outcome.agents.map((row: { agent_name: string }) => row.agent_name)).toEqual(agents.map((agent) => agent.name));

    const rows = (await csvRows()).filter((row) => row.experiment_id === experiment);
    const clean = rows.filter((row) => row.aborted === 'false' && row.error === '');
    const perPair = new Map<string, number>();
    for (const row of clean) perPair.set(`${row.agent_id} ${row.run_notes}`, (perPair.get(`${row.agent_id} ${row.run_notes}`) ?? 0) + 1);
    expect(perPair.size).toBe(60);
    expect([...perPair.values()].every((count) => count === 1)).toBe(true);
    for (const agent of agents) {
      for (let prompt = 1; prompt <= 20; prompt++) expect(perPair.get(`${agent.id} batch:${prompt}:1`)).toBe(1);
    }
    // nothing ran twice: every other row is one of the pairs the interrupt aborted
    expect(rows.length).toBe(60 + abortedRows);
    expect(clean.find((row) => row.run_notes === 'batch:2:1')?.task_label).toBe('odd');

    // run again: everything is done, nothing new is recorded
    const again = await runCli([...args, '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout).already_done).toBe(60);
    expect((await csvRows()).filter((row) => row.experiment_id === experiment)).toHaveLength(rows.length);
  });

  it('two batches started together without --experiment get distinct experiment ids, each running all its pairs', async () => {
    const file = await promptFile('twice.jsonl', '{"prompt": "one"}\n{"prompt": "two"}\n');
    const results = await Promise.all([0, 1].map(() => runCli(['--prompts', file, '--agents', agents[0]!.id, '--json'])));
    const outcomes = results.map((result) => {
      expect(result.code, result.stderr).toBe(0);
      return JSON.parse(result.stdout) as { experiment_id: string; ok: number; already_done: number };
    });
    expect(outcomes[0]!.experiment_id).not.toBe(outcomes[1]!.experiment_id);
    for (const outcome of outcomes) {
      expect(outcome.experiment_id).toMatch(/^batch-[0-9a-f]{8}-[0-9a-f]{4}-7/);
      expect(outcome).toMatchObject({ ok: 2, already_done: 0 });
      expect((await csvRows()).filter((row) => row.experiment_id === outcome.experiment_id)).toHaveLength(2);
    }
  });

  it('--repeat and a CSV prompt file; ends with a per-agent summary table', async () => {
    const file = await promptFile('prompts.csv', 'id,prompt,task_label\n1,"Hello, there",greet\n2,"Say ""hi""",quote\n');
    const result = await runCli(['--prompts', file, '--agents', agents[0]!.name, '--repeat', '2', '--experiment', 'exp-batch-csv']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/agent\s+model\s+runs\s+errors\s+aborted\s+lat p50\s+lat p95\s+ttft p50\s+ttft p95\s+tok\/s\s+cost\/run\s+cost total/);
    expect(result.stdout).toMatch(new RegExp(`${agents[0]!.name}\\s+openai/gpt-4o-mini\\s+4\\s+0\\s+0`));
    const rows = (await csvRows()).filter((row) => row.experiment_id === 'exp-batch-csv');
    expect(rows.map((row) => row.run_notes).sort()).toEqual(['batch:1:1', 'batch:1:2', 'batch:2:1', 'batch:2:2']);
    expect(rows.filter((row) => row.task_label === 'quote')).toHaveLength(2);
  });

  it('a failing prompt is recorded as an error, counted in the summary, and the exit code says so', async () => {
    const file = await promptFile('failing.jsonl', '{"prompt": "fine"}\n{"prompt": "breaks [[scenario:mid-error after=2]]"}\n');
    const result = await runCli(['--prompts', file, '--agents', agents[1]!.id, '--experiment', 'exp-batch-fail', '--json']);
    expect(result.code).toBe(1);
    const outcome = JSON.parse(result.stdout);
    expect(outcome.ok).toBe(1);
    expect(outcome.failed).toBe(1);
    expect(outcome.agents[0]).toMatchObject({ runs: 2, errors: 1 });
  });
});

describe('agent-lab batch (bad input)', () => {
  it('an empty prompt file → a clear error, exit 2, nothing run', async () => {
    const file = await promptFile('empty.jsonl', '\n  \n');
    const result = await runCli(['--prompts', file, '--agents', agents[0]!.id]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/empty\.jsonl is empty/);
  });

  it('a malformed line is named by its line number; --on-bad-line stop (default) runs nothing, skip runs the rest', async () => {
    const file = await promptFile('bad.jsonl', '{"prompt": "one"}\n{"prompt": "two"}\n{"prompt": oops}\n{"prompt": ""}\n{"prompt": "five"}\n');
    const before = (await csvRows()).length;
    const stopped = await runCli(['--prompts', file, '--agents', agents[0]!.id, '--experiment', 'exp-bad-stop']);
    expect(stopped.code).toBe(2);
    expect(stopped.stderr).toMatch(/line 3: not valid JSON/);
    expect((await csvRows()).length).toBe(before);

    const skipped = await runCli(['--prompts', file, '--agents', agents[0]!.id, '--experiment', 'exp-bad-skip', '--on-bad-line', 'skip']);
    expect(skipped.code, skipped.stderr).toBe(0);
    expect(skipped.stderr).toMatch(/skipped .*bad\.jsonl, line 3: not valid JSON/);
    expect(skipped.stderr).toMatch(/line 4: "prompt" must not be empty/);
    const rows = (await csvRows()).filter((row) => row.experiment_id === 'exp-bad-skip');
    expect(rows.map((row) => row.run_notes).sort()).toEqual(['batch:1:1', 'batch:2:1', 'batch:5:1']);
  });

  it('a CSV without a prompt column, an unknown agent, a bad --repeat → exit 2 with the reason', async () => {
    const noColumn = await promptFile('nocol.csv', 'question\nhello\n');
    const good = await promptFile('good.jsonl', '{"prompt": "hi"}\n');
    const cases: Array<[string[], RegExp]> = [
      [['--prompts', noColumn, '--agents', agents[0]!.id], /no "prompt" column/],
      [['--prompts', good, '--agents', 'no-such-agent'], /No agent "no-such-agent"/],
      [['--prompts', good, '--agents', agents[0]!.id, '--repeat', '0'], /repeat/],
      [['--prompts', path.join(workDir, 'missing.jsonl'), '--agents', agents[0]!.id], /Cannot read the prompt file .*ENOENT/],
    ];
    for (const [args, pattern] of cases) {
      const result = await runCli(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(pattern);
    }
  });
});

describe('agent-lab batch against a lab with a token', () => {
  let locked: RunningLab;
  beforeAll(async () => {
    locked = await startLab({ env: { LAB_AUTH_TOKEN: 'batch-test-token-0123456789abcdef' } });
  });
  afterAll(async () => locked?.close());

  it('uses LAB_AUTH_TOKEN (or --token) as a bearer token, and says so when it is missing', async () => {
    const headers = { authorization: 'Bearer batch-test-token-0123456789abcdef' };
    const agent = await api(`${locked.url}/api/agents`, { body: { name: 'Locked', model: 'openai/gpt-4o-mini' }, headers });
    const file = await promptFile('one.jsonl', '{"prompt": "hi"}\n');
    const args = ['--prompts', file, '--agents', agent.json.id, '--experiment', 'exp-token'];
    const spawnAgainst = (extra: string[], env: Record<string, string> = {}) =>
      new Promise<CliRun>((resolve) => {
        const child = spawn(process.execPath, [CLI_ENTRY, 'batch', '--url', locked.url, ...args, ...extra], { cwd: workDir, env: { PATH: process.env.PATH ?? '', HOME: workDir, ...env } });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });
    const refused = await spawnAgainst([]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/--token or LAB_AUTH_TOKEN/);
    const withEnv = await spawnAgainst([], { LAB_AUTH_TOKEN: 'batch-test-token-0123456789abcdef' });
    expect(withEnv.code, withEnv.stderr).toBe(0);
    const withFlag = await spawnAgainst(['--token', 'batch-test-token-0123456789abcdef', '--experiment', 'exp-token-2']);
    expect(withFlag.code, withFlag.stderr).toBe(0);
    expect(refused.stdout + refused.stderr + withEnv.stdout + withEnv.stderr).not.toContain('batch-test-token');
  });
});
