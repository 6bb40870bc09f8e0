import { readFile, writeFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCORE_COLUMNS } from '../../src/domain/score.js';
import { api, postSse } from '../support/sse-client.js';
import { startLab, type RunningLab } from '../support/start-lab.js';

let lab: RunningLab;
const agents: Record<string, string> = {};

async function createAgent(name: string, model: string): Promise<string> {
  const response = await api(`${lab.url}/api/agents`, { body: { name, model, system_prompt: 'Answer.' } });
  expect(response.status).toBe(201);
  return response.json.id as string;
}

async function chat(agentId: string, message: string, experimentId: string): Promise<string> {
  const response = await api(`${lab.url}/api/chat`, { body: { agent_id: agentId, message, stream: false, tags: { experiment_id: experimentId } } });
  expect(response.status).toBe(200);
  return response.json.run.run_id as string;
}

beforeAll(async () => {
  lab = await startLab();
  for (const [name, model] of [['Good', 'test/good'], ['Bad', 'test/bad'], ['Fair', 'test/judge-fair'], ['Fenced', 'test/judge-fenced'], ['Biased', 'test/judge-biased'], ['Prose', 'test/judge-prose']] as const) {
    agents[name] = await createAgent(name, model);
  }
});
afterAll(async () => lab?.close());

