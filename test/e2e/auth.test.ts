import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type RunningLab } from '../support/start-lab.js';
import { CHROMIUM_PATH, eventually, LabPage, launchChromium } from './lab-page.js';

/** A lab with LAB_AUTH_TOKEN: the page asks for the token, and asks again when the cookie is gone. */

const TOKEN = 'e2e-lab-token-0123456789';

describe.skipIf(!existsSync(CHROMIUM_PATH))('a lab that needs a token', () => {
  let lab: RunningLab;
  let browser: Browser;

  beforeAll(async () => {
    lab = await startLab({ env: { LAB_AUTH_TOKEN: TOKEN } });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await lab?.close();
  });

  it('signs in, and when an API call gets 401 the page prompts for the token and carries on', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const ui = new LabPage(page);

    await page.goto(lab.url);
    console.info('auth e2e: login page');
    await page.locator('input[name="token"]').fill(TOKEN);
    await page.locator('input[name="token"]').press('Enter');
    await page.locator('[data-testid="app"][data-ready="true"]').waitFor({ timeout: 15_000 });
    expect(await ui.testId('auth-dialog').isVisible()).toBe(false);

    console.info('auth e2e: signed in');
    await ui.openView('runs'); // its code loads while signed in
    await ui.testId('runs-reload').waitFor();
    await context.clearCookies();
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
    await context.close();
  }, 90_000);
});
