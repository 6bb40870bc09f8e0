import { useEffect, useRef } from 'react';

/**
 * "Something changed in the lab" inside the page: a chat run ended, a bake-off finished, a
 * vote or rating was saved. Lists (runs, sessions, scores) reload on it, so nothing goes stale
 * until a reload. A slow poll while the page is visible catches what other clients (the CLI's
 * batch and eval) record.
 */

export type LabChange = 'runs' | 'sessions' | 'scores' | 'agents';

const target = new EventTarget();
const POLL_MS = 15_000;

export function notifyLabChanged(...what: LabChange[]): void {
  for (const change of what) target.dispatchEvent(new Event(change));
}

/** Calls `onChange` when one of `what` changes (and on the visible-page poll). */
export function useLabChanged(what: LabChange[], onChange: () => void): void {
  const callback = useRef(onChange);
  callback.current = onChange;
  const key = what.join(',');
  useEffect(() => {
    const changes = key.split(',');
    let timer: ReturnType<typeof setTimeout> | null = null;
    // Several changes at once (run-end names runs and sessions) → one reload.
    const fire = () => {
      if (timer !== null) return;
      timer = setTimeout(() => {
        timer = null;
        callback.current();
      }, 50);
    };
    for (const change of changes) target.addEventListener(change, fire);
    const poll = setInterval(() => {
      if (document.visibilityState === 'visible') fire();
    }, POLL_MS);
    return () => {
      for (const change of changes) target.removeEventListener(change, fire);
      clearInterval(poll);
      if (timer !== null) clearTimeout(timer);
    };
  }, [key]);
}
