import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, BrowserContext, BrowserContextOptions, Locator, Page } from 'playwright-core';
import { expect } from 'vitest';
import { CHROMIUM_PATH, launchChromium } from '../support/chromium.js';
import type { Prerequisite } from '../support/prerequisites.js';
import { REPO_ROOT } from '../support/start-lab.js';

/**
 * The lab's page as the browser tests drive it (a page object): every selector is a
 * `data-testid`, so the tests read as what a user does.
 */

/** What the browser tests need (test/support/prerequisites.ts: a failure in CI, a noted skip elsewhere). */
export const CHROMIUM_PREREQUISITE: Prerequisite = {
  name: `Chromium at ${CHROMIUM_PATH}`,
  available: existsSync(CHROMIUM_PATH),
  install: 'apt-get install -y chromium (.ci/run installs it)',
};
export const SCREENSHOT_DIR = path.join(REPO_ROOT, 'test-results', 'screenshots');

/** A browser page on the lab, as every browser test starts one. */
export interface OpenedLabPage {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  ui: LabPage;
  /** Uncaught errors in the page, as they happen (a test ends with `expect(pageErrors).toEqual([])`). */
  pageErrors: string[];
  /** The messages of dialogs the page opened (each dismissed). */
  dialogs: string[];
  /** ms from navigation to usable when `url` was given (LabPage.open), else null. */
  usableMs: number | null;
  /** Closes the context, and the browser when this call launched it. */
  close(): Promise<void>;
}

/**
 * Chromium (launched, or the `browser` given), a context with `context` options, a page that
 * records its errors and dialogs, and the page object; opened on `url` when given (set routes
 * first by leaving it out and calling `ui.open` yourself).
 */
export async function openLabPage(options: { url?: string; browser?: Browser; context?: BrowserContextOptions } = {}): Promise<OpenedLabPage> {
  const browser = options.browser ?? (await launchChromium());
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...options.context });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  const dialogs: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  const ui = new LabPage(page);
  const usableMs = options.url === undefined ? null : await ui.open(options.url);
  return {
    browser,
    context,
    page,
    ui,
    pageErrors,
    dialogs,
    usableMs,
    close: async () => {
      await context.close();
      if (!options.browser) await browser.close();
    },
  };
}

export class LabPage {
  constructor(readonly page: Page) {}

  testId(id: string): Locator {
    return this.page.getByTestId(id);
  }

  /**
   * Opens the page and resolves once it is usable (agents and catalog loaded); returns the
   * ms from navigation start to the app's `agent-lab:usable` performance mark.
   */
  async open(url: string): Promise<number> {
    await this.page.goto(url);
    await this.page.locator('[data-testid="app"][data-ready="true"]').waitFor({ timeout: 15_000 });
    return this.page.evaluate(() => Math.round(performance.getEntriesByName('agent-lab:usable')[0]?.startTime ?? Number.NaN));
  }

  async chooseModel(modelId: string): Promise<void> {
    await this.testId('model-search').fill(modelId);
    await this.page.locator(`[data-testid="model-option"][data-model-id="${modelId}"]`).click();
    await this.page.locator(`[data-testid="model-selected"][data-model-id="${modelId}"]`).waitFor();
  }

  /** Opens the agent settings panel (a no-op when it is open). */
  async openSettings(): Promise<void> {
    if ((await this.testId('settings-panel').count()) === 0) await this.testId('settings-toggle').click();
    await this.testId('settings-panel').waitFor();
  }

  /** Opens one of the main views from the top bar. */
  async openView(view: 'chat' | 'runs' | 'bakeoff' | 'evals'): Promise<void> {
    await this.testId(`view-tab-${view}`).click();
    await this.page.locator(`[data-testid="app"][data-view="${view}"]`).waitFor();
  }

  async createAgent(options: { name: string; model: string; systemPrompt?: string; temperature?: number }): Promise<void> {
    await this.testId('agent-new').click();
    await this.testId('settings-panel').waitFor();
    await this.testId('agent-name').fill(options.name);
    await this.chooseModel(options.model);
    if (options.systemPrompt !== undefined) await this.testId('system-prompt').fill(options.systemPrompt);
    if (options.temperature !== undefined) await this.testId('temperature-input').fill(String(options.temperature));
    await this.testId('agent-save').click();
    await this.page.waitForFunction(() => document.querySelector('[data-testid="agent-state"]')?.textContent === 'Saved');
  }

  async setTool(tool: 'add_numbers' | 'utc_now' | 'fetch_url', on: boolean): Promise<void> {
    await this.openSettings();
    await this.testId(`tool-${tool}`).setChecked(on);
  }

  /** Types a message and sends it with Enter. */
  async send(message: string): Promise<void> {
    await this.testId('chat-input').fill(message);
    await this.testId('chat-input').press('Enter');
  }

  /** Resolves when no answer is streaming any more. */
  async waitForAnswer(timeout = 20_000): Promise<void> {
    await this.testId('send').waitFor({ timeout });
    await this.testId('message-live').waitFor({ state: 'detached', timeout });
  }

  messages(role?: 'user' | 'assistant'): Locator {
    return this.page.locator(role ? `[data-testid="message"][data-role="${role}"]` : '[data-testid="message"]');
  }

  async transcriptTexts(): Promise<string[]> {
    return this.messages().evaluateAll((elements) =>
      elements.map((element) => `${element.getAttribute('data-role')}: ${[...element.querySelectorAll('[data-testid="message-content"]')].map((node) => node.textContent ?? '').join('')}`),
    );
  }

  async badgeState(): Promise<string | null> {
    return this.testId('web-badge').getAttribute('data-state');
  }

  /** The assistant turn that answered last. */
  lastAnswer(): Locator {
    return this.messages('assistant').last();
  }

  async screenshot(name: string): Promise<void> {
    await mkdir(SCREENSHOT_DIR, { recursive: true });
    await this.page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: false });
  }
}

/** `expect.poll` with room for a loaded machine (2 shared cores): 10 s unless told. */
export function eventually<T>(read: () => Promise<T> | T, timeout = 10_000) {
  return expect.poll(read, { timeout, interval: 50 });
}
