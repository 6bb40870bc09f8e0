import type { RunRecord } from '../domain/run.js';

/**
 * Hooks through which the runner and the provider layer report what happens, so metrics
 * (and anything else that watches) never reach into them. All methods must be cheap and
 * must never throw.
 */
export interface RunObserver {
  runStarted(event: { runId: string; model: string }): void;
  firstToken(event: { runId: string; model: string; ttftMs: number }): void;
  /** Time between two consecutive streamed chunks of one run. */
  chunkGap(event: { runId: string; gapMs: number }): void;
  runFinished(event: { run: RunRecord; outcome: 'completed' | 'aborted' | 'failed' }): void;
}

export interface ProviderObserver {
  request(event: { baseUrl: string; model: string }): void;
  failure(event: { baseUrl: string; model: string; code: string; status?: number | undefined }): void;
  retry(event: { baseUrl: string; model: string; attempt: number; delayMs: number }): void;
  breakerStateChanged(event: { key: string; state: 'closed' | 'open' | 'half-open' }): void;
}

/** Observers that do nothing (tests and the CLI). */
export const noopRunObserver: RunObserver = {
  runStarted: () => {},
  firstToken: () => {},
  chunkGap: () => {},
  runFinished: () => {},
};
export const noopProviderObserver: ProviderObserver = {
  request: () => {},
  failure: () => {},
  retry: () => {},
  breakerStateChanged: () => {},
};
