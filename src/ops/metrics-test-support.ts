import { afterEach } from 'vitest';
import { loadConfig } from '../config/config.js';
import type { LabStatusSources } from '../server/context.js';
import type { Logger } from './logger.js';
import { createLabMetrics, type LabMetrics } from './metrics.js';

/**
 * For the metrics tests (not part of the lab): call at a test file's top level; returns a
 * builder of LabMetrics on a test clock, each closed after its test.
 */
export function useTestMetrics(): (clock: { now: number }, sources?: Pick<Partial<LabStatusSources>, 'breakerStates' | 'activeRuns'>) => LabMetrics {
  const created: LabMetrics[] = [];
  afterEach(() => {
    for (const metrics of created.splice(0)) metrics.close();
  });
  return (clock, overrides = {}) => {
    const sources: LabStatusSources = {
      config: loadConfig({ env: {}, dotenvFile: false }),
      logger: { warn: () => {} } as unknown as Logger,
      version: 'test',
      startedAt: new Date(clock.now),
      catalogInfo: () => ({ source: 'fallback', fetched_at: null, model_count: 0, last_error: null }),
      breakerStates: () => [],
      activeRuns: () => 0,
      ...overrides,
    };
    const metrics = createLabMetrics({ sources, now: () => clock.now });
    created.push(metrics);
    return metrics;
  };
}
