import { cp, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createBackup } from '../src/recovery/backup.js';
import { checkData } from '../src/recovery/check.js';
import { populateDirect, temporaryLab } from '../src/recovery/test-support.js';

/**
 * Recovery benchmark: `check` rate on N sessions (sessions/s) and `backup` time for them,
 * each beside a baseline measured in the same run on the same files (read + JSON.parse of
 * every session file; a plain recursive copy of the data directory), reported as ratios.
 */

export interface RecoveryBenchResult {
  name: 'recovery';
  sessions: number;
  runs: number;
  dataBytes: number;
  check: { ms: number; sessionsPerSecond: number; baselineMs: number; ratioToBaseline: number };
  backup: { ms: number; baselineCopyMs: number; ratioToBaseline: number };
  incrementalBackup: { ms: number; linked: number; ratioToFullBackup: number };
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await fn();
  return { ms: performance.now() - started, value };
}

/** Run the benchmark in a temporary directory (removed afterwards). */
export async function runRecoveryBench(options: { sessions?: number; runsPerSession?: number } = {}): Promise<RecoveryBenchResult> {
  const sessions = options.sessions ?? 10_000;
  const runsPerSession = options.runsPerSession ?? 2;
  const lab = await temporaryLab();
  try {
    await populateDirect({ dataDir: lab.dataDir, sessions, runsPerSession });
    const sessionsDir = path.join(lab.dataDir, 'sessions');
    const names = await readdir(sessionsDir);
    let dataBytes = 0;

    // Warm the page cache once so every measurement reads the same way.
    for (const name of names) dataBytes += (await readFile(path.join(sessionsDir, name))).length;

    const baseline = await timed(async () => {
      for (const name of names) JSON.parse(await readFile(path.join(sessionsDir, name), 'utf8'));
    });
    const check = await timed(() => checkData({ dataDir: lab.dataDir }));
    if (!check.value.ok) throw new Error(`benchmark data is not clean: ${JSON.stringify(check.value.problems.slice(0, 3))}`);

    const copy = await timed(() => cp(lab.dataDir, path.join(lab.root, 'plain-copy'), { recursive: true }));
    const backup = await timed(() => createBackup({ dataDir: lab.dataDir, backupDir: lab.backupDir }));
    const incremental = await timed(() =>
      createBackup({ dataDir: lab.dataDir, backupDir: lab.backupDir, now: () => new Date(Date.now() + 1000) }),
    );

    return {
      name: 'recovery',
      sessions,
      runs: sessions * runsPerSession,
      dataBytes,
      check: {
        ms: Math.round(check.ms),
        sessionsPerSecond: Math.round(sessions / (check.ms / 1000)),
        baselineMs: Math.round(baseline.ms),
        ratioToBaseline: Number((check.ms / baseline.ms).toFixed(2)),
      },
      backup: {
        ms: Math.round(backup.ms),
        baselineCopyMs: Math.round(copy.ms),
        ratioToBaseline: Number((backup.ms / copy.ms).toFixed(2)),
      },
      incrementalBackup: {
        ms: Math.round(incremental.ms),
        linked: incremental.value.linked,
        ratioToFullBackup: Number((incremental.ms / backup.ms).toFixed(2)),
      },
    };
  } finally {
    await lab.cleanup();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const sessions = Number(process.env.BENCH_SESSIONS ?? 10_000);
  const result = await runRecoveryBench({ sessions });
  console.log(JSON.stringify(result, null, 2));
}
