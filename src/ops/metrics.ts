import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { LabStatusSources } from '../server/context.js';
import { listBreakers, type BreakerList } from './breaker-list.js';
import { HttpRequestMetrics } from './http-metrics.js';
import type { ProviderObserver, RunObserver } from './observers.js';
import { RollingCounters, RollingHistogram } from './rolling-window.js';

/**
 * The lab's metrics: SLIs over a rolling window (5xx rate, availability, latency), streaming
 * and provider counts, SLOs with their remaining error budget, and the same as Prometheus
 * text (prefix `agent_lab_`). Memory is bounded: rolling windows live in time slots, and
 * label values (models, routes) are capped.
 */

/** One HTTP response, as the request-metrics hook reports it. */
export interface HttpEvent {
  /** The route pattern (`/api/agents/:id`), never the raw URL. */
  route: string;
  method: string;
  status: number;
  durationMs: number;
  /** An SSE response: its duration is the stream's, so it stays out of the latency SLI. */
  streaming?: boolean;
}

export interface LabMetrics {
  runObserver: RunObserver;
  providerObserver: ProviderObserver;
  recordHttp(event: HttpEvent): void;
  /** The `/metrics` JSON document. */
  json(): LabMetricsJson;
  /** The Prometheus text exposition. */
  prometheus(): Promise<string>;
  /** The Content-Type of `prometheus()`'s text. */
  readonly contentType: string;
  /** Event-loop delay over the last minute, in milliseconds. */
  eventLoopLag(): EventLoopLag;
  /** Stop the timers and the event-loop monitor. */
  close(): void;
}

export interface EventLoopLag {
  mean: number;
  p50: number;
  p99: number;
  max: number;
}

interface Percentiles {
  p50: number | null;
  p95: number | null;
}

interface SloWindow {
  sli: number;
  good: number;
  bad: number;
  total: number;
  /** 1 = untouched, 0 = spent, negative = overspent. */
  error_budget_remaining: number;
  met: boolean;
}

export interface SloReport {
  objective: string;
  target: number;
  windows: Record<string, SloWindow>;
  current_p95_ms?: number | null;
  threshold_ms?: number;
}

export interface LabMetricsJson {
  generated_at: string;
  window_seconds: number;
  error_rate_sli: number;
  client_error_rate: number;
  availability_sli: number;
  latency_p95_sli: number;
  total_requests: number;
  window_requests: number;
  monitoring_requests: number;
  streaming_metrics: {
    started: number;
    completed: number;
    aborted: number;
    failed: number;
    active: number;
    completion_rate: number;
    recent: { started: number; completed: number; aborted: number; failed: number; completion_rate: number };
    ttft_ms: Percentiles;
    inter_chunk_ms: Percentiles;
    tokens_per_s: Percentiles;
  };
  performance: {
    http_latency_ms: { overall: Percentiles & { p99: number | null; count: number }; routes: Record<string, Percentiles & { p99: number | null; count: number }> };
    event_loop_lag_ms: EventLoopLag;
    memory: { rss_mb: number; heap_used_mb: number; heap_total_mb: number; external_mb: number };
    cpu: { percent: number; user_seconds: number; system_seconds: number };
    uptime_seconds: number;
  };
  provider: {
    requests: number;
    errors: number;
    retries: number;
    errors_by_code: Record<string, number>;
    recent: { requests: number; errors: number; retries: number };
    circuit_open: boolean;
    /** At most MAX_LISTED_BREAKERS, open ones first. */
    breakers: BreakerList['breakers'];
    breakers_total: number;
    /** Breakers not listed. */
    breakers_more: number;
  };
  slos: Record<'availability' | 'error_rate' | 'stream_completion' | 'inter_chunk_latency' | 'stream_start', SloReport>;
}

/** The SLO targets (fraction of good events) and thresholds. */
export const SLO_TARGETS = {
  availability: 0.999,
  errorRate: 0.99,
  streamCompletion: 0.99,
  interChunkP95Ms: 500,
  streamStartP95Ms: 5000,
  latencyQuantile: 0.95,
} as const;

