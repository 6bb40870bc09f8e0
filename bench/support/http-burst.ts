import http from 'node:http';
import { percentile } from './stats.js';

/**
 * `ab -n <amount> -c <concurrency>` in-process: keep-alive GETs, timed per request.
 * (autocannon's `amount` mode ends on its 1-second tick, so it cannot time short bursts.)
 */
export async function burst(url: string, options: { amount: number; concurrency: number }): Promise<{ rps: number; p50: number; p99: number; errors: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.concurrency });
  const latencies: number[] = [];
  let errors = 0;
  let started = 0;
  const one = () =>
    new Promise<void>((resolve) => {
      const begin = performance.now();
      const request = http.get(url, { agent }, (response) => {
        response.resume();
        response.on('end', () => {
          if ((response.statusCode ?? 0) >= 400) errors += 1;
          latencies.push(performance.now() - begin);
          resolve();
        });
      });
      request.on('error', () => {
        errors += 1;
        resolve();
      });
    });
  const begin = performance.now();
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (started < options.amount) {
        started += 1;
        await one();
      }
    }),
  );
  const seconds = (performance.now() - begin) / 1000;
  agent.destroy();
  return { rps: latencies.length / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), errors };
}
