import { useSyncExternalStore } from 'react';

/**
 * The markdown renderer (marked + DOMPurify, a fifth of the page's weight) loads after the
 * first paint; until it arrives, messages show as plain text, which is just as safe.
 */
type Render = (source: string) => string;

let render: Render | null = null;
let loading: Promise<void> | null = null;
const listeners = new Set<() => void>();

/** Starts loading the renderer (once); resolves when it is ready. */
export function loadMarkdown(): Promise<void> {
  loading ??= import('../lib/markdown.js').then((module) => {
    render = module.renderMarkdown;
    for (const listener of listeners) listener();
  });
  return loading;
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The renderer once loaded, else null (and loading starts). */
export function useMarkdownRenderer(): Render | null {
  const current = useSyncExternalStore(subscribe, () => render);
  if (!current) void loadMarkdown().catch((error: unknown) => console.error('Agent Lab: markdown renderer failed to load', error));
  return current;
}