/** Monitoring routes stay out of the SLIs: a load test of /health neither hides nor creates errors. */
export function isMonitoringRoute(route: string): boolean {
  return route === '/health' || route.startsWith('/health/') || route === '/metrics' || route.startsWith('/metrics/');
}

const COUNTER_KEYS = [
  'http_total',
  'http_5xx',
  'http_4xx',
  'streams_started',
  'streams_completed',
  'streams_aborted',
  'streams_failed',
  'streams_finished',
  'gaps_total',
  'gaps_slow',
  'ttft_total',
  'ttft_slow',
  'provider_requests',
  'provider_errors',
  'provider_retries',
] as const;
type CounterKey = (typeof COUNTER_KEYS)[number];

const SLO_WINDOWS = [
  { name: '5m', ms: 5 * 60_000 },
  { name: '1h', ms: 60 * 60_000 },
  { name: '24h', ms: 24 * 60 * 60_000 },
] as const;

const MAX_LABEL_VALUES = 100;
/** How long a computed `/metrics` JSON document is reused while only monitoring requests arrive. */
const JSON_CACHE_MS = 500;
const OTHER_LABEL = 'other';

/** Keeps a label's distinct values bounded: past the cap, new values become `other`. */
function boundedLabel(limit = MAX_LABEL_VALUES): (value: string) => string {
  const seen = new Set<string>();
  return (value) => {
    const label = value === '' ? 'unknown' : value.slice(0, 200);
    if (seen.has(label)) return label;
    if (seen.size >= limit) return OTHER_LABEL;
    seen.add(label);
    return label;
  };
}

const round = (value: number, digits = 4) => {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
};
const megabytes = (bytes: number) => round(bytes / 1_048_576, 1);

