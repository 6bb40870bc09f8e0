import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type RunningLab } from '../support/start-lab.js';
import { api, postSse } from '../support/sse-client.js';

describe('graceful shutdown (SIGTERM)', () => {
  let lab: RunningLab;
  beforeAll(async () => {
    lab = await startLab();
  });
  afterAll(async () => lab?.close());

  it('ends in-flight streams as recorded aborted runs and exits within the shutdown time', async () => {
    const agent = (await api(`${lab.url}/api/agents`, { body: { name: 'Slow', model: 'test/slow' } })).json;
    let signalled = 0;
    const streams = [0, 1, 2].map(() =>
      postSse({
        url: `${lab.url}/api/chat`,
        body: { agent_id: agent.id, message: 'Long answer [[scenario:slow delay=50 tokens=400]]' },
        onEvent: (_event, events) => {
          if (events.filter((event) => event.event === 'text-delta').length === 3 && ++signalled === 3) lab.child.kill('SIGTERM');
        },
      }),
    );
    const started = Date.now();
    const exited = new Promise<number | null>((resolve) => lab.child.once('exit', (code) => resolve(code)));
    const results = await Promise.all(streams);
    const code = await exited;
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(code).toBe(0);
    const rows: Record<string, string>[] = parse(await readFile(path.join(lab.dataDir, 'runs.csv'), 'utf8'), { columns: true });
    for (const result of results) {
      const end = result.events.at(-1)!;
      expect(end.event).toBe('run-end');
      expect(end.data.run.aborted).toBe(true);
      expect(rows.find((row) => row.run_id === end.data.run.run_id)?.aborted).toBe('true');
    }
    expect(await readFile(lab.logFile, 'utf8')).toContain('Shutdown complete');
  });
});
