import { readFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * The two pages the operations layer serves itself: the maintenance page and the login page.
 * Self-contained (one inline style block, which the CSP allows; no scripts), so they work
 * while the UI's assets are unavailable.
 */

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;background:#f6f7f9;color:#1f2328;display:flex;min-height:100vh;margin:0;align-items:center;justify-content:center}
main{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:2rem 2.5rem;max-width:28rem}
h1{font-size:1.3rem;margin:0 0 .75rem}p{margin:.5rem 0}.error{color:#b42318}
input{font:inherit;width:100%;box-sizing:border-box;padding:.5rem;margin:.5rem 0;border:1px solid #d0d7de;border-radius:6px}
button{font:inherit;padding:.5rem 1rem;border:0;border-radius:6px;background:#1f6feb;color:#fff;cursor:pointer}`;

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

function page(title: string, body: string): string {
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${title}</title><style>${STYLE}</style></head><body><main>${body}</main></body></html>\n`;
}

export const MAINTENANCE_PAGE = page(
  'Agent Lab — maintenance',
  '<h1>Agent Lab is down for maintenance</h1><p>The lab will be back shortly. Your recorded runs and sessions are safe.</p><p>Please try again in a few minutes.</p>',
);

/** The login page; `next` is where the form returns after a good token (a local path). */
export function loginPage(options: { next: string; failed?: boolean }): string {
  const error = options.failed ? '<p class="error">That token is not right.</p>' : '';
  return page(
    'Agent Lab — sign in',
    `<h1>Agent Lab</h1><p>This lab asks for its access token (LAB_AUTH_TOKEN).</p>${error}<form method="post" action="/api/auth/login"><input type="hidden" name="next" value="${escapeHtml(options.next)}"><input type="password" name="token" autocomplete="current-password" placeholder="Access token" required autofocus><button type="submit">Sign in</button></form>`,
  );
}

/** Backslashes (browsers read `/\host` as `//host`), whitespace, controls (C0, DEL, C1), format characters, separators. */
const UNSAFE_IN_NEXT = /[\\\s\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;
const SAME_ORIGIN = 'http://agent-lab.invalid';

/**
 * Only a path on this lab may be a redirect target: it starts with one `/`, holds no
 * backslash, whitespace or control character, and resolves to this origin. Anything else
 * (`//evil`, `/\evil`, `/%09/evil` decoded, a URL) sends the user to `/`.
 */
export function safeNextPath(next: unknown): string {
  if (typeof next !== 'string' || next.length > 2000 || !next.startsWith('/') || next.startsWith('//') || UNSAFE_IN_NEXT.test(next)) return '/';
  let url: URL;
  try {
    url = new URL(next, SAME_ORIGIN);
  } catch {
    return '/';
  }
  if (url.origin !== SAME_ORIGIN) return '/';
  return `${url.pathname}${url.search}${url.hash}`;
}

/**
 * The maintenance page: `maintenance.html` from the UI's directory when there is one (so an
 * operator can customise it, as the playbook's `cp maintenance.html` suggests), else the
 * built-in page. The file is re-read at most every few seconds.
 */
export function createMaintenancePage(options: { webDir?: string | undefined; cacheMs?: number }): () => Promise<string> {
  const cacheMs = options.cacheMs ?? 5000;
  let cached: { at: number; html: string } | undefined;
  return async () => {
    if (!options.webDir) return MAINTENANCE_PAGE;
    if (cached && Date.now() - cached.at < cacheMs) return cached.html;
    let html = MAINTENANCE_PAGE;
    try {
      html = await readFile(path.join(options.webDir, 'maintenance.html'), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    cached = { at: Date.now(), html };
    return html;
  };
}
