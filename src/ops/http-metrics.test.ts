import { describe, expect, it } from 'vitest';
import { useTestMetrics } from './metrics-test-support.js';

const build = useTestMetrics();

describe('HTTP request metrics', () => {
  it('exports counts by route, method and status and cumulative latency buckets in the Prometheus format', async () => {
    const metrics = build({ now: Date.UTC(2026, 0, 1) });
    metrics.recordHttp({ route: '/api/agents/:id', method: 'GET', status: 200, durationMs: 3 });
    metrics.recordHttp({ route: '/api/agents/:id', method: 'GET', status: 200, durationMs: 70 });
    metrics.recordHttp({ route: '/api/agents/:id', method: 'GET', status: 404, durationMs: 7000 });
    const text = await metrics.prometheus();
    expect(text).toContain('# TYPE agent_lab_http_requests_total counter');
    expect(text).toContain('agent_lab_http_requests_total{route="/api/agents/:id",method="GET",status="200"} 2');
    expect(text).toContain('agent_lab_http_requests_total{route="/api/agents/:id",method="GET",status="404"} 1');
    expect(text).toContain('# TYPE agent_lab_http_request_duration_seconds histogram');
    expect(text).toContain('agent_lab_http_request_duration_seconds_bucket{le="0.005",route="/api/agents/:id",method="GET"} 1');
    expect(text).toContain('agent_lab_http_request_duration_seconds_bucket{le="0.1",route="/api/agents/:id",method="GET"} 2');
    expect(text).toContain('agent_lab_http_request_duration_seconds_bucket{le="10",route="/api/agents/:id",method="GET"} 3');
    expect(text).toContain('agent_lab_http_request_duration_seconds_bucket{le="+Inf",route="/api/agents/:id",method="GET"} 3');
    expect(text).toMatch(/agent_lab_http_request_duration_seconds_sum\{route="\/api\/agents\/:id",method="GET"\} 7\.073\d*\n/);
    expect(text).toContain('agent_lab_http_request_duration_seconds_count{route="/api/agents/:id",method="GET"} 3');
  });

  it('caps the distinct route labels', async () => {
    const metrics = build({ now: Date.UTC(2026, 0, 1) });
    for (let index = 0; index < 250; index += 1) metrics.recordHttp({ route: `/r/${index}`, method: 'GET', status: 200, durationMs: 1 });
    const text = await metrics.prometheus();
    const series = text.split('\n').filter((line) => line.startsWith('agent_lab_http_requests_total{'));
    expect(series).toHaveLength(201);
    expect(text).toContain('agent_lab_http_requests_total{route="other",method="GET",status="200"} 50');
  });

  it('reuses the /metrics document briefly while only monitoring requests arrive, and never past other traffic', () => {
    const clock = { now: Date.UTC(2026, 0, 1) };
    const metrics = build(clock);
    const first = metrics.json();
    metrics.recordHttp({ route: '/health', method: 'GET', status: 200, durationMs: 1 });
    clock.now += 100;
    expect(metrics.json()).toBe(first);
    clock.now += 1000;
    const aged = metrics.json();
    expect(aged).not.toBe(first);
    expect(aged.monitoring_requests).toBe(1);
    metrics.recordHttp({ route: '/api/agents', method: 'GET', status: 500, durationMs: 1 });
    const fresh = metrics.json();
    expect(fresh).not.toBe(aged);
    expect(fresh).toMatchObject({ total_requests: 1, error_rate_sli: 1 });
  });
});
