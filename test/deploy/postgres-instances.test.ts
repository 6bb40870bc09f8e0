import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/domain/run.js';
import { missing } from '../support/prerequisites.js';
import { postgresPrerequisite, startPostgres, type PostgresCluster } from '../support/postgres.js';
import { api, postSse, type ReceivedEvent } from '../support/sse-client.js';
import { startLab, type RunningLab } from '../support/start-lab.js';
import { programPrerequisite, startNginx, type RunningNginx } from './support.js';

/**
 * Issue 16's acceptance test: one PostgreSQL, two lab processes on it behind nginx (round
 * robin), chats streaming through nginx to both, one instance killed with SIGKILL mid-stream.
 * Through the survivor, every run a client saw acknowledged (its run-end with a run_id) is in
 * /api/runs exactly once, no run is there twice, and every session still reads.
 */

const postgresMissing = missing(postgresPrerequisite());
const nginxMissing = missing(programPrerequisite('nginx', 'nginx'));

/** One client's chat: the run it was acknowledged (run-end), or how it ended without one. */
interface ChatOutcome {
  runId: string | undefined;
  sessionId: string | undefined;
  events: ReceivedEvent[];
  failure: string | undefined;
}

describe.skipIf(postgresMissing || nginxMissing)('two lab instances on one PostgreSQL behind nginx, one killed mid-stream', () => {
  let cluster: PostgresCluster;
  let victim: RunningLab;
  let survivor: RunningLab;
  let proxy: RunningNginx;
  let agentId: string;

  beforeAll(async () => {
    cluster = await startPostgres();
    const databaseUrl = await cluster.createDatabase();
    // started together: both migrate an empty database at once (the migration lock decides)
    [victim, survivor] = await Promise.all([
      startLab({ env: { DATABASE_URL: databaseUrl, TRUST_PROXY: '127.0.0.1' } }),
      startLab({ env: { DATABASE_URL: databaseUrl, TRUST_PROXY: '127.0.0.1' } }),
    ]);
    proxy = await startNginx({ labPort: victim.port, moreLabPorts: [survivor.port] });
    // each start offers a default agent to an empty store: one is created
    const agents = (await api(`${proxy.url}/api/agents`)).json.agents as Array<{ name: string }>;
    expect(agents.map((agent) => agent.name)).toEqual(['Default agent']);
    const created = await api(`${proxy.url}/api/agents`, { body: { name: 'Shared', model: 'openai/gpt-4o-mini', system_prompt: 'Be brief.' } });
    expect(created.status).toBe(201);
    agentId = created.json.id;
  }, 180_000);
  afterAll(async () => {
    await proxy?.stop();
    await victim?.close();
    await survivor?.close();
    await cluster?.stop();
  });

  const chat = async (body: Record<string, unknown>, onEvent?: (event: ReceivedEvent) => void): Promise<ChatOutcome> => {
    try {
      const result = await postSse({ url: `${proxy.url}/api/chat`, body: { agent_id: agentId, ...body }, onEvent: (event) => void onEvent?.(event) });
      const end = result.events.find((event) => event.event === 'run-end');
      const start = result.events.find((event) => event.event === 'run-start');
      return {
        runId: end?.data.run.run_id,
        sessionId: start?.data.session_id,
        events: result.events,
        failure: end ? undefined : `status ${result.status}, ended after ${result.events.map((event) => event.event).at(-1) ?? 'no event'} ${result.text}`,
      };
    } catch (error) {
      return { runId: undefined, sessionId: undefined, events: [], failure: (error as Error).message };
    }
  };

  it('finds every acknowledged run exactly once through the survivor', async () => {
    // two sessions that turns from both instances will be added to
    const seeds = await Promise.all([chat({ message: 'seed one [[scenario:normal text="One."]]' }), chat({ message: 'seed two [[scenario:normal text="Two."]]' })]);
    const sharedSessions = seeds.map((seed) => seed.sessionId as string);
    expect(sharedSessions.every(Boolean)).toBe(true);

    const streams = 16;
    const streaming = new Set<number>();
    let allStreaming: () => void = () => undefined;
    const inFlight = new Promise<void>((resolve) => (allStreaming = resolve));
    const outcomes = Promise.all(
      Array.from({ length: streams }, (_, index) =>
        chat(
          {
            message: `stream ${index} [[scenario:slow delay=100 tokens=60]]`,
            ...(index % 2 === 0 ? { session_id: sharedSessions[index % 4 === 0 ? 0 : 1] } : {}),
            tags: { experiment_id: 'kill-test' },
          },
          (event) => {
            if (event.event !== 'text-delta') return;
            streaming.add(index);
            if (streaming.size === streams) allStreaming();
          },
        ),
      ),
    );
    await Promise.race([inFlight, new Promise((resolve) => setTimeout(resolve, 20_000))]);
    const providerCalls = (lab: RunningLab) => lab.provider.requests.filter((request) => request.path.endsWith('/chat/completions')).length;
    // both instances are streaming when one dies
    expect(providerCalls(victim)).toBeGreaterThan(1);
    expect(providerCalls(survivor)).toBeGreaterThan(1);
    const killedAt = performance.now();
    victim.child.kill('SIGKILL');
    await new Promise((resolve) => victim.child.once('exit', resolve));
    const killMs = Math.round(performance.now() - killedAt);

    // after the kill, new chats reach the survivor only
    const after = await Promise.all(Array.from({ length: 6 }, (_, index) => chat({ message: `after ${index} [[scenario:normal text="Still here."]]`, tags: { experiment_id: 'kill-test' } })));
    const during = await outcomes;
    const everything = [...seeds, ...during, ...after];
    const acknowledged = everything.flatMap((outcome) => (outcome.runId ? [outcome.runId] : []));

    const runs = (await api(`${proxy.url}/api/runs`)).json.runs as RunRecord[];
    const counts = new Map<string, number>();
    for (const run of runs) counts.set(run.run_id, (counts.get(run.run_id) ?? 0) + 1);
    const duplicates = [...counts].filter(([, count]) => count > 1);
    const missingRuns = acknowledged.filter((runId) => counts.get(runId) !== 1);
    console.info(
      `postgres-instances: ${during.length} streams in flight at the kill (${during.filter((outcome) => outcome.runId).length} acknowledged, ` +
        `${during.filter((outcome) => !outcome.runId).length} cut off); ${acknowledged.length} acknowledged in all, ${runs.length} runs stored, ` +
        `${acknowledged.length - missingRuns.length} found once, ${duplicates.length} duplicated; kill -9 took ${killMs} ms`,
    );
    expect(missingRuns).toEqual([]);
    expect(duplicates).toEqual([]);
    // the kill cut some streams and spared others
    expect(during.some((outcome) => outcome.runId === undefined)).toBe(true);
    expect(during.filter((outcome) => outcome.runId).length).toBeGreaterThan(0);
    expect(after.every((outcome) => outcome.runId), JSON.stringify(after.map((outcome) => outcome.failure))).toBe(true);

    // every session reads, and a shared session holds each of its acknowledged runs once
    const sessions = (await api(`${survivor.url}/api/sessions`)).json.sessions as Array<{ id: string; damaged?: boolean }>;
    expect(sessions.filter((entry) => entry.damaged)).toEqual([]);
    for (const entry of sessions) {
      const response = await api(`${survivor.url}/api/sessions/${entry.id}`);
      expect(response.status, entry.id).toBe(200);
      const sessionRuns = (response.json.runs as Array<{ run_id: string }>).map((run) => run.run_id);
      expect(new Set(sessionRuns).size).toBe(sessionRuns.length);
      for (const outcome of everything) {
        if (outcome.runId && outcome.sessionId === entry.id) expect(sessionRuns).toContain(outcome.runId);
      }
    }
    const stored = new Set(runs.map((run) => run.run_id));
    for (const sessionId of sharedSessions) {
      const session = (await api(`${survivor.url}/api/sessions/${sessionId}`)).json;
      // an acknowledged run was stored before its session turn, so every run the session names is in /api/runs
      for (const run of session.runs as Array<{ run_id: string }>) expect(stored.has(run.run_id)).toBe(true);
    }
  }, 120_000);
});
