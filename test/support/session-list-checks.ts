import { expect } from 'vitest';
import { api } from './sse-client.js';

/**
 * What `GET /api/sessions` promises in either engine: newest first, `limit` with `truncated`
 * when more are left, `q`: every word in name, id or model, and a 400 naming a bad
 * query. Creates its own sessions, named with `token` so other tests' sessions don't count.
 */
export async function checkSessionList(labUrl: string, token: string): Promise<void> {
  const created: string[] = [];
  for (const name of [`${token} alpha one`, `${token} beta two`, `${token} alpha three`]) {
    created.push((await api(`${labUrl}/api/sessions`, { body: { name, agent_config: { model: 'openai/gpt-4o-mini' } } })).json.id);
    await new Promise((resolve) => setTimeout(resolve, 5)); // distinct updated_at
  }
  const list = async (query: string) => (await api(`${labUrl}/api/sessions?${query}`)).json as { sessions: Array<{ id: string; name: string }>; truncated?: boolean; limit?: number };

  const mine = await list(`q=${token}`);
  expect(mine.sessions.map((session) => session.id)).toEqual([...created].reverse());
  expect(mine.truncated).toBeUndefined();

  const newestTwo = await list(`q=${token}&limit=2`);
  expect(newestTwo).toMatchObject({ truncated: true, limit: 2 });
  expect(newestTwo.sessions.map((session) => session.name)).toEqual([`${token} alpha three`, `${token} beta two`]);

  // Every word, any case, in any order; `%` and `_` are text, not patterns.
  expect((await list(`q=${encodeURIComponent(`ALPHA ${token}`)}`)).sessions.map((session) => session.name)).toEqual([`${token} alpha three`, `${token} alpha one`]);
  expect((await list(`q=${encodeURIComponent(`${token} gpt-4o-mini two`)}`)).sessions.map((session) => session.name)).toEqual([`${token} beta two`]);
  expect((await list(`q=${encodeURIComponent(`${token} %`)}`)).sessions).toEqual([]);
  expect((await list(`q=${created[0]}`)).sessions.map((session) => session.id)).toEqual([created[0]]);

  for (const query of ['limit=0', 'limit=ten', 'colour=blue']) {
    const answer = await api(`${labUrl}/api/sessions?${query}`);
    expect(answer.status, query).toBe(400);
    expect(JSON.stringify(answer.json), query).toMatch(query.startsWith('limit') ? /limit/ : /colour/);
  }
}
