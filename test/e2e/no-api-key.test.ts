import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missing } from '../support/prerequisites.js';
import { startLab, type RunningLab } from '../support/start-lab.js';
import { CHROMIUM_PREREQUISITE, LabPage, launchChromium } from './lab-page.js';

/** A lab started without OPENROUTER_API_KEY: the page says so and points at the local model. */
describe.skipIf(missing(CHROMIUM_PREREQUISITE))('a lab without an API key', () => {
  let lab: RunningLab;
  let browser: Browser;

  beforeAll(async () => {
    lab = await startLab({ env: { OPENROUTER_API_KEY: '' } });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await lab?.close();
  });

  it('shows the no-API-key banner naming the local model as the way on', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const ui = new LabPage(page);
    await ui.open(lab.url);
    const banner = ui.testId('banner-no-api-key');
    await banner.waitFor({ timeout: 10_000 });
    expect(await banner.textContent()).toMatch(/local/i);
    const models = (await (await fetch(`${lab.url}/api/models`)).json()) as { models: Array<{ id: string; source?: string }> };
    const local = models.models.find((model) => model.source === 'local');
    if (local) {
      expect(await ui.testId('chat-model').textContent()).toBe(local.id);
      await ui.openSettings();
      expect(await ui.testId('model-selected').getAttribute('data-model-id')).toBe(local.id);
    }
    await page.close();
  });
});
