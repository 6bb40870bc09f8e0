import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../domain/run.js';
import { sampleRun } from '../domain/sample-run.js';
import { useTestMetrics } from './metrics-test-support.js';

const buildMetrics = useTestMetrics();
/** Metrics with one open breaker and one active run. */
const build = (clock: { now: number }) => buildMetrics(clock, { breakerStates: () => [{ key: 'k', baseUrl: 'http://p', model: 'm', state: 'open', failures: 5 }], activeRuns: () => 1 });

/** A priced, measured run (the figures the assertions below add up). */
function run(overrides: Partial<RunRecord>): RunRecord {
  return sampleRun({ latency_ms: 1500, ttft_ms: 300, tokens_per_s: 42, cost_usd: 0.0012, ...overrides });
}

describe('createLabMetrics', () => {
  it('computes the 5xx rate over the last 5 minutes only, 0 when idle', () => {
    const clock = { now: Date.UTC(2026, 0, 1) };
    const metrics = build(clock);
    expect(metrics.json().error_rate_sli).toBe(0);
    metrics.recordHttp({ route: '/api/agents', method: 'GET', status: 500, durationMs: 5 });
    metrics.recordHttp({ route: '/api/agents', method: 'GET', status: 200, durationMs: 5 });
    metrics.recordHttp({ route: '/api/agents', method: 'GET', status: 404, durationMs: 5 });
    metrics.recordHttp({ route: '/api/agents', method: 'GET', status: 200, durationMs: 5 });
    expect(metrics.json()).toMatchObject({ error_rate_sli: 0.25, client_error_rate: 0.25, availability_sli: 0.75, total_requests: 4 });
    clock.now += 6 * 60_000;
    const later = metrics.json();
    expect(later).toMatchObject({ error_rate_sli: 0, client_error_rate: 0, availability_sli: 1, total_requests: 4, window_requests: 0 });
    // the 1 h and 24 h SLO windows still remember the failure
    expect(later.slos.availability.windows['1h']).toMatchObject({ total: 4, bad: 1 });
    expect(later.slos.availability.windows['5m']).toMatchObject({ total: 0, error_budget_remaining: 1 });
  });

  it('keeps monitoring routes and streamed responses out of the SLIs', () => {
    const clock = { now: Date.UTC(2026, 0, 1) };
    const metrics = build(clock);
    for (let index = 0; index < 100; index += 1) metrics.recordHttp({ route: '/health', method: 'GET', status: 503, durationMs: 1 });
    metrics.recordHttp({ route: '/api/chat', method: 'POST', status: 200, durationMs: 30_000, streaming: true });
    metrics.recordHttp({ route: '/api/agents', method: 'GET', status: 200, durationMs: 12 });
    const body = metrics.json();
    expect(body.error_rate_sli).toBe(0);
    expect(body.total_requests).toBe(2);
    expect(body.monitoring_requests).toBe(100);
    expect(body.latency_p95_sli).toBeLessThan(13);
    expect(body.performance.http_latency_ms.routes['POST /api/chat']?.count).toBe(1);
  });

  it('reports streaming, provider and SLO figures from the observers', async () => {
    const clock = { now: Date.UTC(2026, 0, 1) };
    const metrics = build(clock);
    for (let index = 0; index < 4; index += 1) {
      metrics.runObserver.runStarted({ runId: `r${index}`, model: 'openai/gpt-4o-mini' });
      metrics.runObserver.firstToken({ runId: `r${index}`, model: 'openai/gpt-4o-mini', ttftMs: index === 3 ? 8000 : 400 });
      metrics.runObserver.chunkGap({ runId: `r${index}`, gapMs: 40 });
    }
    metrics.runObserver.runFinished({ run: run({ run_id: 'r0' }), outcome: 'completed' });
    metrics.runObserver.runFinished({ run: run({ run_id: 'r1' }), outcome: 'completed' });
    metrics.runObserver.runFinished({ run: run({ run_id: 'r2', aborted: true }), outcome: 'aborted' });
    metrics.runObserver.runFinished({ run: run({ run_id: 'r3', error: 'boom', cost_usd: null, tokens_per_s: null }), outcome: 'failed' });
    metrics.providerObserver.request({ baseUrl: 'http://p', model: 'm' });
    metrics.providerObserver.failure({ baseUrl: 'http://p', model: 'm', code: 'provider:unavailable', status: 503 });
    metrics.providerObserver.retry({ baseUrl: 'http://p', model: 'm', attempt: 2, delayMs: 500 });
    const body = metrics.json();
    expect(body.streaming_metrics).toMatchObject({ started: 4, completed: 2, aborted: 1, failed: 1, active: 1 });
    expect(body.streaming_metrics.completion_rate).toBeCloseTo(2 / 3, 3);
    expect(body.streaming_metrics.ttft_ms.p50).toBeGreaterThan(380);
    expect(body.streaming_metrics.ttft_ms.p50).toBeLessThan(420);
    expect(body.streaming_metrics.inter_chunk_ms.p95).toBeLessThan(42);
    expect(body.provider).toMatchObject({ requests: 1, errors: 1, retries: 1, errors_by_code: { 'provider:unavailable': 1 }, circuit_open: true });
    expect(body.slos.stream_completion.windows['5m']).toMatchObject({ total: 3, bad: 1, met: false });
    expect(body.slos.stream_start.windows['5m']).toMatchObject({ total: 4, bad: 1 });
    expect(body.slos.inter_chunk_latency.windows['5m']).toMatchObject({ total: 4, bad: 0, met: true, error_budget_remaining: 1 });
    const text = await metrics.prometheus();
    // three priced runs (the aborted one too: its partial tokens cost money), the failed one unpriced
    expect(text).toMatch(/agent_lab_run_cost_usd_total\{model="openai\/gpt-4o-mini"\} 0\.00360*\d?\n/);
    expect(text).toContain('agent_lab_run_tokens_per_second_count{model="openai/gpt-4o-mini"} 3');
    expect(text).toContain('agent_lab_runs_total{model="openai/gpt-4o-mini",outcome="failed"} 1');
    expect(text).toContain('agent_lab_circuit_breaker_state{key="k"} 2');
    expect(text).toContain('agent_lab_stream_inter_chunk_seconds_count{model="openai/gpt-4o-mini"} 4');
  });

  it('caps the distinct model labels, so arbitrary model ids cannot grow memory', async () => {
    const metrics = build({ now: Date.UTC(2026, 0, 1) });
    for (let index = 0; index < 250; index += 1) metrics.runObserver.runStarted({ runId: `r${index}`, model: `vendor/model-${index}` });
    const text = await metrics.prometheus();
    const labels = text.split('\n').filter((line) => line.startsWith('agent_lab_runs_started_total{'));
    expect(labels.length).toBe(101);
    expect(text).toContain('agent_lab_runs_started_total{model="other"} 150');
  });
});
