import type { LabConfig } from '../config/config.js';
import type { Logger } from '../ops/logger.js';

/** What the operations layer needs to know about the model catalog, without fetching. */
export interface CatalogInfo {
  source: 'dynamic' | 'fallback';
  fetched_at: string | null;
  model_count: number;
  last_error: string | null;
}

/** One circuit breaker, per provider base URL and model. */
export interface BreakerInfo {
  key: string;
  baseUrl: string;
  model: string;
  state: 'closed' | 'open' | 'half-open';
  failures: number;
  openedAt?: string | undefined;
}

/** Read-only views of the lab that health, metrics and status report on. */
export interface LabStatusSources {
  config: LabConfig;
  logger: Logger;
  version: string;
  startedAt: Date;
  catalogInfo: () => CatalogInfo;
  breakerStates: () => BreakerInfo[];
  /** Runs streaming right now (for graceful shutdown and metrics). */
  activeRuns: () => number;
}
