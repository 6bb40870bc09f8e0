import { existsSync } from 'node:fs';
import { readFile, writeFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { summariseFiltered } from '../../src/domain/history.js';
import { RUN_COLUMNS, runToCsvFields, type RunRecord } from '../../src/domain/run.js';
import { waitFor } from '../support/lab-data.js';
import { missing } from '../support/prerequisites.js';
import { POSTGRES_TEST_PASSWORD, postgresPrerequisite, startPostgres, type PostgresCluster } from '../support/postgres.js';
import { api, postSse } from '../support/sse-client.js';
import { checkSessionList } from '../support/session-list-checks.js';
import { CLI_ENTRY, startLab, type RunningLab } from '../support/start-lab.js';
import { runAsync } from '../deploy/support.js';

/** The password as it could leak: raw, and URL-encoded as it is in DATABASE_URL. */
const SECRETS = [POSTGRES_TEST_PASSWORD, encodeURIComponent(POSTGRES_TEST_PASSWORD), 'p@ss'];
const expectNoPassword = (text: string, where: string) => {
  for (const secret of SECRETS) expect(text.includes(secret), `${where} shows the database password`).toBe(false);
};

describe.skipIf(missing(postgresPrerequisite()))('PostgreSQL mode (DATABASE_URL) through the HTTP API', () => {
  let cluster: PostgresCluster;
  let databaseUrl: string;
  let lab: RunningLab;
  let agentId: string;

  const chat = async (body: Record<string, unknown>) => {
    const result = await postSse({ url: `${lab.url}/api/chat`, body: { agent_id: agentId, ...body } });
    expect(result.status).toBe(200);
    const end = result.events.find((event) => event.event === 'run-end');
    expect(end, JSON.stringify(result.events.slice(-2))).toBeDefined();
    return end!.data.run as RunRecord;
  };

  beforeAll(async () => {
    cluster = await startPostgres();
    databaseUrl = await cluster.createDatabase();
    lab = await startLab({ env: { DATABASE_URL: databaseUrl } });
  }, 180_000);
  afterAll(async () => {
    await lab?.close();
    await cluster?.stop();
  });

  it('keeps agents in the database: CRUD over HTTP, nothing written to DATA_DIR', async () => {
    const created = await api(`${lab.url}/api/agents`, { body: { name: 'Echo', model: 'openai/gpt-4o-mini', system_prompt: 'Be brief.', tools: ['add_numbers'] } });
    expect(created.status).toBe(201);
    agentId = created.json.id;
    const updated = await api(`${lab.url}/api/agents/${agentId}`, { method: 'PUT', body: { temperature: 0.3 } });
    expect(updated.json).toMatchObject({ name: 'Echo', temperature: 0.3 });
    const scratch = await api(`${lab.url}/api/agents`, { body: { name: 'Scratch', model: 'openai/gpt-4o-mini' } });
    expect((await api(`${lab.url}/api/agents/${scratch.json.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await api(`${lab.url}/api/agents/${scratch.json.id}`)).status).toBe(404);
    expect((await api(`${lab.url}/api/agents`)).json.agents.map((agent: { name: string }) => agent.name)).toContain('Echo');
    expect((await api(`${lab.url}/api/agents`, { body: { name: '' } })).status).toBe(400);
    expect(existsSync(path.join(lab.dataDir, 'agents.json'))).toBe(false);
  });

  it('lists sessions newest first, up to `limit`, and finds them by every word of a search, as in files mode', async () => {
    await checkSessionList(lab.url, 'pgmode');
  });

  it('streams chats and records each run and its session in the database', async () => {
    const first = await chat({ message: 'Hello [[scenario:normal text="Hi there, friend." cost=2.5e-05]]', tags: { experiment_id: 'pg-exp', task_label: 'greet', run_notes: 'a, "quoted"\nnote' } });
    const second = await chat({ session_id: first.session_id, message: 'Add [[scenario:tool-add a=2 b=3]]', tags: { experiment_id: 'pg-exp', task_label: 'math' } });
    // a lone surrogate (valid JSON, refused by jsonb) is stored as U+FFFD, not a failed save
    const odd = await chat({ message: 'Again \ud800 [[scenario:normal text="Other."]]', tags: { experiment_id: 'pg-other' } });
    expect((await api(`${lab.url}/api/sessions/${odd.session_id}`)).json.transcript[0].content).toContain('Again \uFFFD');

    const session = await api(`${lab.url}/api/sessions/${first.session_id}`);
    expect(session.status).toBe(200);
    expect(session.json.transcript.filter((entry: { role: string }) => entry.role === 'user')).toHaveLength(2);
    expect(session.json.runs.map((run: { run_id: string }) => run.run_id)).toEqual([first.run_id, second.run_id]);
    const listed = (await api(`${lab.url}/api/sessions`)).json.sessions.find((entry: { id: string }) => entry.id === first.session_id);
    expect(listed).toMatchObject({ turns: 2, runs: 2 });

    const runs = await api(`${lab.url}/api/runs?experiment_id=pg-exp`);
    expect(runs.json.runs.map((run: RunRecord) => run.run_id)).toEqual([first.run_id, second.run_id]);
    expect(runs.json.runs[0]).toEqual(first);
    expect((await api(`${lab.url}/api/runs?limit=1`)).json.runs).toHaveLength(1);
    expect((await api(`${lab.url}/api/runs?since=not-a-date`)).status).toBe(400);
    expect(existsSync(path.join(lab.dataDir, 'runs.csv'))).toBe(false);
    expect(existsSync(path.join(lab.dataDir, 'sessions'))).toBe(false);
  });

  it('answers queries holding U+0000 (which PostgreSQL text cannot hold) or bytes that are not UTF-8 as files mode does, never with a 5xx', async () => {
    const queries = [
      '/api/runs?experiment_id=nul%00exp',
      '/api/runs?model=%ED%B0%80%ff',
      '/api/runs/summary?experiment_id=nul%00exp',
      '/api/runs.csv?agent=%00',
      '/api/scores?experiment_id=nul%00exp',
      '/api/experiments?q=nul%00',
      '/api/leaderboard?experiment_id=nul%00exp',
      '/api/sessions?q=%00',
      '/api/compare?a=%00&b=x',
    ];
    for (const query of queries) {
      const answer = await fetch(`${lab.url}${query}`);
      expect(answer.status, `${query}: ${await answer.text()}`).toBe(200);
    }
    expect((await api(`${lab.url}/api/runs/nul%00id`)).status).toBe(404);
  });

  it('answers sessions CRUD with the same errors as files mode', async () => {
    const created = await api(`${lab.url}/api/sessions`, { body: { name: 'Notes', transcript: [{ role: 'user', content: 'hi' }] } });
    expect(created.status).toBe(201);
    const updated = await api(`${lab.url}/api/sessions/${created.json.id}`, { method: 'PUT', body: { name: 'Renamed' } });
    expect(updated.json.name).toBe('Renamed');
    expect((await api(`${lab.url}/api/sessions/bad.id`)).status).toBe(400);
    expect((await api(`${lab.url}/api/sessions/no-such-session`)).status).toBe(404);
    expect((await api(`${lab.url}/api/sessions/${created.json.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await api(`${lab.url}/api/sessions/${created.json.id}`)).status).toBe(404);
  });

  it('serves runs.csv in the files format and a summary equal to the reference over the same runs', async () => {
    const all = (await api(`${lab.url}/api/runs`)).json.runs as RunRecord[];
    const download = await fetch(`${lab.url}/api/runs.csv`);
    expect(download.headers.get('content-type')).toContain('text/csv');
    const records = parse(await download.text()) as string[][];
    expect(records[0]).toEqual([...RUN_COLUMNS]);
    expect(records.slice(1)).toEqual(all.map(runToCsvFields));
    expect(records.find((record) => record[RUN_COLUMNS.indexOf('run_notes')] === 'a, "quoted"\nnote')).toBeDefined();

    for (const query of ['', '?experiment_id=pg-exp', '?limit=2']) {
      const filter = Object.fromEntries(new URLSearchParams(query));
      const summary = await api(`${lab.url}/api/runs/summary${query}`);
      expect(summary.json).toEqual(summariseFiltered(all, { ...filter, ...(filter.limit ? { limit: Number(filter.limit) } : {}) }));
    }
    expect((await api(`${lab.url}/api/runs/summary`)).json.count).toBe(all.length);
  });

  it('records scores and ranks agents on the leaderboard from the database', async () => {
    const runs = (await api(`${lab.url}/api/runs?experiment_id=pg-exp`)).json.runs as RunRecord[];
    const up = await api(`${lab.url}/api/runs/${runs[0]!.run_id}/scores`, { body: { kind: 'human', value: 1, rater: 'ada' } });
    expect(up.status).toBe(201);
    const check = await api(`${lab.url}/api/runs/${runs[1]!.run_id}/scores`, { body: { kind: 'check', assert: { type: 'icontains', value: '5' } } });
    expect(check.status).toBe(201);
    expect((await api(`${lab.url}/api/runs/no-such-run/scores`, { body: { kind: 'human', value: 1 } })).status).toBe(404);
    const scores = await api(`${lab.url}/api/scores?experiment_id=pg-exp`);
    expect(scores.json.scores.map((score: { run_id: string; kind: string }) => [score.run_id, score.kind])).toEqual([
      [runs[0]!.run_id, 'human'],
      [runs[1]!.run_id, 'check'],
    ]);
    expect((await api(`${lab.url}/api/scores?kind=human&experiment_id=pg-exp`)).json.scores).toHaveLength(1);
    // A run filter selects the runs by id in the database (findRunIds).
    expect((await api(`${lab.url}/api/scores?model=${encodeURIComponent(runs[0]!.model)}&agent=${encodeURIComponent(runs[0]!.agent_name)}`)).json.scores.map((score: { run_id: string }) => score.run_id)).toContain(runs[0]!.run_id);
    const experiments = await api(`${lab.url}/api/experiments?q=PG-`);
    expect(experiments.json.experiments).toEqual([expect.objectContaining({ experiment_id: 'pg-other', runs: 1 }), expect.objectContaining({ experiment_id: 'pg-exp', runs: runs.length })]);
    const leaderboard = await api(`${lab.url}/api/leaderboard?experiment_id=pg-exp`);
    expect(leaderboard.status).toBe(200);
    expect(JSON.stringify(leaderboard.json)).toContain('Echo');
    const compare = await api(`${lab.url}/api/compare?a=pg-exp&b=pg-other`);
    expect(compare.status).toBe(200);
  });

  it('runs a bake-off and an eval (judge, pairwise, resume) on the database', async () => {
    const bakeoff = await postSse({ url: `${lab.url}/api/bakeoff`, body: { message: 'Race [[scenario:normal]]', agent: { name: 'Lanes', model: 'x' }, models: ['openai/gpt-4o-mini', 'openai/gpt-4o'] } });
    const start = bakeoff.events.find((event) => event.event === 'bakeoff-start')!.data;
    expect((await api(`${lab.url}/api/runs?bakeoff_id=${start.bakeoff_id}`)).json.count).toBe(2);

    for (const [name, model] of [['Good', 'test/good'], ['Bad', 'test/bad'], ['Fair', 'test/judge-fair'], ['Biased', 'test/judge-biased']]) {
      expect((await api(`${lab.url}/api/agents`, { body: { name, model, system_prompt: 'Answer.' } })).status).toBe(201);
    }
    await writeFile(
      path.join(lab.cwd, 'smoke.yaml'),
      ['name: smoke', 'agents: [Good, Bad]', 'repeat: 2', 'judge: Fair', `pairwise: { rubric: 'Prefer "hello".', judge: Biased }`, 'cases:', '  - id: greet', '    input: "Say hello"', '    assert:', '      - { type: icontains, value: "hello" }', `      - { type: llm-rubric, value: 'Says "hello".' }`, ''].join('\n'),
    );
    const evaluate = () => runAsync(process.execPath, [CLI_ENTRY, 'eval', 'smoke.yaml', '--url', lab.url, '--experiment', 'pg-eval', '--json'], { cwd: lab.cwd, env: { PATH: process.env.PATH ?? '', HOME: lab.cwd }, timeoutMs: 60_000 });
    const first = await evaluate();
    expect(first.status, first.stderr).toBe(1);
    const board = (await api(`${lab.url}/api/leaderboard?experiment_id=pg-eval`)).json;
    expect(board.entries.map((entry: { agent_name: string; rank: number }) => [entry.rank, entry.agent_name])).toEqual([[1, 'Good'], [2, 'Bad']]);
    expect(board.entries[0].pass_rate).toMatchObject({ passed: 4, total: 4 });
    expect(board.entries[0].win_rate).toMatchObject({ wins: 0, ties: 2, losses: 0 });
    // the same experiment again resumes from the runs and scores in the database
    const calls = lab.provider.chatRequests().length;
    const again = await evaluate();
    expect(lab.provider.chatRequests().length).toBe(calls);
    expect(JSON.parse(again.stdout)).toMatchObject({ units: 4, resumed_units: 4 });
  }, 120_000);

  it('keeps everything across a restart, and a second instance on the same database sees it', async () => {
    const before = (await api(`${lab.url}/api/runs`)).json.runs;
    const other = await startLab({ env: { DATABASE_URL: databaseUrl } });
    try {
      expect((await api(`${other.url}/api/runs`)).json.runs).toEqual(before);
      expect((await api(`${other.url}/api/agents/${agentId}`)).json.name).toBe('Echo');
      // the schema was current: the second start applied nothing
      expect(other.output()).toContain('"migrations_applied":[]');
    } finally {
      await other.close();
    }
  }, 60_000);

  it('reports the database in /health/detailed, and never the password in health, metrics, logs or output', async () => {
    const detailed = await api(`${lab.url}/health/detailed`);
    expect(detailed.status).toBe(200);
    expect(detailed.json.checks.database).toMatchObject({ status: 'ok', reachable: true, url: expect.stringMatching(/^postgres:\/\/lab:\*\*\*@127\.0\.0\.1:\d+\/lab_/) });
    expect(detailed.json.checks.database.latency_ms).toBeGreaterThanOrEqual(0);
    expect(detailed.json.checks.runs_csv).toBeUndefined();
    expect((await api(`${lab.url}/health`)).json.status).toBe('healthy');
    expectNoPassword(detailed.text, '/health/detailed');
    expectNoPassword(await (await fetch(`${lab.url}/metrics`)).text(), '/metrics');
    expectNoPassword(await readFile(lab.logFile, 'utf8'), 'the log file');
    expectNoPassword(lab.output(), 'the output');
    expect(lab.output()).toContain('Storing data in PostgreSQL');
  });

  it('refuses writes while READ_ONLY_MODE exists and serves reads from the database', async () => {
    const flag = path.join(lab.cwd, 'READ_ONLY_MODE');
    await writeFile(flag, '');
    try {
      await waitFor(async () => ((await api(`${lab.url}/api/agents`, { body: { name: 'x', model: 'm' } })).status === 503 ? true : undefined), 5000);
      expect((await api(`${lab.url}/api/runs`)).status).toBe(200);
    } finally {
      await rm(flag, { force: true });
    }
  });

  it('stops with a message naming DATABASE_URL for a bad URL, and without the password for an unreachable database', async () => {
    await expect(startLab({ env: { DATABASE_URL: 'mysql://root:hunter2-secret@db/lab' } })).rejects.toThrow(/DATABASE_URL must be a PostgreSQL URL/);
    await expect(startLab({ env: { DATABASE_URL: 'mysql://root:hunter2-secret@db/lab' } })).rejects.not.toThrow(/hunter2/);
    const unreachable = cluster.url('no_such_database');
    const failure = await startLab({ env: { DATABASE_URL: unreachable } }).then(
      async (started) => {
        await started.close();
        return '';
      },
      (error: Error) => error.message,
    );
    expect(failure).toMatch(/no_such_database/);
    expectNoPassword(failure, 'the start-up failure');
  }, 60_000);

  it('answers /health 503 and API calls 503 unavailable:store while the database is away, and recovers without a restart', async () => {
    await cluster.halt();
    const unhealthy = await waitFor(async () => {
      const response = await fetch(`${lab.url}/health`);
      return response.status === 503 ? response : undefined;
    }, 15_000);
    expect(await unhealthy.json()).toMatchObject({ status: 'unhealthy' });
    const detailed = await api(`${lab.url}/health/detailed`);
    expect(detailed.status).toBe(503);
    expect(detailed.json.checks.database).toMatchObject({ status: 'down', reachable: false });
    expectNoPassword(detailed.text, '/health/detailed');
    const runs = await api(`${lab.url}/api/runs`);
    expect(runs.status).toBe(503);
    expect(runs.json.error.code).toBe('unavailable:store');

    await cluster.start();
    await waitFor(async () => ((await fetch(`${lab.url}/health`)).status === 200 ? true : undefined), 15_000);
    expect((await api(`${lab.url}/api/runs`)).status).toBe(200);
    const created = await api(`${lab.url}/api/agents`, { body: { name: 'After the outage', model: 'openai/gpt-4o-mini' } });
    expect(created.status).toBe(201);
    expect(lab.output()).toContain('Database is reachable again');
  }, 60_000);
});
