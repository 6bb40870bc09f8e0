import type { RunRecord } from './run.js';

/**
 * A complete run record with plain values, overridable field by field: the one sample run the
 * tests build on (domain, store, ops). Not used by the lab itself.
 */
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
