import type { Metric, Registry } from 'prom-client';
import type { RollingHistogram } from './rolling-window.js';

/**
 * Per-response HTTP metrics, kept O(1) and allocation-free on the request path: one record
 * per route pattern and method (found with two Map lookups, made once), holding counts by
 * status, the Prometheus latency buckets and the rolling histogram behind `/metrics` JSON.
 * The Prometheus series (`agent_lab_http_requests_total`, `agent_lab_http_request_duration_seconds`)
 * are built from these records when scraped, in prom-client's format, so a request never
 * pays for label hashing. Label values are bounded: past `maxRoutes` route patterns new ones
 * become `other`.
 */

interface MethodStats {
  method: string;
  statuses: Map<number, number>;
  /** Non-cumulative counts per bucket; the last one is +Inf. */
  buckets: Float64Array;
  sumSeconds: number;
  count: number;
  /** For the JSON per-route percentiles; absent once `maxRolling` routes have one. */
  rolling: RollingHistogram | undefined;
}

interface RouteStats {
  label: string;
  /** A monitoring route (kept out of the SLIs). */
  monitoring: boolean;
  methods: Map<string, MethodStats>;
}

const OTHER = 'other';
/** Raw route strings remembered for the fast path (route patterns are few; this bounds memory anyway). */
const MAX_ROUTE_KEYS = 1000;
const MAX_METHODS_PER_ROUTE = 40;

export class HttpRequestMetrics {
  private readonly byRoute = new Map<string, RouteStats>();
  private readonly byLabel = new Map<string, RouteStats>();
  private readonly boundsMs: Float64Array;
  private readonly boundsSeconds: readonly number[];
  private rollingCount = 0;

  constructor(
    private readonly options: {
      bucketsSeconds: readonly number[];
      isMonitoringRoute: (route: string) => boolean;
      /** A new rolling histogram for one route and method. */
      rolling: () => RollingHistogram;
      maxRoutes?: number;
      maxRolling?: number;
    },
  ) {
    this.boundsSeconds = options.bucketsSeconds;
    this.boundsMs = Float64Array.from(options.bucketsSeconds, (seconds) => seconds * 1000);
  }

  /** Count one response; true when its route is a monitoring route. */
  record(route: string, method: string, status: number, durationMs: number): boolean {
    const routeStats = this.byRoute.get(route) ?? this.routeStats(route);
    const stats = routeStats.methods.get(method) ?? this.methodStats(routeStats, method);
    stats.statuses.set(status, (stats.statuses.get(status) ?? 0) + 1);
    const bounds = this.boundsMs;
    let bucket = 0;
    while (bucket < bounds.length && durationMs > bounds[bucket]!) bucket += 1;
    stats.buckets[bucket] = stats.buckets[bucket]! + 1;
    stats.sumSeconds += durationMs / 1000;
    stats.count += 1;
    stats.rolling?.record(durationMs);
    return routeStats.monitoring;
  }

  /** `METHOD route` → its rolling latency histogram (for the JSON document). */
  *latencies(): IterableIterator<[string, RollingHistogram]> {
    for (const routeStats of this.byLabel.values()) {
      for (const stats of routeStats.methods.values()) {
        if (stats.rolling) yield [`${stats.method} ${routeStats.label}`, stats.rolling];
      }
    }
  }

  /** Register the two Prometheus series on `registry`. */
  register(registry: Registry): void {
    const requests = {
      name: 'agent_lab_http_requests_total',
      help: 'HTTP responses by route pattern, method and status',
      type: 'counter',
      aggregator: 'sum',
      get: async () => ({ name: requests.name, help: requests.help, type: requests.type, aggregator: requests.aggregator, values: this.requestValues() }),
      reset: () => this.reset(),
    };
    const duration = {
      name: 'agent_lab_http_request_duration_seconds',
      help: 'HTTP response time by route pattern',
      type: 'histogram',
      aggregator: 'sum',
      get: async () => ({ name: duration.name, help: duration.help, type: duration.type, aggregator: duration.aggregator, values: this.durationValues() }),
      reset: () => this.reset(),
    };
    registry.registerMetric(requests as unknown as Metric);
    registry.registerMetric(duration as unknown as Metric);
  }

  private routeStats(route: string): RouteStats {
    const maxRoutes = this.options.maxRoutes ?? 200;
    const wanted = route === '' ? 'unknown' : route.slice(0, 200);
    const label = this.byLabel.has(wanted) || this.byLabel.size < maxRoutes ? wanted : OTHER;
    let routeStats = this.byLabel.get(label);
    if (!routeStats) {
      routeStats = { label, monitoring: this.options.isMonitoringRoute(route), methods: new Map() };
      this.byLabel.set(label, routeStats);
    }
    if (this.byRoute.size < MAX_ROUTE_KEYS) this.byRoute.set(route, routeStats);
    return routeStats;
  }

  private methodStats(routeStats: RouteStats, method: string): MethodStats {
    const key = routeStats.methods.size < MAX_METHODS_PER_ROUTE ? method : OTHER;
    let stats = routeStats.methods.get(key);
    if (!stats) {
      const withRolling = this.rollingCount < (this.options.maxRolling ?? 200);
      if (withRolling) this.rollingCount += 1;
      stats = {
        method: key,
        statuses: new Map(),
        buckets: new Float64Array(this.boundsMs.length + 1),
        sumSeconds: 0,
        count: 0,
        rolling: withRolling ? this.options.rolling() : undefined,
      };
      routeStats.methods.set(key, stats);
    }
    return stats;
  }

  private requestValues(): Array<{ labels: Record<string, string>; value: number }> {
    const values: Array<{ labels: Record<string, string>; value: number }> = [];
    for (const routeStats of this.byLabel.values()) {
      for (const stats of routeStats.methods.values()) {
        for (const [status, count] of stats.statuses) values.push({ labels: { route: routeStats.label, method: stats.method, status: String(status) }, value: count });
      }
    }
    return values;
  }

  /** Like prom-client's histogram: cumulative `_bucket` series (`le` first), then `_sum` and `_count`. */
  private durationValues(): Array<{ labels: Record<string, string | number>; value: number; metricName: string }> {
    const name = 'agent_lab_http_request_duration_seconds';
    const values: Array<{ labels: Record<string, string | number>; value: number; metricName: string }> = [];
    for (const routeStats of this.byLabel.values()) {
      for (const stats of routeStats.methods.values()) {
        if (stats.count === 0) continue;
        const labels = { route: routeStats.label, method: stats.method };
        let cumulative = 0;
        this.boundsSeconds.forEach((bound, index) => {
          cumulative += stats.buckets[index]!;
          values.push({ labels: { le: bound, ...labels }, value: cumulative, metricName: `${name}_bucket` });
        });
        values.push({ labels: { le: '+Inf', ...labels }, value: stats.count, metricName: `${name}_bucket` });
        values.push({ labels, value: stats.sumSeconds, metricName: `${name}_sum` });
        values.push({ labels, value: stats.count, metricName: `${name}_count` });
      }
    }
    return values;
  }

  private reset(): void {
    for (const routeStats of this.byLabel.values()) {
      for (const stats of routeStats.methods.values()) {
        stats.statuses.clear();
        stats.buckets.fill(0);
        stats.sumSeconds = 0;
        stats.count = 0;
      }
    }
  }
}
