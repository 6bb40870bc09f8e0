/**
 * Wrong credentials per client: after `maxFailures` in a window of `windowMs` the client is
 * refused (429) for the rest of that window, whatever it sends — so a guess that happens to
 * be right teaches nothing while it is blocked. Only failures count, so a client using the
 * right token is never slowed down. Bounded: at most `maxClients` are remembered (the
 * oldest windows are forgotten first).
 */
export interface FailureLimiter {
  /** Seconds until the client may try again; 0 when it is not blocked. */
  blockedFor(client: string): number;
  /** Count one failure. */
  recordFailure(client: string): void;
}

export function createFailureLimiter(options: { maxFailures: number; windowMs?: number; maxClients?: number; now?: () => number }): FailureLimiter {
  const { maxFailures, windowMs = 60_000, maxClients = 10_000, now = Date.now } = options;
  /** Insertion order is window start order: the first entries are the oldest. */
  const windows = new Map<string, { startedAt: number; failures: number }>();

  const current = (client: string, at: number) => {
    const window = windows.get(client);
    if (window && at - window.startedAt < windowMs) return window;
    if (window) windows.delete(client);
    return undefined;
  };
  const secondsLeft = (window: { startedAt: number }, at: number) => Math.max(1, Math.ceil((window.startedAt + windowMs - at) / 1000));

  return {
    blockedFor(client) {
      const at = now();
      const window = current(client, at);
      return window && window.failures >= maxFailures ? secondsLeft(window, at) : 0;
    },
    recordFailure(client) {
      const at = now();
      let window = current(client, at);
      if (!window) {
        for (const [key, entry] of windows) {
          if (windows.size < maxClients && at - entry.startedAt < windowMs) break;
          windows.delete(key);
        }
        window = { startedAt: at, failures: 0 };
        windows.set(client, window);
      }
      window.failures += 1;
    },
  };
}
