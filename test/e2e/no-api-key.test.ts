import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missing } from '../support/prerequisites.js';
import { startLab, type RunningLab } from '../support/start-lab.js';
import { CHROMIUM_PREREQUISITE, openLabPage, type OpenedLabPage } from './lab-page.js';

/** A lab started without OPENROUTER_API_KEY: the page says so and points at the local model. */
describe.skipIf(missing(CHROMIUM_PREREQUISITE))('a lab without an API key', () => {
  let lab: RunningLab;
  let opened: OpenedLabPage | undefined;

  beforeAll(async () => {
    lab = await startLab({ env: { OPENROUTER_API_KEY: '' } });
  });

  afterAll(async () => {
    await opened?.close();
    await lab?.close();
  });

  it('shows the no-API-key banner naming the local model as the way on', async () => {
    opened = await openLabPage({ url: lab.url });
    const { ui } = opened;
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
    expect(opened.pageErrors).toEqual([]);
  });
});
