import { useCallback, useEffect, useState } from 'react';

/** The main view, kept in the URL's hash (`#runs`), so a view can be linked and Back works. */

export const VIEWS = ['chat', 'runs', 'bakeoff', 'evals'] as const;
export type View = (typeof VIEWS)[number];

function fromHash(): View {
  const name = location.hash.replace(/^#/, '');
  return (VIEWS as readonly string[]).includes(name) ? (name as View) : 'chat';
}

export function useView(): [View, (view: View) => void] {
  const [view, setViewState] = useState<View>(fromHash);
  useEffect(() => {
    const onHash = () => setViewState(fromHash());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  const setView = useCallback((next: View) => {
    if (fromHash() !== next) location.hash = next === 'chat' ? '' : next;
    setViewState(next);
  }, []);
  return [view, setView];
}
