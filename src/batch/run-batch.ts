import { BatchError } from './batch-error.js';
import type { BatchRun, ChatOutcome, LabClient } from './lab-client.js';
import { pairId, type BatchPair } from './pairs.js';

/**
 * The batch scheduler: K pairs in flight through the lab's chat API. It honours the lab's
 * 429 Retry-After (everything waits), backs off a model whose circuit breaker is open or
 * whose provider rate-limits (its pairs go back in the queue for later), and on interrupt
 * aborts the pairs in flight (the lab records them as aborted) and starts nothing new.
 */

export type PairStatus = 'ok' | 'failed' | 'aborted';

export interface PairResult {
  pair: BatchPair;
  status: PairStatus;
  run: BatchRun | undefined;
  message: string;
  attempts: number;
}

export interface BatchProgress {
  done: number;
  total: number;
  ok: number;
  failed: number;
  inFlight: number;
  /** When everything waits (rate limit, open circuit): ms until the next try. */
  waitingMs: number;
}

export interface BatchReport {
  results: PairResult[];
  interrupted: boolean;
  /** Set when the lab refused to go on (auth, read-only, unreachable). */
  stoppedBy: BatchError | undefined;
  /** Pairs never started (interrupted or stopped). */
  notStarted: number;
  /** Pairs sent back to the queue after a rate limit or an open circuit. */
  deferrals: number;
}

export interface RunBatchOptions {
  client: LabClient;
  pairs: BatchPair[];
  experimentId: string;
  concurrency?: number;
  /** Tries per pair when the lab or the provider asks to wait (429, open circuit, provider rate limit). */
  maxAttempts?: number;
  /** Interrupt: abort the pairs in flight, start nothing new. */
  signal: AbortSignal;
  /** Progress counts: pairs finished before this batch started count as done. */
  alreadyDone?: number;
  onProgress?: (progress: BatchProgress) => void;
  onNotice?: (message: string) => void;
  /** Backoff base (ms) after an open circuit or a provider rate limit; doubles per try. */
  backoffMs?: number;
}

/** Wait `ms`, ended early by `signal`. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

const withJitter = (ms: number) => Math.round(ms * (0.8 + Math.random() * 0.4));

/** The seconds the lab's circuit-open message names ("not calling it for 42 s more"), if any. */
export function circuitWaitSeconds(message: string): number | undefined {
  const match = /for (\d+) s more/.exec(message);
  return match ? Number(match[1]) : undefined;
}