/** Build the metrics for one lab process. */
export function createLabMetrics(options: { sources: LabStatusSources; windowSeconds?: number; now?: () => number }): LabMetrics {
  const { sources, windowSeconds = 300 } = options;
  const now = options.now ?? Date.now;
  const windowMs = windowSeconds * 1000;
  const fineSlotMs = Math.max(1000, Math.floor(windowMs / 60));
  const fine = new RollingCounters<CounterKey>({ keys: COUNTER_KEYS, slotMs: fineSlotMs, slots: Math.ceil(windowMs / fineSlotMs), now });
  const coarse = new RollingCounters<CounterKey>({ keys: COUNTER_KEYS, slotMs: 60_000, slots: 24 * 60, now });
  const histogram = () => new RollingHistogram({ slotMs: fineSlotMs, slots: Math.ceil(windowMs / fineSlotMs), now });
  const httpLatency = histogram();
  const ttft = histogram();
  const interChunk = histogram();
  const tokensPerSecond = histogram();
  const totals = { http: 0, monitoring: 0, started: 0, completed: 0, aborted: 0, failed: 0, providerRequests: 0, providerErrors: 0, providerRetries: 0 };
  const errorsByCode = new Map<string, number>();
  const runModels = new Map<string, string>();
  const modelLabel = boundedLabel();
  const codeLabel = boundedLabel(50);

  const bump = (key: CounterKey, amount = 1) => {
    fine.add(key, amount);
    coarse.add(key, amount);
  };
  const guard =
    <Args extends unknown[]>(what: string, body: (...args: Args) => void) =>
    (...args: Args): void => {
      try {
        body(...args);
      } catch (error) {
        // observers must never break a run or a request; the failure is still visible in the log
        sources.logger.warn({ err: error, observer: what }, 'Metrics observer failed');
      }
    };

  // --- Prometheus
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'agent_lab_' });
  // HTTP responses (agent_lab_http_requests_total, agent_lab_http_request_duration_seconds): counted
  // without prom-client on the request path, exported in its format when scraped
  const http = new HttpRequestMetrics({
    bucketsSeconds: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    isMonitoringRoute,
    rolling: histogram,
    maxRoutes: 200,
    maxRolling: 200,
  });
  http.register(registry);
  const runsStarted = new Counter({ name: 'agent_lab_runs_started_total', help: 'Runs started, by model', labelNames: ['model'], registers: [registry] });
  const runsFinished = new Counter({ name: 'agent_lab_runs_total', help: 'Runs finished, by model and outcome', labelNames: ['model', 'outcome'], registers: [registry] });
  const runTtft = new Histogram({ name: 'agent_lab_run_ttft_seconds', help: 'Time to first token, by model', labelNames: ['model'], buckets: [0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 20, 30, 60], registers: [registry] });
  const runLatency = new Histogram({ name: 'agent_lab_run_latency_seconds', help: 'Run latency (request to last token), by model', labelNames: ['model'], buckets: [0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300], registers: [registry] });
  const runTokensPerSecond = new Histogram({ name: 'agent_lab_run_tokens_per_second', help: 'Completion tokens per second after the first token, by model', labelNames: ['model'], buckets: [1, 5, 10, 20, 40, 60, 100, 150, 250, 500], registers: [registry] });
  const runCost = new Counter({ name: 'agent_lab_run_cost_usd_total', help: 'Cost of runs in USD, by model', labelNames: ['model'], registers: [registry] });
  const runCostPerRun = new Histogram({ name: 'agent_lab_run_cost_usd', help: 'Cost of one run in USD, by model', labelNames: ['model'], buckets: [0.00001, 0.0001, 0.001, 0.01, 0.05, 0.1, 0.5, 1], registers: [registry] });
  const runTokens = new Counter({ name: 'agent_lab_run_tokens_total', help: 'Tokens of runs, by model and kind (prompt, completion)', labelNames: ['model', 'kind'], registers: [registry] });
  const chunkGaps = new Histogram({ name: 'agent_lab_stream_inter_chunk_seconds', help: 'Time between streamed chunks, by model', labelNames: ['model'], buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10], registers: [registry] });
  const providerRequests = new Counter({ name: 'agent_lab_provider_requests_total', help: 'Provider requests, by model', labelNames: ['model'], registers: [registry] });
  const providerFailures = new Counter({ name: 'agent_lab_provider_failures_total', help: 'Provider failures, by model and error code', labelNames: ['model', 'code'], registers: [registry] });
  const providerRetries = new Counter({ name: 'agent_lab_provider_retries_total', help: 'Provider retries, by model', labelNames: ['model'], registers: [registry] });
  const breakerTransitions = new Counter({ name: 'agent_lab_circuit_breaker_transitions_total', help: 'Circuit breaker state changes, by new state', labelNames: ['state'], registers: [registry] });
  new Gauge({
    name: 'agent_lab_circuit_breaker_state',
    help: 'Circuit breaker state per provider base URL and model: 0 closed, 1 half-open, 2 open',
    labelNames: ['key'],
    registers: [registry],
    collect() {
      this.reset();
      for (const breaker of listBreakers(sources.breakerStates(), MAX_LABEL_VALUES).breakers) {
        this.set({ key: breaker.key }, breaker.state === 'open' ? 2 : breaker.state === 'half-open' ? 1 : 0);
      }
    },
  });
  new Gauge({ name: 'agent_lab_active_runs', help: 'Runs streaming right now', registers: [registry], collect() { this.set(sources.activeRuns()); } });
  new Gauge({ name: 'agent_lab_error_rate_sli', help: 'Fraction of 5xx responses over the rolling window', registers: [registry], collect() { this.set(rates().errorRate); } });
  new Gauge({ name: 'agent_lab_availability_sli', help: 'Fraction of non-5xx responses over the rolling window', registers: [registry], collect() { this.set(1 - rates().errorRate); } });

  // --- event loop and CPU
  const loopMonitor = monitorEventLoopDelay({ resolution: 10 });
  loopMonitor.enable();
  let lastLoop: EventLoopLag = { mean: 0, p50: 0, p99: 0, max: 0 };
  const readLoop = (): EventLoopLag => {
    const ms = (nanoseconds: number) => round(Number.isFinite(nanoseconds) ? nanoseconds / 1e6 : 0, 2);
    return { mean: ms(loopMonitor.mean), p50: ms(loopMonitor.percentile(50)), p99: ms(loopMonitor.percentile(99)), max: ms(loopMonitor.max) };
  };
  let cpuSample = { at: process.hrtime.bigint(), usage: process.cpuUsage() };
  let cpuPercent = 0;
  const sampler = setInterval(() => {
    const at = process.hrtime.bigint();
    const usage = process.cpuUsage();
    const elapsedMicros = Number(at - cpuSample.at) / 1000;
    if (elapsedMicros > 0) cpuPercent = round(((usage.user - cpuSample.usage.user + usage.system - cpuSample.usage.system) / elapsedMicros) * 100, 1);
    cpuSample = { at, usage };
  }, 5000);
  sampler.unref();
  const loopRotation = setInterval(() => {
    lastLoop = readLoop();
    loopMonitor.reset();
  }, 60_000);
  loopRotation.unref();
  const eventLoopLag = (): EventLoopLag => (loopMonitor.count >= 50 ? readLoop() : lastLoop);

  // --- SLIs
  function rates() {
    const window = fine.sums(windowMs);
    const total = window.http_total;
    return {
      window,
      total,
      errorRate: total > 0 ? window.http_5xx / total : 0,
      clientErrorRate: total > 0 ? window.http_4xx / total : 0,
    };
  }

  // once per response: O(1), no allocation (no label objects, no key strings, no argument arrays)
  const recordHttp = (event: HttpEvent): void => {
    try {
      if (http.record(event.route, event.method, event.status, event.durationMs)) {
        totals.monitoring += 1;
        return;
      }
      // an SLI moved: the next /metrics computes a fresh document
      jsonCache = undefined;
      totals.http += 1;
      bump('http_total');
      if (event.status >= 500) bump('http_5xx');
      else if (event.status >= 400) bump('http_4xx');
      if (!event.streaming) httpLatency.record(event.durationMs);
    } catch (error) {
      // metrics must never break a request; the failure is still visible in the log
      sources.logger.warn({ err: error, observer: 'http' }, 'Metrics observer failed');
    }
  };

  const runObserver: RunObserver = {
    runStarted: guard('runStarted', (event) => {
      totals.started += 1;
      bump('streams_started');
      const model = modelLabel(event.model);
      runsStarted.inc({ model });
      // bounded: a run that never reports its end must not grow the map forever
      if (runModels.size >= 10_000) runModels.clear();
      runModels.set(event.runId, model);
    }),
    firstToken: guard('firstToken', (event) => {
      ttft.record(event.ttftMs);
      bump('ttft_total');
      if (event.ttftMs > SLO_TARGETS.streamStartP95Ms) bump('ttft_slow');
      runTtft.observe({ model: modelLabel(event.model) }, event.ttftMs / 1000);
    }),
    chunkGap: guard('chunkGap', (event) => {
      interChunk.record(event.gapMs);
      bump('gaps_total');
      if (event.gapMs > SLO_TARGETS.interChunkP95Ms) bump('gaps_slow');
      chunkGaps.observe({ model: runModels.get(event.runId) ?? 'unknown' }, event.gapMs / 1000);
    }),
    runFinished: guard('runFinished', ({ run, outcome }) => {
      runModels.delete(run.run_id);
      const model = modelLabel(run.model);
      totals[outcome] += 1;
      bump(outcome === 'completed' ? 'streams_completed' : outcome === 'aborted' ? 'streams_aborted' : 'streams_failed');
      // a user's Stop is not a failure of the lab: aborted runs stay out of the completion SLO
      if (outcome !== 'aborted') bump('streams_finished');
      runsFinished.inc({ model, outcome });
      runLatency.observe({ model }, run.latency_ms / 1000);
      if (run.tokens_per_s !== null && Number.isFinite(run.tokens_per_s)) {
        tokensPerSecond.record(run.tokens_per_s);
        runTokensPerSecond.observe({ model }, run.tokens_per_s);
      }
      if (run.cost_usd !== null && run.cost_usd > 0) {
        runCost.inc({ model }, run.cost_usd);
        runCostPerRun.observe({ model }, run.cost_usd);
      }
      if (run.prompt_tokens > 0) runTokens.inc({ model, kind: 'prompt' }, run.prompt_tokens);
      if (run.completion_tokens > 0) runTokens.inc({ model, kind: 'completion' }, run.completion_tokens);
    }),
  };

  const providerObserver: ProviderObserver = {
    request: guard('providerRequest', (event) => {
      totals.providerRequests += 1;
      bump('provider_requests');
      providerRequests.inc({ model: modelLabel(event.model) });
    }),
    failure: guard('providerFailure', (event) => {
      totals.providerErrors += 1;
      bump('provider_errors');
      const code = codeLabel(event.code);
      errorsByCode.set(code, (errorsByCode.get(code) ?? 0) + 1);
      providerFailures.inc({ model: modelLabel(event.model), code });
    }),
    retry: guard('providerRetry', (event) => {
      totals.providerRetries += 1;
      bump('provider_retries');
      providerRetries.inc({ model: modelLabel(event.model) });
    }),
    breakerStateChanged: guard('breakerStateChanged', (event) => {
      breakerTransitions.inc({ state: event.state });
    }),
  };

  const completionRate = (completed: number, failed: number) => (completed + failed > 0 ? round(completed / (completed + failed)) : 1);

  type WindowSums = ReadonlyArray<Record<CounterKey, number>>;
  /** The counters summed over each SLO window, once per document (every SLO reads the same three). */
  const sloWindowSums = (): WindowSums => SLO_WINDOWS.map((window) => (window.ms <= windowMs ? fine.sums(window.ms) : coarse.sums(window.ms)));

  const slo = (
    spec: { objective: string; target: number; bad: CounterKey; total: CounterKey; extra?: Partial<SloReport> },
    windowSums: WindowSums,
  ): SloReport => {
    const windows: Record<string, SloWindow> = {};
    for (const [index, window] of SLO_WINDOWS.entries()) {
      const sums = windowSums[index]!;
      const total = sums[spec.total];
      const bad = Math.min(sums[spec.bad], total);
      const sli = total > 0 ? (total - bad) / total : 1;
      const allowed = (1 - spec.target) * total;
      windows[window.name] = {
        sli: round(sli, 5),
        good: total - bad,
        bad,
        total,
        error_budget_remaining: total === 0 ? 1 : round(1 - bad / allowed),
        met: sli >= spec.target,
      };
    }
    return { objective: spec.objective, target: spec.target, windows, ...spec.extra };
  };

  /**
   * The `/metrics` document is reused for up to JSON_CACHE_MS while only monitoring requests
   * arrive (monitors poll every few seconds; a burst of them, or a load test of `/metrics`,
   * must not recompute percentiles and SLO windows each time). Any other HTTP response makes
   * the next call compute it afresh, so the HTTP SLIs never lag behind traffic; run, stream and
   * provider figures, memory and CPU may be up to JSON_CACHE_MS old.
   */
  let jsonCache: { at: number; document: LabMetricsJson } | undefined;
  const json = (): LabMetricsJson => {
    const at = now();
    if (jsonCache && at >= jsonCache.at && at - jsonCache.at < JSON_CACHE_MS) return jsonCache.document;
    const document = computeJson();
    jsonCache = { at, document };
    return document;
  };

  const computeJson = (): LabMetricsJson => {
    const { window, total, errorRate, clientErrorRate } = rates();
    const windowSums = sloWindowSums();
    const [latencyP50, latencyP95, latencyP99] = httpLatency.percentiles([0.5, 0.95, 0.99]);
    const pair = (values: Array<number | null>): Percentiles => ({ p50: values[0] ?? null, p95: values[1] ?? null });
    const routes: LabMetricsJson['performance']['http_latency_ms']['routes'] = {};
    for (const [key, perRoute] of http.latencies()) {
      const count = perRoute.count();
      if (count === 0) continue;
      const [p50, p95, p99] = perRoute.percentiles([0.5, 0.95, 0.99]);
      routes[key] = { count, p50: p50 ?? null, p95: p95 ?? null, p99: p99 ?? null };
    }
    const memory = process.memoryUsage();
    const cpu = process.cpuUsage();
    const ttftPercentiles = pair(ttft.percentiles([0.5, 0.95]));
    const gapPercentiles = pair(interChunk.percentiles([0.5, 0.95]));
    const breakers = listBreakers(sources.breakerStates());
    return {
      generated_at: new Date(now()).toISOString(),
      window_seconds: windowSeconds,
      error_rate_sli: round(errorRate),
      client_error_rate: round(clientErrorRate),
      availability_sli: round(1 - errorRate),
      latency_p95_sli: latencyP95 ?? 0,
      total_requests: totals.http,
      window_requests: total,
      monitoring_requests: totals.monitoring,
      streaming_metrics: {
        started: totals.started,
        completed: totals.completed,
        aborted: totals.aborted,
        failed: totals.failed,
        active: sources.activeRuns(),
        completion_rate: completionRate(totals.completed, totals.failed),
        recent: {
          started: window.streams_started,
          completed: window.streams_completed,
          aborted: window.streams_aborted,
          failed: window.streams_failed,
          completion_rate: completionRate(window.streams_completed, window.streams_failed),
        },
        ttft_ms: ttftPercentiles,
        inter_chunk_ms: gapPercentiles,
        tokens_per_s: pair(tokensPerSecond.percentiles([0.5, 0.95])),
      },
      performance: {
        http_latency_ms: { overall: { count: httpLatency.count(), p50: latencyP50 ?? null, p95: latencyP95 ?? null, p99: latencyP99 ?? null }, routes },
        event_loop_lag_ms: eventLoopLag(),
        memory: { rss_mb: megabytes(memory.rss), heap_used_mb: megabytes(memory.heapUsed), heap_total_mb: megabytes(memory.heapTotal), external_mb: megabytes(memory.external) },
        cpu: { percent: cpuPercent, user_seconds: round(cpu.user / 1e6, 2), system_seconds: round(cpu.system / 1e6, 2) },
        uptime_seconds: Math.round((now() - sources.startedAt.getTime()) / 1000),
      },
      provider: {
        requests: totals.providerRequests,
        errors: totals.providerErrors,
        retries: totals.providerRetries,
        errors_by_code: Object.fromEntries(errorsByCode),
        recent: { requests: window.provider_requests, errors: window.provider_errors, retries: window.provider_retries },
        circuit_open: breakers.open > 0,
        breakers: breakers.breakers,
        breakers_total: breakers.total,
        breakers_more: breakers.more,
      },
      slos: {
        availability: slo({ objective: 'at least 99.9 % of API and page responses are not 5xx', target: SLO_TARGETS.availability, bad: 'http_5xx', total: 'http_total' }, windowSums),
        error_rate: slo({ objective: '5xx responses stay under 1 %', target: SLO_TARGETS.errorRate, bad: 'http_5xx', total: 'http_total' }, windowSums),
        stream_completion: slo({
          objective: 'at least 99 % of finished runs complete (user aborts excluded)',
          target: SLO_TARGETS.streamCompletion,
          bad: 'streams_failed',
          total: 'streams_finished',
        }, windowSums),
        inter_chunk_latency: slo({
          objective: 'inter-chunk p95 under 500 ms (95 % of gaps at most 500 ms)',
          target: SLO_TARGETS.latencyQuantile,
          bad: 'gaps_slow',
          total: 'gaps_total',
          extra: { current_p95_ms: gapPercentiles.p95, threshold_ms: SLO_TARGETS.interChunkP95Ms },
        }, windowSums),
        stream_start: slo({
          objective: 'stream start (TTFT) p95 under 5 s (95 % of first tokens within 5 s)',
          target: SLO_TARGETS.latencyQuantile,
          bad: 'ttft_slow',
          total: 'ttft_total',
          extra: { current_p95_ms: ttftPercentiles.p95, threshold_ms: SLO_TARGETS.streamStartP95Ms },
        }, windowSums),
      },
    };
  };

  return {
    runObserver,
    providerObserver,
    recordHttp,
    json,
    prometheus: () => registry.metrics(),
    contentType: registry.contentType,
    eventLoopLag,
    close: () => {
      clearInterval(sampler);
      clearInterval(loopRotation);
      loopMonitor.disable();
      registry.clear();
    },
  };
}
