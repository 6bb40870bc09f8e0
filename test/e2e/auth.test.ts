import type { Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missing } from '../support/prerequisites.js';
import { startLab, type RunningLab } from '../support/start-lab.js';
import { CHROMIUM_PREREQUISITE, eventually, openLabPage, type OpenedLabPage } from './lab-page.js';

/** A lab with LAB_AUTH_TOKEN: the page asks for the token, and asks again when the cookie is gone. */

const TOKEN = 'e2e-lab-token-0123456789';

describe.skipIf(missing(CHROMIUM_PREREQUISITE))('a lab that needs a token', () => {
  let lab: RunningLab;
  let opened: OpenedLabPage | undefined;

  beforeAll(async () => {
    lab = await startLab({ env: { LAB_AUTH_TOKEN: TOKEN } });
  });

  afterAll(async () => {
    await opened?.close();
    await lab?.close();
  });

  it('signs in, and when an API call gets 401 the page prompts for the token and carries on', async () => {
    opened = await openLabPage();
    const { context, page, ui } = opened;
    // The page's timers run on a clock the test controls: the status poll (every 3 s, and it
    // needs the token too) must not be the call that meets the 401 before the click below.
    await context.clock.install();
    const inFlight = new Set<Request>();
    page.on('request', (request) => inFlight.add(request));
    page.on('requestfinished', (request) => inFlight.delete(request));
    page.on('requestfailed', (request) => inFlight.delete(request));

    await page.goto(lab.url);
    console.info('auth e2e: login page');
    await page.locator('input[name="token"]').fill(TOKEN);
    await page.locator('input[name="token"]').press('Enter');
    await page.locator('[data-testid="app"][data-ready="true"]').waitFor({ timeout: 15_000 });
    expect(await ui.testId('auth-dialog').isVisible()).toBe(false);

    console.info('auth e2e: signed in');
    await ui.openView('runs'); // its code loads while signed in
    await ui.testId('runs-reload').waitFor();
    // Stop the page's clock (a little ahead: real time moves on meanwhile): from here no timer
    // (status poll, debounce) fires unless the test says so. Then let every request already
    // sent finish with the cookie, so the first 401 is the click's.
    await page.clock.pauseAt((await page.evaluate(() => Date.now())) + 500);
    await eventually(() => inFlight.size).toBe(0);
    await context.clearCookies();
    expect(await ui.testId('auth-dialog').isVisible()).toBe(false);
    await ui.testId('runs-reload').click();
    await ui.testId('auth-dialog').waitFor({ state: 'visible', timeout: 10_000 });
    console.info('auth e2e: prompt shown');
    await ui.testId('auth-token').fill('not-the-token');
    await ui.testId('auth-submit').click();
    await eventually(() => ui.testId('auth-error').textContent()).toContain('not accepted');
    console.info('auth e2e: wrong token refused');
    await ui.testId('auth-token').fill(TOKEN);
    await ui.testId('auth-submit').click();
    await ui.testId('auth-dialog').waitFor({ state: 'hidden', timeout: 10_000 });
    expect((await context.cookies()).some((cookie) => cookie.httpOnly)).toBe(true);
    expect(await page.evaluate(() => document.cookie)).toBe(''); // HttpOnly: scripts never see it
  }, 90_000);
});
