import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app.js';
import { loadMarkdown } from './chat/markdown-loader.js';

/** Entry point: mounts the lab's one page, then fetches the markdown renderer in the background. */
const root = document.getElementById('root');
if (!root) throw new Error('Agent Lab: the page has no #root element.');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
setTimeout(() => void loadMarkdown().catch((error: unknown) => console.error('Agent Lab: markdown renderer failed to load', error)), 0);
