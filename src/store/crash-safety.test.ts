import { spawn } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUN_COLUMNS } from '../domain/run.js';
import { RunsCsv } from './runs-csv.js';
import { temporaryDataDir } from './test-support.js';

const writer = fileURLToPath(new URL('./__fixtures__/crash-writer.ts', import.meta.url));
const ROUNDS = 16;

/**
 * Runs the crash writer (appending runs and saving sessions in a loop) and kills it with
 * SIGKILL at a random moment; resolves with the run ids it reported as recorded.
 */
async function runAndKill(dataDir: string): Promise<{ completed: string[]; killedAfterOutput: boolean }> {
  const child = spawn(process.execPath, ['--import', 'tsx', writer, dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let killedAfterOutput = false;
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const firstOutput = new Promise<void>((resolve) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      resolve();
    });
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  // Most rounds die mid-loop; some die during start-up (init, first session).
  if (Math.random() < 0.8) {
    await Promise.race([firstOutput, closed]);
    killedAfterOutput = true;
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 250));
  } else {
    await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 600));
  }
  child.kill('SIGKILL');
  await closed;
  if (child.signalCode !== 'SIGKILL') throw new Error(`writer exited on its own (${child.exitCode}): ${stderr}`);
  // A line without its newline was cut by the kill: the id was not yet reported whole.
  const completed = stdout.split('\n').slice(0, -1);
  return { completed, killedAfterOutput };
}

describe('crash safety under kill -9', () => {
  let dataDir: string;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    ({ dataDir, cleanup } = await temporaryDataDir());
  });
  afterAll(async () => {
    await cleanup();
  });

  it(`keeps every file whole and every reported run, across ${ROUNDS} kills at random moments`, { timeout: 60_000 }, async () => {
    const reported = new Set<string>();
    let roundsWithOutput = 0;
    for (let round = 0; round < ROUNDS; round += 1) {
      const { completed, killedAfterOutput } = await runAndKill(dataDir);
      for (const id of completed) reported.add(id);
      if (killedAfterOutput) roundsWithOutput += 1;

      const store = new RunsCsv({ dataDir });
      await store.init();

      const sessionRunIds = new Set<string>();
      const sessionDir = path.join(dataDir, 'sessions');
      for (const name of (await readdir(sessionDir)).filter((file) => file.endsWith('.json'))) {
        const session = JSON.parse(await readFile(path.join(sessionDir, name), 'utf8')) as { runs: Array<{ run_id: string }> };
        for (const run of session.runs) sessionRunIds.add(run.run_id);
      }

      const records = parse(await readFile(store.path), { record_delimiter: ['\r\n', '\n'] }) as string[][];
      expect(records[0]).toEqual([...RUN_COLUMNS]);
      for (const record of records) expect(record).toHaveLength(RUN_COLUMNS.length);
      const csvRunIds = new Set(records.slice(1).map((record) => record[RUN_COLUMNS.indexOf('run_id')]));
      const missing = [...reported].filter((id) => !csvRunIds.has(id) || !sessionRunIds.has(id));
      expect(missing).toEqual([]);
    }
    expect(roundsWithOutput).toBeGreaterThan(0);
    expect(reported.size).toBeGreaterThan(ROUNDS);
  });
});
