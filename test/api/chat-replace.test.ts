import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type RunningLab } from '../support/start-lab.js';
import { api } from '../support/sse-client.js';

/**
 * Retry, regenerate and edit-and-resend: `replace_run_id` puts the new exchange in place of
 * the old one in the session (no duplicated user turn); the old run stays in runs.csv.
 */

let lab: RunningLab;
let agentId: string;

beforeAll(async () => {
  lab = await startLab();
  agentId = (await api(`${lab.url}/api/agents`, { body: { name: 'Echo', model: 'openai/gpt-4o-mini', system_prompt: 'Be brief.' } })).json.id;
});
afterAll(async () => lab?.close());

const chat = (body: Record<string, unknown>) => api(`${lab.url}/api/chat`, { body: { agent_id: agentId, stream: false, ...body } });

describe('POST /api/chat with replace_run_id', () => {
  it('replaces a failed answer in place: one user turn, the new answer, the failed run still in runs.csv', async () => {
    const first = await chat({ message: 'first [[scenario:normal text="One."]]' });
    const sessionId = first.json.session_id as string;
    const failed = await chat({ session_id: sessionId, message: 'second [[scenario:error status=402]]' });
    expect(failed.status).toBeGreaterThanOrEqual(500);
    const failedRunId = failed.json.run_id as string;

    const retried = await chat({ session_id: sessionId, replace_run_id: failedRunId, message: 'second [[scenario:normal text="Two."]]' });
    expect(retried.status).toBe(200);
    const session = (await api(`${lab.url}/api/sessions/${sessionId}`)).json;
    const transcript = session.transcript as Array<{ role: string; content: string; run_id?: string }>;
    expect(transcript.filter((entry) => entry.role === 'user').map((entry) => entry.content)).toEqual([
      'first [[scenario:normal text="One."]]',
      'second [[scenario:normal text="Two."]]',
    ]);
    expect(transcript.filter((entry) => entry.role === 'assistant').map((entry) => entry.run_id)).toEqual([first.json.run_id, retried.json.run_id]);
    expect((session.runs as Array<{ run_id: string }>).map((run) => run.run_id)).toContain(failedRunId);
    const rows = parse(await readFile(path.join(lab.dataDir, 'runs.csv'), 'utf8'), { columns: true }) as Array<{ run_id: string }>;
    expect(rows.map((row) => row.run_id)).toEqual(expect.arrayContaining([first.json.run_id, failedRunId, retried.json.run_id]));

    // Regenerating the first answer keeps the later exchange and sends the model only what came before.
    const before = lab.provider.chatRequests().length;
    const regenerated = await chat({ session_id: sessionId, replace_run_id: first.json.run_id, message: 'first again [[scenario:normal text="Uno."]]' });
    expect(regenerated.status).toBe(200);
    const upstream = lab.provider.chatRequests().slice(before);
    const messages = (upstream.at(-1)?.body as { messages: Array<{ role: string }> }).messages;
    expect(messages.filter((message) => message.role === 'user')).toHaveLength(1);
    const after = (await api(`${lab.url}/api/sessions/${sessionId}`)).json.transcript as Array<{ role: string; run_id?: string }>;
    expect(after.filter((entry) => entry.role === 'assistant').map((entry) => entry.run_id)).toEqual([regenerated.json.run_id, retried.json.run_id]);
  });

  it('refuses replace_run_id without a session, or naming a run the session does not hold', async () => {
    const alone = await chat({ message: 'x', replace_run_id: 'abc' });
    expect(alone.status).toBe(400);
    expect(alone.json.error.message).toMatch(/replace_run_id/);
    const first = await chat({ message: 'hello [[scenario:normal text="Hi."]]' });
    const unknown = await chat({ session_id: first.json.session_id, message: 'x', replace_run_id: 'not-a-run-here' });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.code).toBe('not_found:run');
  });
});