/** Run the pairs; resolves when every pair ended, or the batch was interrupted or stopped. */
export async function runBatch(options: RunBatchOptions): Promise<BatchReport> {
  const { client, signal, experimentId } = options;
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const maxAttempts = options.maxAttempts ?? 8;
  const backoffMs = options.backoffMs ?? 2000;
  const queue = [...options.pairs];
  const attempts = new Map<string, number>();
  const results: PairResult[] = [];
  /** ms timestamps until which a model (or everything: key '*') must not be called. */
  const gates = new Map<string, number>();
  const modelStrikes = new Map<string, number>();
  let networkStrikes = 0;
  let inFlight = 0;
  let deferrals = 0;
  let stoppedBy: BatchError | undefined;
  const total = (options.alreadyDone ?? 0) + options.pairs.length;
  const stop = new AbortController();
  const stopOrInterrupt = AbortSignal.any([signal, stop.signal]);

  const progress = (waitingMs = 0) =>
    options.onProgress?.({
      done: (options.alreadyDone ?? 0) + results.length,
      total,
      ok: results.filter((result) => result.status === 'ok').length,
      failed: results.filter((result) => result.status === 'failed').length,
      inFlight,
      waitingMs,
    });

  const gateOf = (model: string) => Math.max(gates.get('*') ?? 0, gates.get(model) ?? 0);

  /** Next pair whose gate is open; else how long until one opens. */
  const take = (): { pair: BatchPair } | { waitMs: number } | undefined => {
    if (queue.length === 0) return undefined;
    const now = Date.now();
    const index = queue.findIndex((pair) => gateOf(pair.agent.model) <= now);
    if (index >= 0) return { pair: queue.splice(index, 1)[0]! };
    return { waitMs: Math.min(...queue.map((pair) => gateOf(pair.agent.model))) - now };
  };

  const defer = (pair: BatchPair, message: string): boolean => {
    const tries = attempts.get(pairId(pair)) ?? 0;
    if (tries >= maxAttempts) return false;
    deferrals += 1;
    queue.unshift(pair);
    options.onNotice?.(message);
    return true;
  };

  const finish = (pair: BatchPair, status: PairStatus, run: BatchRun | undefined, message: string) => {
    results.push({ pair, status, run, message, attempts: attempts.get(pairId(pair)) ?? 0 });
  };

  const handle = (pair: BatchPair, outcome: ChatOutcome): void => {
    const model = pair.agent.model;
    switch (outcome.kind) {
      case 'aborted':
        return finish(pair, 'aborted', undefined, 'interrupted');
      case 'finished': {
        networkStrikes = 0;
        const { run, error } = outcome;
        if (!error && !run.aborted) {
          modelStrikes.delete(model);
          return finish(pair, 'ok', run, '');
        }
        if (run.aborted) return finish(pair, signal.aborted ? 'aborted' : 'failed', run, signal.aborted ? 'interrupted' : 'the run was stopped in the lab');
        if (error && (error.code === 'provider:circuit_open' || error.code === 'provider:rate_limit')) {
          const strikes = (modelStrikes.get(model) ?? 0) + 1;
          modelStrikes.set(model, strikes);
          const hinted = error.code === 'provider:circuit_open' ? circuitWaitSeconds(error.message) : undefined;
          const waitMs = hinted !== undefined ? hinted * 1000 + 250 : withJitter(Math.min(60_000, backoffMs * 2 ** (strikes - 1)));
          gates.set(model, Math.max(gates.get(model) ?? 0, Date.now() + waitMs));
          const why = error.code === 'provider:circuit_open' ? 'circuit breaker open' : 'provider rate limit';
          if (defer(pair, `${model}: ${why}; pausing its pairs for ${Math.ceil(waitMs / 1000)} s`)) return;
        }
        return finish(pair, 'failed', run, error?.message ?? run.error);
      }
      case 'http-error': {
        networkStrikes = 0;
        if (outcome.status === 429 || outcome.code === 'maintenance:service' || outcome.code === 'shutting_down:service') {
          const waitMs = (outcome.retryAfterSeconds ?? backoffMs / 1000) * 1000 + 50;
          gates.set('*', Math.max(gates.get('*') ?? 0, Date.now() + waitMs));
          // A rate-limited request was refused, not run: it does not use up a try.
          if (outcome.status === 429) attempts.set(pairId(pair), Math.max(0, (attempts.get(pairId(pair)) ?? 1) - 1));
          if (defer(pair, `the lab answered ${outcome.status} (${outcome.code}); waiting ${Math.ceil(waitMs / 1000)} s`)) return;
          return finish(pair, 'failed', undefined, outcome.message);
        }
        if (outcome.status === 401 || outcome.code === 'read_only:store') {
          stoppedBy ??= new BatchError(
            'batch:lab_refused',
            outcome.status === 401 ? 'The lab asks for a token: give it with --token or LAB_AUTH_TOKEN.' : `The lab is in read-only mode: ${outcome.message}`,
          );
          stop.abort();
          queue.unshift(pair);
          return;
        }
        return finish(pair, 'failed', undefined, `HTTP ${outcome.status} ${outcome.code}: ${outcome.message}`);
      }
      case 'network-error': {
        networkStrikes += 1;
        if (networkStrikes >= maxAttempts) {
          stoppedBy ??= new BatchError('batch:lab_unreachable', `The lab at ${client.baseUrl} stopped answering (${outcome.message}).`);
          stop.abort();
          queue.unshift(pair);
          return;
        }
        const waitMs = withJitter(Math.min(30_000, backoffMs * 2 ** (networkStrikes - 1)));
        gates.set('*', Math.max(gates.get('*') ?? 0, Date.now() + waitMs));
        if (defer(pair, `the lab connection failed (${outcome.message}); retrying in ${Math.ceil(waitMs / 1000)} s`)) return;
        return finish(pair, 'failed', undefined, outcome.message);
      }
    }
  };

  const worker = async (): Promise<void> => {
    while (!stopOrInterrupt.aborted) {
      const next = take();
      if (next === undefined) {
        // Queue empty, but a pair in flight may still come back (deferred): wait for it.
        if (inFlight === 0) return;
        await sleep(50, stopOrInterrupt);
        continue;
      }
      if ('waitMs' in next) {
        progress(next.waitMs);
        await sleep(Math.min(next.waitMs, 1000), stopOrInterrupt);
        continue;
      }
      const { pair } = next;
      attempts.set(pairId(pair), (attempts.get(pairId(pair)) ?? 0) + 1);
      inFlight += 1;
      progress();
      const outcome = await client.chat({
        signal,
        body: {
          agent_id: pair.agent.id,
          message: pair.prompt.prompt,
          tags: { experiment_id: experimentId, task_label: pair.prompt.task_label, run_notes: pair.key },
        },
      });
      inFlight -= 1;
      handle(pair, outcome);
      progress();
    }
  };

  await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, queue.length)) }, () => worker()));
  return { results, interrupted: signal.aborted, stoppedBy, notStarted: queue.length, deferrals };
}
