import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ENTRY, startLab, type RunningLab } from '../support/start-lab.js';
import { api, postSse } from '../support/sse-client.js';

/**
 * SPEC "Figures a user can trust" and "Cost", through the built lab: tokens/s only when
 * measurable, unpriced runs that stay unpriced on disk and in summaries, a Stop after the
 * answer finished recorded as finished, and a runs.csv download any CSV reader parses.
 */

let lab: RunningLab;
let agentId: string;

async function csvRows(): Promise<Record<string, string>[]> {
  return parse(await readFile(path.join(lab.dataDir, 'runs.csv'), 'utf8'), { columns: true });
}

async function chat(body: Record<string, unknown>) {
  const result = await postSse({ url: `${lab.url}/api/chat`, body: { agent_id: agentId, ...body } });
  const end = result.events.find((event) => event.event === 'run-end');
  expect(end, JSON.stringify(result.events.slice(-2))).toBeDefined();
  return end!.data.run as Record<string, any>;
}

beforeAll(async () => {
  lab = await startLab();
  const created = await api(`${lab.url}/api/agents`, { body: { name: 'Figures', model: 'openai/gpt-4o-mini', system_prompt: 'Be brief.' } });
  agentId = created.json.id;
});
afterAll(async () => lab?.close());

describe('tokens/s', () => {
  it('is null in the API and empty in runs.csv when the whole answer arrived at once', async () => {
    // 100 tokens (about 25 KB of SSE) in one corked write arrive in one or two network reads.
    // A larger answer is sent in pieces as the lab drains the socket, and on a loaded machine
    // those pieces can come 50 ms apart: then it did not arrive at once, and the lab rightly measures it.
    const run = await chat({ message: 'All at once [[scenario:long tokens=100 delay=0]]' });
    expect(run.completion_tokens).toBe(100);
    expect(run.tokens_per_s).toBeNull();
    expect((await csvRows()).find((row) => row.run_id === run.run_id)!.tokens_per_s).toBe('');
    expect((await api(`${lab.url}/api/runs?session_id=${run.session_id}`)).json.runs[0].tokens_per_s).toBeNull();
  });

  it('is completion tokens over the first-to-last-token window, written with at most two decimals', async () => {
    const run = await chat({ message: 'Slowly [[scenario:slow delay=15 tokens=20]]' });
    // 20 tokens over at least 19 × 15 ms: under 20 / 0.285 s ≈ 70 tokens/s, never thousands.
    expect(run.tokens_per_s).toBeGreaterThan(0);
    expect(run.tokens_per_s).toBeLessThanOrEqual(71);
    const row = (await csvRows()).find((candidate) => candidate.run_id === run.run_id)!;
    expect(row.tokens_per_s).toMatch(/^\d+(\.\d{1,2})?$/);
    expect(Number(row.tokens_per_s)).toBe(run.tokens_per_s);
    expect(row.latency_ms).toMatch(/^\d+(\.\d)?$/);
    expect(row.ttft_ms).toMatch(/^\d+(\.\d)?$/);
  });

  it('a provider cost with float noise is written as a person would', async () => {
    const run = await chat({ message: 'Costly [[scenario:normal cost=21776.290000000001]]' });
    expect((await csvRows()).find((row) => row.run_id === run.run_id)!.cost_usd).toBe('21776.29');
    const tiny = await chat({ message: 'Cheap [[scenario:normal cost=1.2345e-05]]' });
    expect((await csvRows()).find((row) => row.run_id === tiny.run_id)!.cost_usd).toBe('0.000012345');
  });
});

