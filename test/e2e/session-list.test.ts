import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missing } from '../support/prerequisites.js';
import { api } from '../support/sse-client.js';
import { startLab, type RunningLab } from '../support/start-lab.js';
import { CHROMIUM_PREREQUISITE, eventually, openLabPage, type OpenedLabPage } from './lab-page.js';

/**
 * A long session history in the sidebar: it loads the newest 500 sessions, says so and loads
 * more on request, and its search asks the server, so it finds a session older than those loaded.
 */
const SESSIONS = 505;

describe.skipIf(missing(CHROMIUM_PREREQUISITE))('the sidebar with more sessions than it loads', () => {
  let lab: RunningLab;
  let opened: OpenedLabPage | undefined;

  beforeAll(async () => {
    lab = await startLab();
    const names = Array.from({ length: SESSIONS }, (_, index) => (index === 0 ? 'The very first session' : `Session number ${index}`));
    // Oldest first, so "The very first session" is the oldest.
    for (const name of names) {
      const created = await api(`${lab.url}/api/sessions`, { body: { name } });
      expect(created.status).toBe(201);
    }
  }, 120_000);

  afterAll(async () => {
    await opened?.close();
    await lab?.close();
  });

  it('shows the newest 500, says there are more, loads them on Show more, and its search finds the oldest', async () => {
    opened = await openLabPage({ url: lab.url, context: { viewport: { width: 1440, height: 900 } } });
    const { ui, page } = opened;
    const notice = ui.testId('sessions-truncated');
    await notice.waitFor();
    expect(await notice.textContent()).toContain('The newest 500 sessions');
    expect(await ui.testId('session-item').count()).toBe(500);
    const titles = async () => page.locator('[data-testid="session-title"]').allTextContents();
    expect(await titles()).not.toContain('The very first session');

    // The search asks the server: the oldest session is found though it was not loaded.
    await ui.testId('session-search').fill('VERY first');
    await eventually(titles).toEqual(['The very first session']);
    await ui.testId('session-search').fill('');
    await eventually(() => ui.testId('session-item').count()).toBe(500);

    await ui.testId('sessions-more').click();
    await eventually(() => ui.testId('session-item').count()).toBe(SESSIONS);
    expect(await notice.count()).toBe(0);
    expect(await titles()).toContain('The very first session');
    expect(opened.pageErrors).toEqual([]);
  });
});
