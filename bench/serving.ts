import autocannon from 'autocannon';
import { startBareServer } from './support/bare.js';
import { burst as httpBurst } from './support/http-burst.js';
import { startBenchLab } from './support/lab.js';
import { count, goalCell, ms, ratio, span, type Row, type SectionReport } from './support/report.js';

/**
 * Serving: `/health` at concurrency 10 (1000 requests, like the playbook's `ab -n 1000 -c 10`,
 * and sustained), vs a bare Fastify server answering a constant in its own process (so the
 * load generator shares neither's event loop); and `/metrics`.
 */

interface Load {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

async function load(url: string, options: { amount?: number; duration?: number; connections?: number }): Promise<Load> {
  if (options.amount) return httpBurst(url, { amount: options.amount, concurrency: options.connections ?? 10 });
  const result = await autocannon({
    url,
    connections: options.connections ?? 10,
    duration: options.duration ?? 5,
    timeout: 10,
  });
  const seconds = (result.finish.getTime() - result.start.getTime()) / 1000;
  return { rps: result.requests.total / seconds, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.timeouts + result.non2xx };
}

export async function runServingBench(options: { repeats?: number; sustainSeconds?: number } = {}): Promise<SectionReport> {
  const repeats = options.repeats ?? 5;
  const sustain = options.sustainSeconds ?? 5;
  const lab = await startBenchLab();
  const bare = await startBareServer();
  const burst: Record<'lab' | 'bare' | 'metrics', Load[]> = { lab: [], bare: [], metrics: [] };
  let sustained: { lab: Load; bare: Load; metrics: Load };
  try {
    await load(`${lab.url}/health`, { amount: 500 });
    await load(`${bare.url}/health`, { amount: 500 });
    await load(`${lab.url}/metrics`, { amount: 100 });
    for (let round = 0; round < repeats; round++) {
      const order = round % 2 === 0 ? (['lab', 'bare'] as const) : (['bare', 'lab'] as const);
      for (const side of order) burst[side].push(await load(`${side === 'lab' ? lab.url : bare.url}/health`, { amount: 1000 }));
      burst.metrics.push(await load(`${lab.url}/metrics`, { amount: 200 }));
    }
    console.log(`  serving: /health burst ${burst.lab.map((l) => l.rps.toFixed(0)).join(',')} vs bare ${burst.bare.map((l) => l.rps.toFixed(0)).join(',')}`);
    const sustainedLab = await load(`${lab.url}/health`, { duration: sustain });
    const sustainedBare = await load(`${bare.url}/health`, { duration: sustain });
    const sustainedMetrics = await load(`${lab.url}/metrics`, { duration: Math.max(2, Math.round(sustain / 2)) });
    sustained = { lab: sustainedLab, bare: sustainedBare, metrics: sustainedMetrics };
  } finally {
    await bare.close();
    await lab.close();
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const labRps = median(burst.lab.map((l) => l.rps));
  const bareRps = median(burst.bare.map((l) => l.rps));
  const ratios = burst.lab.map((l, index) => l.rps / burst.bare[index]!.rps);
  const burstRatio = labRps / bareRps;
  const sustainedRatio = sustained.lab.rps / sustained.bare.rps;
  const errors = [...burst.lab, ...burst.bare, ...burst.metrics, sustained.lab, sustained.bare, sustained.metrics].reduce((sum, l) => sum + l.errors, 0);
  const rows: Row[] = [
    {
      figure: '`/health` requests/s, 1000 requests at concurrency 10 (median of repeats)',
      value: count(labRps),
      baseline: `${count(bareRps)} (bare Fastify constant)`,
      ratio: ratio(labRps, bareRps),
      goal: goalCell('≥ 0.7', burstRatio >= 0.7),
      range: `ratio ${span(ratios, (v) => v.toFixed(2))}`,
    },
    {
      figure: '`/health` p99 latency, 1000 requests at c10 (median of repeats)',
      value: ms(median(burst.lab.map((l) => l.p99)), 0),
      baseline: ms(median(burst.bare.map((l) => l.p99)), 0),
      ratio: ratio(median(burst.lab.map((l) => l.p99)), median(burst.bare.map((l) => l.p99))),
      goal: '',
      range: `${span(burst.lab.map((l) => l.p99), (v) => ms(v, 0))} vs ${span(burst.bare.map((l) => l.p99), (v) => ms(v, 0))}`,
    },
    {
      figure: `\`/health\` requests/s, sustained ${sustain} s at c10`,
      value: count(sustained.lab.rps),
      baseline: count(sustained.bare.rps),
      ratio: ratio(sustained.lab.rps, sustained.bare.rps),
      goal: goalCell('≥ 0.7', sustainedRatio >= 0.7),
      range: '',
    },
    {
      figure: `\`/health\` p50 / p99, sustained`,
      value: `${ms(sustained.lab.p50, 0)} / ${ms(sustained.lab.p99, 0)}`,
      baseline: `${ms(sustained.bare.p50, 0)} / ${ms(sustained.bare.p99, 0)}`,
      ratio: ratio(sustained.lab.p99, sustained.bare.p99),
      goal: '',
      range: '',
    },
    {
      figure: '`/metrics` requests/s at c10 (JSON: SLIs, percentiles, memory)',
      value: count(median(burst.metrics.map((l) => l.rps))),
      baseline: `${count(labRps)} (lab \`/health\`)`,
      ratio: ratio(median(burst.metrics.map((l) => l.rps)), labRps),
      goal: '',
      range: span(burst.metrics.map((l) => l.rps), (v) => count(v)),
    },
    {
      figure: '`/metrics` p99 latency, sustained',
      value: `${ms(sustained.metrics.p99, 0)} (${count(sustained.metrics.rps)} req/s)`,
      baseline: `${ms(sustained.lab.p99, 0)} (lab \`/health\`)`,
      ratio: ratio(sustained.metrics.p99, sustained.lab.p99),
      goal: '',
      range: '',
    },
  ];
  return {
    id: 'serving',
    title: '4. Serving',
    method:
      `Against the built lab and a bare Fastify server answering a constant, each in its own child process. ` +
      `${repeats} alternating repeats of 1000 keep-alive requests by 10 workers (the playbook's \`ab -n 1000 -c 10\`, timed per request in the benchmark process; ` +
      `autocannon's \`amount\` mode ends on a 1-second tick so cannot time a burst this short), then ${sustain} s sustained each with autocannon 8 (10 connections). The lab's \`/health\` goes through all its hooks: ` +
      'request id, access log line, security headers, service-mode check, metrics.',
    rows,
    notes: errors > 0 ? [`${errors} errors, timeouts or non-2xx answers in total.`] : [],
    goals: [{ goal: 'Serving: `/health` req/s ≥ 0.7 × bare Fastify (c10)', met: burstRatio >= 0.7 && sustainedRatio >= 0.7, detail: `${burstRatio.toFixed(2)} (1000 req), ${sustainedRatio.toFixed(2)} (sustained)` }],
  };
}
