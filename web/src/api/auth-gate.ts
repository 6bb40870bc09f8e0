/**
 * The one place that knows the lab wants a token: API calls that get 401 wait here until
 * the user has logged in (the token prompt subscribes), then retry.
 */

type Listener = () => void;

let pending: Array<{ resolve: () => void }> = [];
const listeners = new Set<Listener>();

/** True while some request waits for the user to log in. */
export function isLoginNeeded(): boolean {
  return pending.length > 0;
}

/** Subscribe to changes of `isLoginNeeded()` (for useSyncExternalStore). */
export function subscribeLoginNeeded(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Resolves once the user has logged in. */
export function waitForLogin(): Promise<void> {
  return new Promise((resolve) => {
    pending.push({ resolve });
    if (pending.length === 1) for (const listener of listeners) listener();
  });
}

/** Called by the token prompt after `POST /api/auth/login` succeeded: every waiting call retries. */
export function loginSucceeded(): void {
  const waiting = pending;
  pending = [];
  for (const entry of waiting) entry.resolve();
  for (const listener of listeners) listener();
}
