import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RunRecord } from '../domain/run.js';

/** Test helpers for the store's tests (not part of the store's API). */

/** A fresh temporary data directory; `cleanup` removes it. */
export async function temporaryDataDir(): Promise<{ dataDir: string; cleanup: () => Promise<void> }> {
  const root = await mkdtemp(path.join(tmpdir(), 'agent-lab-store-'));
  return { dataDir: path.join(root, 'data'), cleanup: () => rm(root, { recursive: true, force: true }) };
}

/** A complete run record with plain values, overridable field by field. */
export function sampleRun(overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    run_id: 'run-1',
    session_id: 'session-1',
    agent_id: 'agent-1',
    agent_name: 'Tester',
    model: 'openai/gpt-4o-mini',
    ts: '2025-10-01T02:31:41.664Z',
    prompt_tokens: 12,
    completion_tokens: 34,
    total_tokens: 46,
    latency_ms: 812,
    ttft_ms: 120,
    tokens_per_s: 41.5,
    cost_usd: 0.000123,
    experiment_id: 'exp',
    task_label: 'qa',
    run_notes: '',
    streaming: true,
    model_list_source: 'dynamic',
    tool_web_enabled: false,
    web_status: 'off',
    aborted: false,
    finish_reason: 'stop',
    error: '',
    bakeoff_id: '',
    ...overrides,
  };
}
