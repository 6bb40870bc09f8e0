import { lazy, Suspense, useEffect, useState } from 'react';
import { createPortal } from 'react-dom';

/**
 * The Chat / Bake-off switch in the top bar. The bake-off view mounts beside the chat
 * layout (which stays mounted, hidden, so a chat in progress keeps its state) and loads
 * only when first opened. `#bakeoff` in the URL opens it directly.
 */

const BakeoffView = lazy(() => import('./bakeoff-view.js'));

type View = 'chat' | 'bakeoff';

export function ViewTabs() {
  const [view, setView] = useState<View>(() => (location.hash === '#bakeoff' ? 'bakeoff' : 'chat'));
  const [host, setHost] = useState<HTMLElement | null>(null);
  const [opened, setOpened] = useState(view === 'bakeoff');

  useEffect(() => {
    const app = document.querySelector<HTMLElement>('[data-testid="app"]');
    if (!app) return;
    const container = document.createElement('div');
    container.className = 'bakeoff-host';
    app.querySelector('main.layout')?.after(container) ?? app.append(container);
    setHost(container);
    return () => container.remove();
  }, []);

  useEffect(() => {
    const app = document.querySelector<HTMLElement>('[data-testid="app"]');
    app?.setAttribute('data-view', view);
    if (view === 'bakeoff') setOpened(true);
    const hash = view === 'bakeoff' ? '#bakeoff' : '';
    if (location.hash !== hash) history.replaceState(null, '', `${location.pathname}${location.search}${hash}`);
  }, [view]);

  return (
    <>
      <nav className="view-tabs tabs" role="tablist" aria-label="Views">
        {(['chat', 'bakeoff'] as const).map((name) => (
          <button key={name} type="button" role="tab" aria-selected={view === name} className={view === name ? 'tab active' : 'tab'} onClick={() => setView(name)} data-testid={`view-tab-${name}`}>
            {name === 'chat' ? 'Chat' : 'Bake-off'}
          </button>
        ))}
      </nav>
      {host &&
        opened &&
        createPortal(
          <div hidden={view !== 'bakeoff'}>
            <Suspense fallback={<p className="muted bakeoff-loading">Loading the bake-off view…</p>}>
              <BakeoffView />
            </Suspense>
          </div>,
          host,
        )}
    </>
  );
}
