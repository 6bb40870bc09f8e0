import { useLayoutEffect, useRef, useSyncExternalStore, type RefObject } from 'react';
import type { LiveMessageStore } from './live-message-store.js';
import { PartsView } from './message-view.js';

/** The answer being streamed: the only part of the transcript that re-renders per frame. */
export function LiveMessageView({ store, scroller }: { store: LiveMessageStore; scroller: RefObject<HTMLElement | null> }) {
  const snapshot = useSyncExternalStore(store.subscribe, store.getSnapshot);
  const stick = useRef(true);

  useLayoutEffect(() => {
    const element = scroller.current;
    if (!element || !snapshot.active) return;
    if (stick.current) element.scrollTop = element.scrollHeight;
  });

  useLayoutEffect(() => {
    const element = scroller.current;
    if (!element) return;
    const onScroll = (): void => {
      stick.current = element.scrollHeight - element.scrollTop - element.clientHeight < 80;
    };
    element.addEventListener('scroll', onScroll, { passive: true });
    return () => element.removeEventListener('scroll', onScroll);
  }, [scroller]);

  if (!snapshot.active) return null;
  return (
    <article className="message message-assistant message-live" data-testid="message-live" data-run-id={snapshot.runId ?? ''} aria-busy="true">
      <header className="message-role">
        Agent <span className="typing" aria-hidden="true" />
      </header>
      {snapshot.parts.length === 0 ? <p className="muted">Waiting for the first token…</p> : <PartsView parts={snapshot.parts} />}
    </article>
  );
}
