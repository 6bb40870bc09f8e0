import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, postSse } from '../support/sse-client.js';
import { CLI_ENTRY, startLab, type RunningLab } from '../support/start-lab.js';

/**
 * Evaluations end to end: the real lab, the real CLI, the OpenRouter-format test server with
 * its scripted answering models (test/good, test/bad) and judges (fair, biased, prose).
 */

let lab: RunningLab;
const agents: Record<string, string> = {};

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runEvalCli(args: string[]): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI_ENTRY, 'eval', '--url', lab.url, ...args], { cwd: lab.cwd, env: { PATH: process.env.PATH ?? '', HOME: lab.cwd } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const SMOKE = `name: smoke
agents: [Good, Bad]
repeat: 2
judge: Fair
pairwise: { rubric: 'Prefer the answer that says "hello".', judge: Biased }
cases:
  - id: greet
    input: "Say hello"
    assert:
      - { type: icontains, value: "hello" }
      - { type: max-latency-ms, value: 60000 }
      - { type: llm-rubric, value: 'The answer must say "hello".' }
  - id: echo
    input: "Repeat the word banana"
    assert:
      - { type: contains, value: "banana" }
`;

beforeAll(async () => {
  lab = await startLab();
  for (const [name, model] of [['Good', 'test/good'], ['Bad', 'test/bad'], ['Fair', 'test/judge-fair'], ['Biased', 'test/judge-biased'], ['Prose', 'test/judge-prose'], ['Flip', 'test/good']] as const) {
    const response = await api(`${lab.url}/api/agents`, { body: { name, model, system_prompt: 'Answer.' } });
    agents[name] = response.json.id;
  }
  await writeFile(path.join(lab.cwd, 'smoke.yaml'), SMOKE);
});
afterAll(async () => lab?.close());

function junitCounts(xml: string, suite: string): { tests: number; failures: number } {
  const match = new RegExp(`<testsuite name="${suite}[^"]*" tests="(\\d+)" failures="(\\d+)"`).exec(xml);
  if (!match) throw new Error(`no testsuite ${suite} in\n${xml}`);
  return { tests: Number(match[1]), failures: Number(match[2]) };
}

describe('agent-lab eval', () => {
  it('a good and a bad agent: exit 1, JUnit counts the bad agent failures, the biased judge yields ties, the leaderboard ranks them', async () => {
    const run = await runEvalCli(['smoke.yaml', '--experiment', 'exp-smoke', '--junit', 'smoke.xml']);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toMatch(/FAIL Bad greet #1: icontains:hello: the answer does not contain "hello"/);

    const xml = await readFile(path.join(lab.cwd, 'smoke.xml'), 'utf8');
    expect(junitCounts(xml, 'Good')).toEqual({ tests: 4, failures: 0 });
    expect(junitCounts(xml, 'Bad')).toEqual({ tests: 4, failures: 4 });
    expect(xml).toContain('<testsuites name="smoke" tests="8" failures="4"');
    expect(xml).toMatch(/<testcase classname="Bad \(test\/bad\)" name="greet #2" time="[\d.]+">\s*<failure message="icontains:hello: the answer does not contain &quot;hello&quot;/);

    const board = (await api(`${lab.url}/api/leaderboard?experiment_id=exp-smoke`)).json;
    expect(board.entries.map((entry: { agent_name: string; rank: number }) => [entry.rank, entry.agent_name])).toEqual([[1, 'Good'], [2, 'Bad']]);
    const [good, bad] = board.entries;
    expect(good.pass_rate).toMatchObject({ passed: 8, total: 8, rate: 1 });
    expect(bad.pass_rate).toMatchObject({ passed: 2, total: 8 }); // only max-latency passes
    expect(good.judge_score.mean).toBe(1);
    expect(bad.judge_score.mean).toBe(0);
    // Biased judge: "A" in both orders → every comparison a tie, every one a disagreement.
    expect(good.win_rate).toMatchObject({ wins: 0, ties: 4, losses: 0 });
    expect(board.judges).toEqual([{ judge: 'Biased', pairwise: 4, disagreements: 4 }]);
    expect(run.stdout).toMatch(/judge Biased: 4 of 4 pairwise verdicts disagreed/);
    expect(run.stdout).toMatch(/^1 +Good +test\/good +100%/m);

    // Judges' own calls are runs in the experiment, tagged judge and costed.
    const judgeRuns = (await api(`${lab.url}/api/runs?experiment_id=exp-smoke&task_label=judge`)).json.runs;
    expect(judgeRuns).toHaveLength(2 /* repeats */ * 2 /* agents */ + 4 /* pairs */ * 2 /* orders */);
  });

  it('the same --experiment resumes: nothing already scored runs again', async () => {
    const before = lab.provider.chatRequests().length;
    const again = await runEvalCli(['smoke.yaml', '--experiment', 'exp-smoke', '--json']);
    expect(again.code, again.stderr).toBe(1);
    expect(lab.provider.chatRequests().length).toBe(before);
    const summary = JSON.parse(again.stdout);
    expect(summary).toMatchObject({ units: 8, resumed_units: 8, failed_units: 4, pairwise: 0 });
  });

  it('a fair pairwise judge ranks by Bradley–Terry; --baseline fails a regression and names it', async () => {
    const jsonl = [
      JSON.stringify({ name: 'flip', agents: ['Flip', 'Bad'], pairwise: { rubric: 'Prefer the answer that says "hello".', judge: 'Fair' } }),
      JSON.stringify({ id: 'greet', input: 'Say hello', assert: [{ type: 'icontains', value: 'hello' }] }),
    ].join('\n');
    await writeFile(path.join(lab.cwd, 'flip.jsonl'), jsonl);
    const first = await runEvalCli(['flip.jsonl', '--agents', 'Flip', '--experiment', 'exp-flip-1']);
    expect(first.code, first.stderr + first.stdout).toBe(0);

    const both = await runEvalCli(['flip.jsonl', '--experiment', 'exp-flip-both', '--json']);
    const summary = JSON.parse(both.stdout);
    expect(summary.leaderboard.entries.map((entry: { agent_name: string }) => entry.agent_name)).toEqual(['Flip', 'Bad']);
    const [flip, bad] = summary.leaderboard.entries;
    expect(flip.win_rate).toMatchObject({ wins: 1, losses: 0 });
    expect(flip.bradley_terry.rating).toBeGreaterThan(bad.bradley_terry.rating);

    await api(`${lab.url}/api/agents/${agents.Flip}`, { method: 'PUT', body: { model: 'test/bad' } });
    const regressed = await runEvalCli(['flip.jsonl', '--agents', 'Flip', '--experiment', 'exp-flip-2', '--baseline', 'exp-flip-1']);
    expect(regressed.code).toBe(1);
    expect(regressed.stdout).toMatch(/below baseline: Flip on greet: 0% < 100% in exp-flip-1/);
  });

  it('bad usage exits 2 naming the line and field, or the unknown agent', async () => {
    await writeFile(path.join(lab.cwd, 'broken.yaml'), SMOKE.replace('value: 60000', 'value: soon'));
    const broken = await runEvalCli(['broken.yaml']);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/line 11: cases\.0\.assert\.1\.value/);
    const unknown = await runEvalCli(['smoke.yaml', '--agents', 'Good,Nobody']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Agent "Nobody" does not exist/);
    const missing = await runEvalCli(['no-such-file.yaml']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('ENOENT');
    const noBaseline = await runEvalCli(['smoke.yaml', '--baseline', 'never-ran']);
    expect(noBaseline.code).toBe(2);
  });
});

describe('POST /api/evals', () => {
  it('streams eval-start, results, scores and eval-end; a prose judge is a judge error, never a pass', async () => {
    const body = {
      name: 'api',
      agents: [agents.Good],
      cases: [{ id: 'c1', input: 'Say hello', assert: [{ type: 'llm-rubric', value: 'Says "hello"', judge: 'Prose' }] }],
      experiment_id: 'exp-api',
    };
    const response = await postSse({ url: `${lab.url}/api/evals`, body });
    expect(response.status).toBe(200);
    const names = response.events.map((event) => event.event);
    expect(names[0]).toBe('eval-start');
    expect(names.at(-1)).toBe('eval-end');
    const score = response.events.find((event) => event.event === 'score')!.data;
    expect(score).toMatchObject({ kind: 'judge', value: null, pass: null, eval_case: 'c1', reason: expect.stringMatching(/^judge error/) });
    const result = response.events.find((event) => event.event === 'result')!.data;
    expect(result.passed).toBe(false);

    const bad = await api(`${lab.url}/api/evals`, { body: { ...body, cases: [{ id: 'c1', input: 'x', assert: [{ type: 'nope' }] }] } });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatchObject({ code: 'bad_request:eval_file', message: expect.stringContaining('cases.0.assert.0.type') });
    const huge = await api(`${lab.url}/api/evals`, { body: { ...body, repeat: 100, cases: Array.from({ length: 1001 }, (_, index) => ({ id: `c${index}`, input: 'x' })) } });
    expect(huge.status).toBe(400);
    expect(huge.json.error.message).toContain('at most 100000');
    const unknown = await api(`${lab.url}/api/evals`, { body: { ...body, agents: ['ghost'] } });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.message).toContain('ghost');
  });
});