describe('unpriced runs', () => {
  it('empty cost_usd in runs.csv, null in /api/runs, out of cost sums and counted as unpriced in summary and compare', async () => {
    const tags = { experiment_id: 'exp-unpriced' };
    // A model the catalog has no price for, and a provider that reports no cost.
    lab.provider.enqueue({ type: 'text', cost: null }, { type: 'text', cost: null });
    for (let index = 0; index < 2; index++) {
      const run = await chat({ agent_id: undefined, agent: { name: 'Unknown', model: 'somebody/unknown-model' }, message: `No price ${index}`, tags });
      expect(run.cost_usd).toBeNull();
    }
    await chat({ message: 'Priced [[scenario:normal cost=0.5]]', tags });
    const rows = (await csvRows()).filter((row) => row.experiment_id === 'exp-unpriced');
    expect(rows.map((row) => row.cost_usd).sort()).toEqual(['', '', '0.5']);

    const listed = (await api(`${lab.url}/api/runs?experiment_id=exp-unpriced`)).json.runs as Array<{ model: string; cost_usd: number | null }>;
    expect(listed.filter((run) => run.model === 'somebody/unknown-model').map((run) => run.cost_usd)).toEqual([null, null]);

    const summary = (await api(`${lab.url}/api/runs/summary?experiment_id=exp-unpriced`)).json.models as Array<any>;
    const unknown = summary.find((row) => row.model === 'somebody/unknown-model');
    expect(unknown.cost_usd).toEqual({ total: 0, mean: null, unpriced_runs: 2 });
    expect(summary.find((row) => row.model === 'openai/gpt-4o-mini').cost_usd).toMatchObject({ total: 0.5, mean: 0.5, unpriced_runs: 0 });

    await chat({ message: 'Other side [[scenario:normal cost=0.25]]', tags: { experiment_id: 'exp-priced' } });
    const comparison = (await api(`${lab.url}/api/compare?a=exp-unpriced&b=exp-priced`)).json;
    expect(comparison.overall.a).toMatchObject({ count: 3, unpriced_runs: 2, cost_per_run_usd: 0.5 });
    expect(comparison.overall.b).toMatchObject({ count: 1, unpriced_runs: 0, cost_per_run_usd: 0.25 });
  });
});

describe('a Stop that lands after the answer finished', () => {
  it('POST /api/runs/:id/cancel while usage is still on its way: recorded and reported as finished', async () => {
    const text = 'The answer is complete.';
    let cancelled: Promise<unknown> | undefined;
    const result = await postSse({
      url: `${lab.url}/api/chat`,
      body: { agent_id: agentId, message: `Finish then stop [[scenario:normal text="${text}" tail=800]]` },
      onEvent: (event, events) => {
        const streamed = events.filter((candidate) => candidate.event === 'text-delta').map((candidate) => candidate.data.delta).join('');
        if (event.event === 'text-delta' && streamed === text) {
          const runId = events[0]!.data.run_id;
          cancelled = new Promise((resolve) => setTimeout(resolve, 150)).then(() => api(`${lab.url}/api/runs/${runId}/cancel`, { method: 'POST' }));
        }
      },
    });
    expect((await cancelled as { status: number }).status).toBe(200);
    const run = result.events.find((event) => event.event === 'run-end')!.data.run;
    expect(run).toMatchObject({ aborted: false, finish_reason: 'stop', error: '' });
    expect((await csvRows()).find((row) => row.run_id === run.run_id)).toMatchObject({ aborted: 'false', finish_reason: 'stop' });
    expect((await api(`${lab.url}/api/runs?session_id=${run.session_id}`)).json.runs[0].aborted).toBe(false);
  });

  it('a client disconnect right after the last token: recorded as finished', async () => {
    const text = 'Another complete answer.';
    let runId = '';
    await postSse({
      url: `${lab.url}/api/chat`,
      body: { agent_id: agentId, message: `Finish then leave [[scenario:normal text="${text}" tail=800]]` },
      onEvent: (event, events) => {
        if (event.event === 'run-start') runId = event.data.run_id;
        return events.filter((candidate) => candidate.event === 'text-delta').map((candidate) => candidate.data.delta).join('') === text;
      },
    });
    await expect.poll(async () => (await csvRows()).find((row) => row.run_id === runId), { timeout: 5000 }).toBeDefined();
    expect((await csvRows()).find((row) => row.run_id === runId)).toMatchObject({ aborted: 'false', finish_reason: 'stop' });
  });

  it('a Stop mid-answer is still aborted', async () => {
    const result = await postSse({
      url: `${lab.url}/api/chat`,
      body: { agent_id: agentId, message: 'Long [[scenario:slow delay=20 tokens=200]]' },
      onEvent: (event) => {
        if (event.event === 'run-start') void api(`${lab.url}/api/runs/${event.data.run_id}/cancel`, { method: 'POST' });
      },
    });
    expect(result.events.find((event) => event.event === 'run-end')!.data.run.aborted).toBe(true);
  });
});

