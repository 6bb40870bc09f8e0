import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runToCsvFields, RUN_COLUMNS, type RunRecord } from '../domain/run.js';
import { RunsCsv, SessionStore } from '../store/index.js';
import { stringify } from 'csv-stringify/sync';

/** Helpers for the recovery tests and the benchmark (not part of the recovery API). */

/** A temporary lab working directory with `data/` and `backups/`; `cleanup` removes it. */
export async function temporaryLab(): Promise<{ root: string; dataDir: string; backupDir: string; cleanup: () => Promise<void> }> {
  const root = await mkdtemp(path.join(tmpdir(), 'agent-lab-recovery-'));
  const dataDir = path.join(root, 'data');
  const backupDir = path.join(root, 'backups');
  await mkdir(path.join(dataDir, 'sessions'), { recursive: true });
  await mkdir(backupDir);
  return { root, dataDir, backupDir, cleanup: () => rm(root, { recursive: true, force: true }) };
}

/** A run with values that exercise quoting: commas, quotes, new lines, unicode, nulls. */
export function makeRun(options: { index: number; sessionId: string }): RunRecord {
  const { index, sessionId } = options;
  return {
    run_id: `run-${String(index).padStart(6, '0')}`,
    session_id: sessionId,
    agent_id: `agent-${index % 3}`,
    agent_name: index % 4 === 0 ? 'Bot, "quoted"' : `Agent ${index % 3}`,
    model: index % 2 === 0 ? 'openai/gpt-4o-mini' : 'local/tiny',
    ts: new Date(Date.UTC(2026, 0, 1) + index * 1000).toISOString(),
    prompt_tokens: 10 + index,
    completion_tokens: 20 + index,
    total_tokens: 30 + 2 * index,
    latency_ms: 500 + index,
    ttft_ms: index % 5 === 0 ? null : 100 + index,
    tokens_per_s: index % 5 === 0 ? null : 12.5 + index / 7,
    cost_usd: index % 6 === 0 ? null : 0.0000015 * (index + 1),
    experiment_id: `exp-${index % 2}`,
    task_label: 'qa',
    run_notes: index % 3 === 0 ? 'line one\nline two, with "quotes" — ünïcode' : '',
    streaming: index % 2 === 0,
    model_list_source: index % 2 === 0 ? 'dynamic' : 'local',
    tool_web_enabled: index % 3 === 0,
    web_status: index % 3 === 0 ? 'ok' : 'off',
    aborted: index % 7 === 0,
    finish_reason: index % 7 === 0 ? 'aborted' : 'stop',
    error: '',
    bakeoff_id: '',
  };
}

/** The session id used for session number `index` (UUID-like, time ordered). */
export function sessionIdFor(index: number): string {
  return `0190a000-0000-7000-8000-${String(index).padStart(12, '0')}`;
}

/**
 * Fill a data directory the way the lab does, through the store's own writers (RunsCsv
 * append, then SessionStore.appendTurn), runs in time order.
 */
export async function populateWithStore(options: { dataDir: string; sessions: number; runsPerSession: number }): Promise<RunRecord[]> {
  const runsCsv = new RunsCsv({ dataDir: options.dataDir });
  await runsCsv.init();
  const sessions = new SessionStore({ dataDir: options.dataDir });
  const runs: RunRecord[] = [];
  let index = 0;
  for (let turn = 0; turn < options.runsPerSession; turn += 1) {
    for (let session = 0; session < options.sessions; session += 1) {
      const sessionId = sessionIdFor(session);
      const run = makeRun({ index, sessionId });
      index += 1;
      await runsCsv.append(run);
      await sessions.appendTurn({
        sessionId,
        createIfMissing: { name: `Session ${session}`, agent_config: { model: run.model }, model_id: run.model },
        entries: [
          { role: 'user', content: `question ${run.run_id}`, ts: run.ts },
          { role: 'assistant', content: `answer ${run.run_id}`, ts: run.ts, run_id: run.run_id },
        ],
        run,
      });
      runs.push(run);
    }
  }
  return runs;
}

/**
 * Fill a data directory quickly (plain writes, no fsync), in the same file shapes, for
 * benchmarks with thousands of sessions.
 */
export async function populateDirect(options: { dataDir: string; sessions: number; runsPerSession: number }): Promise<void> {
  const sessionsDir = path.join(options.dataDir, 'sessions');
  await mkdir(sessionsDir, { recursive: true });
  const rows: string[][] = [[...RUN_COLUMNS]];
  let index = 0;
  const batch: Array<Promise<void>> = [];
  for (let session = 0; session < options.sessions; session += 1) {
    const sessionId = sessionIdFor(session);
    const runs: RunRecord[] = [];
    const transcript: unknown[] = [];
    for (let turn = 0; turn < options.runsPerSession; turn += 1) {
      const run = makeRun({ index, sessionId });
      index += 1;
      runs.push(run);
      rows.push(runToCsvFields(run));
      transcript.push({ role: 'user', content: `question ${run.run_id} `.repeat(20), ts: run.ts });
      transcript.push({ role: 'assistant', content: `answer ${run.run_id} `.repeat(60), ts: run.ts, run_id: run.run_id });
    }
    const file = {
      id: sessionId,
      created_at: runs[0]?.ts ?? new Date(0).toISOString(),
      updated_at: runs[runs.length - 1]?.ts ?? new Date(0).toISOString(),
      name: `Session ${session}`,
      notes: '',
      agent_config: { model: runs[0]?.model ?? 'local/tiny', temperature: 0.7 },
      model_id: runs[0]?.model ?? 'local/tiny',
      transcript,
      runs,
    };
    batch.push(writeFile(path.join(sessionsDir, `${sessionId}.json`), `${JSON.stringify(file, null, 2)}\n`));
    if (batch.length >= 64) await Promise.all(batch.splice(0));
  }
  await Promise.all(batch);
  await writeFile(path.join(options.dataDir, 'runs.csv'), stringify(rows));
  await writeFile(path.join(options.dataDir, 'agents.json'), `${JSON.stringify({ agents: [] }, null, 2)}\n`);
}

/** SHA-256 of every file under `directory` (relative paths), skipping the data lock's own files. */
export async function hashTree(directory: string): Promise<Map<string, string>> {
  const result = new Map<string, string>();
  const walk = async (current: string): Promise<void> => {
    const entries = await readdir(current, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const full = path.join(current, entry.name);
      if (entry.name.startsWith('.agent-lab.lock')) continue;
      if (entry.isDirectory()) await walk(full);
      else result.set(path.relative(directory, full), createHash('sha256').update(await readFile(full)).digest('hex'));
    }
  };
  await walk(directory);
  return result;
}
