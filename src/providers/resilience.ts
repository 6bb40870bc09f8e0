/**
 * Retries and a circuit breaker around a ChatProvider, both from cockatiel.
 *
 * - Retry: only the opening of a stream is retried (the call up to its first part), so
 *   streamed text is never duplicated. Retryable LabErrors (408, 429, 5xx, network,
 *   timeouts) get exponential backoff with decorrelated jitter (cockatiel's
 *   ExponentialBackoff) inside a DelegateBackoff that waits at least `Retry-After` when
 *   the provider sent one. Cockatiel's own wait cannot be cancelled, so the caller's
 *   abort is raced against it: the caller sees the abort at once and the pending attempt
 *   is skipped because the signal is aborted.
 * - Circuit breaker: one per base URL + model, a ConsecutiveBreaker counting whole runs;
 *   a run fails when it throws a retryable error after all attempts or ends with an
 *   `error` part. Client-side errors (400/401/402/403) and aborts neither count nor reset.
 *   While open, calls fail at once with `provider:circuit_open` without reaching the
 *   provider; after `resetSeconds` one trial run decides (half-open).
 * - The breakers are capped (`maxBreakers`): model ids are chosen by users, so past the
 *   cap the least recently used idle closed breaker is forgotten (one with no failures
 *   counted first); open and half-open ones are kept unless every breaker is, and a
 *   breaker with a run in flight is never dropped.
 */
import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  DelegateBackoff,
  ExponentialBackoff,
  circuitBreaker,
  handleWhen,
  retry,
  type CircuitBreakerPolicy,
  type IBackoff,
  type IRetryBackoffContext,
  type RetryPolicy,
} from 'cockatiel';
import { LabError, isLabError } from '../domain/errors.js';
import type { StreamPart } from '../domain/stream-part.js';
import { noopProviderObserver, type ProviderObserver } from '../ops/observers.js';
import { ProviderHttpError } from './openai-compatible.js';
import type { ChatProvider, ChatRequest } from './provider.js';

export type BreakerStateName = 'closed' | 'open' | 'half-open';

/** One breaker as health and metrics see it. */
export interface BreakerStatus {
  key: string;
  baseUrl: string;
  model: string;
  state: BreakerStateName;
  /** Consecutive failed runs counted by the breaker. */
  failures: number;
  /** ISO time the breaker last opened, while it is open or half-open. */
  openedAt?: string | undefined;
}

export interface ResilientProvider extends ChatProvider {
  breakerStates(): BreakerStatus[];
}

export interface ResilientProviderOptions {
  provider: ChatProvider;
  /** The provider's base URL: with the model, it names a breaker. */
  baseUrl: string;
  /** Attempts to open a stream, the first included. */
  maxAttempts?: number;
  /** Consecutive failed runs that open the breaker. */
  failureThreshold?: number;
  /** Seconds the breaker stays open before a trial run. */
  resetSeconds?: number;
  observer?: ProviderObserver;
  /** First backoff delay, ms (later ones grow exponentially, with jitter). */
  initialDelayMs?: number;
  /** Longest backoff delay, ms. */
  maxDelayMs?: number;
  /** A Retry-After longer than this is not waited for: the error is returned at once. */
  maxRetryAfterSeconds?: number;
  /** Most breakers kept (runs in flight may add to it for their duration). */
  maxBreakers?: number;
}

/** The default cap on breakers: far more models than anyone compares, small enough to list. */
export const DEFAULT_MAX_BREAKERS = 256;

interface BreakerEntry {
  key: string;
  model: string;
  counter: ConsecutiveBreaker;
  breaker: CircuitBreakerPolicy;
  retry: RetryPolicy;
  openedAt: Date | undefined;
  /** Runs using this breaker right now: it is not dropped while any is. */
  activeRuns: number;
}

/** A run that ended with an `error` part: counts as a breaker failure. */
class FailedRunError extends Error {
  override readonly name = 'FailedRunError';
}

/** A run the caller stopped or abandoned: neither a failure nor a success for the breaker. */
class AbandonedRunError extends Error {
  override readonly name = 'AbandonedRunError';
}

/** What the breaker counts: retryable provider failures and failed runs; never aborts or client errors. */
function countsAsFailure(error: Error): boolean {
  if (error instanceof FailedRunError) return true;
  if (error instanceof AbandonedRunError) return false;
  if (isLabError(error)) return error.retryable && error.code !== 'provider:circuit_open';
  return !isAbort(error);
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
}

const STATE_NAMES: Record<CircuitState, BreakerStateName> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'open',
};