describe('a tag holding U+0000', () => {
  it('is recorded with U+FFFD in its place, so `agent-lab check` does not call the run garbage', async () => {
    const run = await chat({ message: 'NUL tag [[scenario:normal text="ok"]]', tags: { experiment_id: 'exp-nul', run_notes: 'before\u0000after' } });
    expect((await csvRows()).find((row) => row.run_id === run.run_id)!.run_notes).toBe('before\uFFFDafter');
    const check = spawnSync(process.execPath, [CLI_ENTRY, 'check'], { cwd: lab.cwd, env: { PATH: process.env.PATH ?? '', HOME: lab.cwd, DATA_DIR: lab.dataDir }, encoding: 'utf8' });
    expect(check.stdout + check.stderr).not.toMatch(/garbage|damaged runs|NUL/);
    expect(check.status, check.stdout + check.stderr).toBe(0);
  });
});

describe('GET /api/runs.csv (download)', () => {
  const tags = { experiment_id: 'exp-download', task_label: '=HYPERLINK("http://evil.example","click")', run_notes: 'line one\rstill one, "quoted"\r\nand two' };

  async function download(): Promise<string> {
    const response = await fetch(`${lab.url}/api/runs.csv?experiment_id=exp-download`);
    expect(response.headers.get('content-type')).toContain('text/csv');
    return response.text();
  }

  it('a lone CR inside a field is quoted: csv-parse and Python csv both read the same fields back', async () => {
    const run = await chat({ message: 'Download me [[scenario:normal cost=0.001]]', tags });
    const body = await download();
    const records = parse(body, { relax_column_count: false }) as string[][];
    expect(records).toHaveLength(2);
    const header = records[0]!;
    const row = Object.fromEntries(header.map((column, index) => [column, records[1]![index]]));
    expect(row.run_notes).toBe(tags.run_notes);
    expect(row.run_id).toBe(run.run_id);

    const python = spawnSync(
      'python3',
      ['-c', 'import csv,io,json,sys\nrows=list(csv.reader(io.TextIOWrapper(sys.stdin.buffer,encoding="utf-8",newline="")))\nprint(json.dumps(rows))'],
      { input: body, encoding: 'utf8' },
    );
    expect(python.status, python.stderr).toBe(0);
    const pythonRows = JSON.parse(python.stdout) as string[][];
    expect(pythonRows).toHaveLength(2);
    expect(pythonRows).toEqual(records);
  });

  it('text that a spreadsheet would run as a formula gets a leading quote in the download only; numbers stay numbers', async () => {
    const body = await download();
    const [header, ...rows] = parse(body) as string[][];
    const row = Object.fromEntries(header!.map((column, index) => [column, rows[0]![index]]));
    expect(row.task_label).toBe(`'${tags.task_label}`);
    expect(row.cost_usd).toBe('0.001');
    expect(row.experiment_id).toBe('exp-download');
    // runs.csv on disk keeps the text verbatim.
    const onDisk = (await csvRows()).find((candidate) => candidate.experiment_id === 'exp-download')!;
    expect(onDisk.task_label).toBe(tags.task_label);
    expect(onDisk.run_notes).toBe(tags.run_notes);
    for (const start of ['+1+2', '-3', '@SUM(A1)', '\tx', '\rx']) {
      await chat({ message: 'More [[scenario:normal]]', tags: { experiment_id: 'exp-download', task_label: start } });
    }
    const labels = (parse(await download(), { columns: true }) as Array<Record<string, string>>).map((record) => record.task_label);
    for (const start of ['+1+2', '-3', '@SUM(A1)', '\tx', '\rx']) expect(labels).toContain(`'${start}`);
  });
});
