import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUN_COLUMNS } from '../domain/run.js';
import { SCORE_COLUMNS } from '../domain/score.js';
import { RunsCsv } from './runs-csv.js';
import { ScoresCsv } from './scores-csv.js';
import { temporaryDataDir } from './test-support.js';

const writer = fileURLToPath(new URL('./__fixtures__/crash-writer.ts', import.meta.url));
const ROUNDS = 16;
const PRELOADED = 3;

/**
 * When each writer is killed, drawn from a seed that is logged, and taken from CRASH_SEED when
 * set, so a failing run replays: `CRASH_SEED=<seed> npx vitest run src/store/crash-safety.test.ts`.
 */
const SEED = process.env.CRASH_SEED ? Number(process.env.CRASH_SEED) : Math.floor(Math.random() * 2 ** 31);
if (!Number.isSafeInteger(SEED)) throw new Error(`CRASH_SEED must be an integer, got ${process.env.CRASH_SEED}`);
interface KillMoment {
  /** Most rounds die mid-loop (after the first reported run); some during start-up. */
  afterOutput: boolean;
  delayMs: number;
}
const KILL_MOMENTS: KillMoment[] = fc.sample(
  fc.record({ afterOutput: fc.integer({ min: 0, max: 9 }).map((value) => value < 8), delayMs: fc.integer({ min: 0, max: 200 }) }),
  { seed: SEED, numRuns: ROUNDS },
);

/** A crash writer, loaded and waiting for the word to start. */
function startWriter(dataDir: string): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, ['--import', 'tsx', writer, dataDir], { stdio: 'pipe' });
}

/**
 * Lets a waiting crash writer (appending runs and saving sessions in a loop) go, and kills
 * it with SIGKILL at a random moment; resolves with the run ids it reported as recorded.
 */
async function runAndKill(child: ChildProcessWithoutNullStreams, moment: KillMoment): Promise<{ completed: string[]; killedAfterOutput: boolean }> {
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
  child.stdin.write('go\n');
  if (moment.afterOutput) {
    await Promise.race([firstOutput, closed]);
    killedAfterOutput = true;
    await new Promise((resolve) => setTimeout(resolve, moment.delayMs));
  } else {
    await new Promise((resolve) => setTimeout(resolve, moment.delayMs / 5));
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
  const waiting: ChildProcessWithoutNullStreams[] = [];

  beforeAll(async () => {
    ({ dataDir, cleanup } = await temporaryDataDir());
  });
  afterAll(async () => {
    // Writers preloaded for rounds a failure cut short.
    for (const child of waiting.splice(0)) child.kill('SIGKILL');
    await cleanup();
  });

  it(`keeps every file whole (runs.csv, scores.csv, sessions) and every reported run, across ${ROUNDS} kills at random moments`, { timeout: 60_000 }, async () => {
    console.info(`crash-safety: seed ${SEED} (replay with CRASH_SEED=${SEED})`);
    const reported = new Set<string>();
    let roundsWithOutput = 0;
    // Writers load ahead of their turn (Node and tsx take a while to start); each waits on
    // stdin, so it touches nothing until its round.
    for (let index = 0; index < Math.min(PRELOADED, ROUNDS); index += 1) waiting.push(startWriter(dataDir));
    for (let round = 0; round < ROUNDS; round += 1) {
      const current = waiting.shift() as ChildProcessWithoutNullStreams;
      if (round + waiting.length + 1 < ROUNDS) waiting.push(startWriter(dataDir));
      const { completed, killedAfterOutput } = await runAndKill(current, KILL_MOMENTS[round]!);
      for (const id of completed) reported.add(id);
      if (killedAfterOutput) roundsWithOutput += 1;

      const store = new RunsCsv({ dataDir });
      await store.init();
      const scoreStore = new ScoresCsv({ dataDir });
      await scoreStore.init();

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
      const scoreRecords = parse(await readFile(scoreStore.path), { record_delimiter: ['\r\n', '\n'] }) as string[][];
      expect(scoreRecords[0]).toEqual([...SCORE_COLUMNS]);
      for (const record of scoreRecords) expect(record).toHaveLength(SCORE_COLUMNS.length);
      const scoredRunIds = new Set(scoreRecords.slice(1).map((record) => record[SCORE_COLUMNS.indexOf('run_id')]));
      const missing = [...reported].filter((id) => !csvRunIds.has(id) || !sessionRunIds.has(id) || !scoredRunIds.has(id));
      expect(missing, `round ${round}, CRASH_SEED=${SEED}`).toEqual([]);
    }
    expect(roundsWithOutput).toBeGreaterThan(0);
    expect(reported.size).toBeGreaterThan(ROUNDS);
  });
});