/** Wrap `provider` with retries before the first part and a breaker per base URL + model. */
export function createResilientProvider({
  provider,
  baseUrl,
  maxAttempts = 3,
  failureThreshold = 5,
  resetSeconds = 60,
  observer = noopProviderObserver,
  initialDelayMs = 250,
  maxDelayMs = 10_000,
  maxRetryAfterSeconds = 30,
  maxBreakers = DEFAULT_MAX_BREAKERS,
}: ResilientProviderOptions): ResilientProvider {
  /** Least recently used first: a lookup moves its entry to the end. */
  const entries = new Map<string, BreakerEntry>();

  const isRetryable = (error: Error) =>
    isLabError(error) && error.retryable && error.code !== 'provider:circuit_open' && (error.retryAfterSeconds ?? 0) <= maxRetryAfterSeconds;

  function entryFor(model: string): BreakerEntry {
    const key = `${baseUrl}|${model}`;
    const existing = entries.get(key);
    if (existing) {
      entries.delete(key);
      entries.set(key, existing);
      return existing;
    }
    const counter = new ConsecutiveBreaker(failureThreshold);
    const breaker = circuitBreaker(handleWhen(countsAsFailure), { halfOpenAfter: resetSeconds * 1000, breaker: counter });
    const exponential = new ExponentialBackoff({ initialDelay: initialDelayMs, maxDelay: maxDelayMs });
    const backoff = new DelegateBackoff<IRetryBackoffContext<unknown>, IBackoff<unknown> | undefined>((context, previous) => {
      const next = previous ? previous.next(context) : exponential.next();
      const error = 'error' in context.result ? context.result.error : undefined;
      const retryAfterMs = isLabError(error) && error.retryAfterSeconds !== undefined ? error.retryAfterSeconds * 1000 : 0;
      return { delay: Math.max(retryAfterMs, next.duration), state: next };
    });
    const retryPolicy = retry(handleWhen(isRetryable), { maxAttempts: Math.max(0, maxAttempts - 1), backoff });
    const entry: BreakerEntry = { key, model, counter, breaker, retry: retryPolicy, openedAt: undefined, activeRuns: 0 };
    retryPolicy.onRetry(({ attempt, delay }) => safely(() => observer.retry({ baseUrl, model, attempt, delayMs: delay })));
    breaker.onStateChange((state) => {
      if (state === CircuitState.Open) entry.openedAt = new Date();
      if (state === CircuitState.Closed) entry.openedAt = undefined;
      safely(() => observer.breakerStateChanged({ key, state: STATE_NAMES[state] }));
    });
    entries.set(key, entry);
    dropOverflow(entry);
    return entry;
  }

  /** Past the cap, forget idle breakers, least recently used first, the least informative kinds first. */
  function dropOverflow(keep: BreakerEntry): void {
    const passes: Array<(entry: BreakerEntry) => boolean> = [
      (entry) => entry.breaker.state === CircuitState.Closed && entry.counter.state === 0,
      (entry) => entry.breaker.state === CircuitState.Closed,
      () => true,
    ];
    for (const droppable of passes) {
      for (const entry of entries.values()) {
        if (entries.size <= maxBreakers) return;
        if (entry !== keep && entry.activeRuns === 0 && droppable(entry)) entries.delete(entry.key);
      }
    }
  }

  function reportFailure(model: string, error: unknown): void {
    if (isAbort(error)) return;
    const code = isLabError(error) ? error.code : 'internal:server';
    const status = error instanceof ProviderHttpError ? error.upstreamStatus : undefined;
    safely(() => observer.failure({ baseUrl, model, code, status }));
  }

  function circuitOpenError(entry: BreakerEntry, cause: unknown): LabError {
    const openedAt = entry.openedAt?.getTime() ?? Date.now();
    const retryAfterSeconds = Math.max(0, Math.ceil((openedAt + resetSeconds * 1000 - Date.now()) / 1000));
    return new LabError(
      'provider:circuit_open',
      `The provider for ${entry.model} at ${baseUrl} failed ${failureThreshold} runs in a row; not calling it for ${retryAfterSeconds} s more (circuit breaker open)`,
      { cause, retryAfterSeconds },
    );
  }

  type Opened = { iterator: AsyncIterator<StreamPart>; first: IteratorResult<StreamPart> };

  /** Open the stream: the breaker's run, whose opening is retried; resolves with the first part. */
  async function open(request: ChatRequest, signal: AbortSignal, entry: BreakerEntry, outcome: Deferred<'completed' | 'failed' | 'abandoned'>): Promise<{ stream: Opened; run: Promise<void> }> {
    signal.throwIfAborted();
    const opened = deferred<Opened>();

    // The breaker sees the whole run: the retried opening, then however the stream ends.
    const run = entry.breaker.execute(async () => {
      const stream = await entry.retry.execute(async () => {
        signal.throwIfAborted();
        safely(() => observer.request({ baseUrl, model: request.model }));
        const iterator = provider.streamChat(request, { signal })[Symbol.asyncIterator]();
        try {
          return { iterator, first: await iterator.next() };
        } catch (error) {
          reportFailure(request.model, error);
          throw error;
        }
      }, signal);
      opened.resolve(stream);
      const ending = await outcome.promise;
      if (ending === 'failed') throw new FailedRunError('the run ended with an error part');
      if (ending === 'abandoned') throw new AbandonedRunError('the run was stopped before it finished');
    }, signal);
    run.catch((error: unknown) => opened.reject(error));
    entry.activeRuns += 1;
    const release = () => {
      entry.activeRuns -= 1;
    };
    run.then(release, release);

    try {
      return { stream: await untilAborted(opened.promise, signal), run };
    } catch (error) {
      // Should the stream still open after an abort, close it and release the breaker.
      opened.promise.then(
        (late) => {
          outcome.resolve('abandoned');
          void late.iterator.return?.();
        },
        () => undefined, // the run's own error was already handled below
      );
      if (error instanceof BrokenCircuitError) {
        const circuitError = circuitOpenError(entry, error);
        reportFailure(request.model, circuitError);
        throw circuitError;
      }
      throw error;
    }
  }

  /**
   * The resilient stream. Once open it passes the inner stream's parts through with one
   * `then` per part (no generator of its own): it only notes error parts for the breaker
   * and, at the end, tells the breaker how the run ended.
   */
  function streamChat(request: ChatRequest, { signal }: { signal: AbortSignal }): AsyncIterableIterator<StreamPart> {
    let state: 'new' | 'opening' | 'open' | 'closed' = 'new';
    let failed = false;
    let stream: Opened | undefined;
    let run: Promise<void> | undefined;
    let opening: Promise<unknown> | undefined;
    const outcome = deferred<'completed' | 'failed' | 'abandoned'>();
    const done = (value?: unknown): IteratorResult<StreamPart> => ({ done: true, value });

    /** After the stream: close the inner one and wait for the breaker's verdict on this run. */
    const settle = async (ending: 'completed' | 'failed' | 'abandoned') => {
      state = 'closed';
      outcome.resolve(ending);
      await stream?.iterator.return?.();
      // The breaker's verdict on this run; its error (if any) was already delivered as a part.
      await run?.catch(() => undefined);
    };

    const onResult = (result: IteratorResult<StreamPart>): IteratorResult<StreamPart> | Promise<IteratorResult<StreamPart>> => {
      if (result.done) return settle(failed ? 'failed' : 'completed').then(() => done());
      const part = result.value;
      if (part.type === 'error') {
        failed = true;
        safely(() => observer.failure({ baseUrl, model: request.model, code: part.code }));
      }
      return result;
    };

    const onError = async (error: unknown): Promise<never> => {
      // A throw after the first part is a provider bug or the caller's abort.
      const stopped = isAbort(error) || signal.aborted;
      if (!stopped) reportFailure(request.model, error);
      await settle(stopped ? 'abandoned' : 'failed');
      throw error;
    };

    const iterator: AsyncIterableIterator<StreamPart> = {
      [Symbol.asyncIterator]: () => iterator,
      next() {
        if (state === 'open') return stream!.iterator.next().then(onResult, onError);
        if (state === 'closed') return Promise.resolve(done());
        if (state === 'opening') return Promise.reject(new Error('the stream is still opening: one next() at a time'));
        state = 'opening';
        const first = (async () => {
          try {
            ({ stream, run } = await open(request, signal, entryFor(request.model), outcome));
          } catch (error) {
            state = 'closed';
            throw error;
          }
          state = 'open';
          return onResult(stream.first);
        })();
        opening = first.catch(() => undefined);
        return first;
      },
      async return(value?: unknown) {
        // Like a generator's: a return() during the opening takes effect once it is over.
        if (state === 'opening') await opening;
        if (state === 'open') await settle(failed ? 'failed' : 'abandoned');
        else state = 'closed';
        return done(value);
      },
      async throw(error?: unknown) {
        if (state !== 'open') {
          state = 'closed';
          throw error;
        }
        return onError(error);
      },
    };
    return iterator;
  }

  return {
    id: provider.id,
    streamChat,
    breakerStates: () =>
      [...entries.values()].map((entry) => ({
        key: entry.key,
        baseUrl,
        model: entry.model,
        state: STATE_NAMES[entry.breaker.state],
        failures: entry.counter.state,
        ...(entry.openedAt && entry.breaker.state !== CircuitState.Closed ? { openedAt: entry.openedAt.toISOString() } : {}),
      })),
  };
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(reason: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((onResolve, onReject) => {
    resolve = onResolve;
    reject = onReject;
  });
  // Rejections are observed by whoever awaits; this keeps an unawaited one from crashing the process.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/** `promise`, or the abort reason as soon as `signal` aborts (cockatiel's backoff wait is not abortable). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** Observers must never break a run. */
function safely(report: () => void): void {
  try {
    report();
  } catch {
    // An observer that throws is a bug in the observer; the run goes on.
  }
}