describe('scores API', () => {
  it('records a thumbs rating, a check applied now and an A/B vote; lists them by run and experiment', async () => {
    const good = await chat(agents.Good!, 'Say hello', 'exp-scores');
    const bad = await chat(agents.Bad!, 'Say hello', 'exp-scores');
    const thumbs = await api(`${lab.url}/api/runs/${good}/scores`, { body: { kind: 'human', value: 1, reason: 'friendly', rater: 'ada' } });
    expect(thumbs.status).toBe(201);
    expect(thumbs.json.score).toMatchObject({ run_id: good, kind: 'human', value: 1, pass: true, rater: 'ada', experiment_id: 'exp-scores', agent_id: agents.Good, model: 'test/good' });
    const checked = await api(`${lab.url}/api/runs/${bad}/scores`, { body: { kind: 'check', assert: { type: 'icontains', value: 'hello' } } });
    expect(checked.json.score).toMatchObject({ kind: 'check', value: 0, pass: false, scorer: 'icontains:hello' });
    const vote = await api(`${lab.url}/api/runs/${good}/scores`, { body: { kind: 'pairwise', opponent_run_id: bad, winner: 'A' } });
    expect(vote.json.score).toMatchObject({ kind: 'pairwise', value: 1, pass: null, opponent_run_id: bad, scorer: 'human' });

    const byRun = await api(`${lab.url}/api/scores?run_id=${good}`);
    expect(byRun.json.count).toBe(2);
    const byExperiment = await api(`${lab.url}/api/scores?experiment_id=exp-scores&agent=Bad`);
    expect(byExperiment.json.scores.map((score: { kind: string }) => score.kind)).toEqual(['check']);

    const table = parse(await readFile(path.join(lab.dataDir, 'scores.csv'))) as string[][];
    expect(table[0]).toEqual([...SCORE_COLUMNS]);
    expect(table.slice(1).map((record) => record[1])).toEqual([thumbs.json.score.score_id, checked.json.score.score_id, vote.json.score.score_id]);
  });

  it('refuses bad input with 400 naming the field, unknown runs and agents with 404 naming them', async () => {
    const run = await chat(agents.Good!, 'hi', 'exp-bad');
    const badValue = await api(`${lab.url}/api/runs/${run}/scores`, { body: { kind: 'human', value: 0.5 } });
    expect(badValue.status).toBe(400);
    expect(badValue.json.error.message).toContain('value');
    const badCheck = await api(`${lab.url}/api/runs/${run}/scores`, { body: { kind: 'check', assert: { type: 'regex', value: '(' } } });
    expect(badCheck.status).toBe(400);
    expect(badCheck.json.error.message).toContain('regular expression');
    const missing = await api(`${lab.url}/api/runs/no-such-run/scores`, { body: { kind: 'human', value: 1 } });
    expect(missing.status).toBe(404);
    expect(missing.json.error).toMatchObject({ code: 'not_found:run', message: expect.stringContaining('no-such-run') });
    const noJudge = await api(`${lab.url}/api/judge`, { body: { judge_agent_id: 'nobody', rubric: 'r', run_id: run } });
    expect(noJudge.status).toBe(404);
    expect(noJudge.json.error.message).toContain('nobody');
    const both = await api(`${lab.url}/api/judge`, { body: { judge_agent_id: agents.Fair, rubric: 'r', run_id: run, run_ids: [run, run] } });
    expect(both.status).toBe(400);
  });

  it('refuses score writes with 503 in read-only mode', async () => {
    const run = await chat(agents.Good!, 'hi', 'exp-ro');
    await writeFile(path.join(lab.cwd, 'READ_ONLY_MODE'), '');
    try {
      let response;
      for (let attempt = 0; attempt < 40; attempt += 1) {
        response = await api(`${lab.url}/api/runs/${run}/scores`, { body: { kind: 'human', value: 1 } });
        if (response.status === 503) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(response!.status).toBe(503);
      expect(response!.json.error.code).toBe('read_only:store');
    } finally {
      await rm(path.join(lab.cwd, 'READ_ONLY_MODE'));
    }
    for (let attempt = 0; attempt < 40; attempt += 1) {
      if ((await api(`${lab.url}/api/status`)).json?.read_only === false) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });
});

describe('judges', () => {
  it('a rubric judge is a recorded, costed run tagged judge; a fenced verdict reads, prose is a judge error', async () => {
    const good = await chat(agents.Good!, 'Say hello', 'exp-judge');
    const bad = await chat(agents.Bad!, 'Say hello', 'exp-judge');
    const rubric = 'The answer must say "hello".';
    const pass = await api(`${lab.url}/api/judge`, { body: { judge_agent_id: agents.Fair, rubric, run_id: good } });
    expect(pass.status).toBe(201);
    expect(pass.json.score).toMatchObject({ kind: 'judge', value: 1, pass: true, scorer: 'Fair' });
    const fail = await api(`${lab.url}/api/judge`, { body: { judge_agent_id: agents.Fenced, rubric, run_id: bad } });
    expect(fail.json.score).toMatchObject({ kind: 'judge', value: 0, pass: false });
    const prose = await api(`${lab.url}/api/judge`, { body: { judge_agent_id: agents.Prose, rubric, run_id: good } });
    expect(prose.json.score).toMatchObject({ kind: 'judge', value: null, pass: null, reason: expect.stringMatching(/^judge error: the answer is not JSON/) });
    expect(prose.json.judge_error).toBe(true);

    const runs = (await api(`${lab.url}/api/runs?experiment_id=exp-judge&task_label=judge`)).json.runs;
    expect(runs.map((run: { run_id: string }) => run.run_id).sort()).toEqual([pass.json.score.judge_run_id, fail.json.score.judge_run_id, prose.json.score.judge_run_id].sort());
    expect(runs.every((run: { cost_usd: number | null }) => run.cost_usd !== null && run.cost_usd > 0)).toBe(true);
  });

  it('pairwise asks in both orders: the fair judge picks the good answer either way, the biased judge yields a tie', async () => {
    const good = await chat(agents.Good!, 'Say hello', 'exp-pair');
    const bad = await chat(agents.Bad!, 'Say hello', 'exp-pair');
    const rubric = 'Prefer the answer that says "hello".';
    const fairForward = await api(`${lab.url}/api/judge`, { body: { judge_agent_id: agents.Fair, rubric, run_ids: [bad, good] } });
    expect(fairForward.json.score).toMatchObject({ kind: 'pairwise', run_id: bad, opponent_run_id: good, value: 0 });
    expect(fairForward.json.disagreement).toBe(false);
    expect(fairForward.json.judge_run_ids).toHaveLength(2);
    const biased = await api(`${lab.url}/api/judge`, { body: { judge_agent_id: agents.Biased, rubric, run_ids: [bad, good] } });
    expect(biased.json.score).toMatchObject({ kind: 'pairwise', value: 0.5, reason: expect.stringMatching(/^position bias:/) });
    expect(biased.json.disagreement).toBe(true);
    const prose = await api(`${lab.url}/api/judge`, { body: { judge_agent_id: agents.Prose, rubric, run_ids: [good, bad] } });
    expect(prose.json.score).toMatchObject({ kind: 'judge', value: null, pass: null });

    const board = (await api(`${lab.url}/api/leaderboard?experiment_id=exp-pair`)).json;
    expect(board.entries.map((entry: { agent_name: string }) => entry.agent_name)).toEqual(['Good', 'Bad']);
    expect(board.entries[0].win_rate).toMatchObject({ wins: 1, ties: 1, losses: 0 });
    expect(board.judges).toEqual(expect.arrayContaining([{ judge: 'Biased', pairwise: 1, disagreements: 1 }, { judge: 'Fair', pairwise: 1, disagreements: 0 }]));
  });

  it('a client that goes away stops the judge call: recorded as an aborted judge run', async () => {
    const run = await chat(agents.Good!, 'Say hello', 'exp-judge-stop');
    const before = lab.provider.requests.length;
    lab.provider.enqueue({ type: 'hang' });
    const controller = new AbortController();
    const pending = fetch(`${lab.url}/api/judge`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ judge_agent_id: agents.Fair, rubric: 'Says "hello"', run_id: run }),
      signal: controller.signal,
    }).catch((error: unknown) => error);
    await lab.provider.waitForRequest(before);
    controller.abort();
    await pending;
    let judgeRuns: Array<{ aborted: boolean }> = [];
    for (let attempt = 0; attempt < 50 && judgeRuns.length === 0; attempt += 1) {
      judgeRuns = (await api(`${lab.url}/api/runs?experiment_id=exp-judge-stop&task_label=judge`)).json.runs;
      if (judgeRuns.length === 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(judgeRuns).toHaveLength(1);
    expect(judgeRuns[0]!.aborted).toBe(true);
    expect(lab.provider.requests[before]!.aborted).toBe(true);
  });
});
