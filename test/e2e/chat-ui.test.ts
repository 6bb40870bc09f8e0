import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missing } from '../support/prerequisites.js';
import { startLab, type RunningLab } from '../support/start-lab.js';
import { api, postSse } from '../support/sse-client.js';
import { CHROMIUM_PREREQUISITE, eventually, openLabPage, type LabPage, type OpenedLabPage } from './lab-page.js';

/**
 * The rebuilt UI (issue 14) in Debian's Chromium against the built lab and the
 * OpenRouter-format test server: the sidebar, the chat's per-answer footer and actions,
 * Retry/regenerate/edit replacing an exchange, the full-width Runs view and run detail,
 * live updates, banners naming the paused model, keyboard hints, and screenshots.
 */

const MODEL = 'openai/gpt-4o-mini';
const PAUSED_MODEL = 'anthropic/claude-3.5-haiku';

describe.skipIf(missing(CHROMIUM_PREREQUISITE))('the rebuilt UI', () => {
  let lab: RunningLab;
  let opened: OpenedLabPage;
  let page: Page;
  let ui: LabPage;
  let agentId: string;
  let pageErrors: string[];

  const sessionTranscript = async (sessionId: string) =>
    (await api(`${lab.url}/api/sessions/${sessionId}`)).json.transcript as Array<{ role: string; content: string; run_id?: string }>;
  const csvRunIds = async () => (parse(await readFile(path.join(lab.dataDir, 'runs.csv'), 'utf8'), { columns: true }) as Array<{ run_id: string }>).map((row) => row.run_id);

  beforeAll(async () => {
    lab = await startLab({ env: { BREAKER_FAILURE_THRESHOLD: '2', RETRY_MAX_ATTEMPTS: '1' } });
    agentId = (await api(`${lab.url}/api/agents`, { body: { name: 'Helper', model: MODEL, system_prompt: 'Be brief.' } })).json.id;
    opened = await openLabPage({ url: lab.url, context: { viewport: { width: 1440, height: 900 }, colorScheme: 'light', permissions: ['clipboard-read', 'clipboard-write'] } });
    ({ page, ui, pageErrors } = opened);
  });
  afterAll(async () => {
    await opened?.close();
    await lab?.close();
  });

  it('names the agent and its model at the top; settings open on demand with an unsquashed fetch_url switch', async () => {
    await eventually(() => ui.testId('agent-select').inputValue()).toBe(agentId);
    expect(await ui.testId('chat-model').textContent()).toBe(MODEL);
    expect(await ui.testId('settings-panel').count()).toBe(0);
    await ui.openSettings();
    const box = await ui.testId('tool-fetch_url').boundingBox();
    expect(box!.width).toBeGreaterThanOrEqual(14);
    expect(box!.height).toBeGreaterThanOrEqual(14);
    await ui.screenshot('settings-1440-light');
    await ui.testId('settings-close').click();
    expect(await ui.testId('sidebar').isVisible()).toBe(true);
    const item = page.locator(`[data-testid="agent-item"][data-agent-id="${agentId}"]`);
    expect(await item.textContent()).toBe(`Helper${MODEL}`);
  });

  it('duplicates and deletes an agent from the sidebar', async () => {
    const helper = page.locator(`[data-testid="agent-item"][data-agent-id="${agentId}"]`);
    await helper.getByTestId('agent-duplicate').click();
    const copy = page.locator('[data-testid="agent-item"]', { hasText: 'Helper (copy)' });
    await copy.waitFor();
    const copyId = (await copy.getAttribute('data-agent-id'))!;
    const stored = (await api(`${lab.url}/api/agents/${copyId}`)).json;
    expect(stored).toMatchObject({ name: 'Helper (copy)', model: MODEL, system_prompt: 'Be brief.' });
    expect(await ui.testId('agent-select').inputValue()).toBe(copyId);
    await copy.getByTestId('agent-delete').click();
    await copy.getByTestId('agent-delete-confirm').click();
    await copy.waitFor({ state: 'detached' });
    expect((await api(`${lab.url}/api/agents/${copyId}`)).status).toBe(404);
    await ui.testId('agent-select').selectOption(agentId);
  });

  it('labels each answer with its model and a quiet footer: TTFT · tokens/s · tokens · cost; "—" when tokens/s is not measurable', async () => {
    await ui.send('Hello [[scenario:slow delay=20 tokens=12]]');
    await ui.waitForAnswer();
    const answer = ui.lastAnswer();
    expect(await answer.getByTestId('message-model').textContent()).toBe(MODEL);
    await answer.getByTestId('answer-footer').waitFor();
    expect(await answer.getByTestId('answer-ttft').textContent()).toMatch(/\d+ ms/);
    expect(await answer.getByTestId('answer-tokens').textContent()).toBe('12 tokens');
    expect(await answer.getByTestId('answer-cost').textContent()).toMatch(/^\$/);
    const tps = await answer.getByTestId('answer-tps').textContent();
    const record = (await api(`${lab.url}/api/runs`)).json.runs.at(-1) as { tokens_per_s: number | null };
    // One decimal, none for a whole number: 51 → "51 tok/s", 51.04 → "51.0 tok/s".
    const rate = record.tokens_per_s;
    expect(tps).toBe(rate === null ? '—' : `${Number.isInteger(rate) ? rate : rate.toFixed(1)} tok/s`);

    // Everything at once: no measurable generation window.
    await ui.send('Quick [[scenario:normal text="All at once."]]');
    await ui.waitForAnswer();
    await ui.lastAnswer().getByTestId('answer-footer').waitFor();
    const quick = (await api(`${lab.url}/api/runs`)).json.runs.at(-1) as { tokens_per_s: number | null };
    if (quick.tokens_per_s === null) expect(await ui.lastAnswer().getByTestId('answer-tps').textContent()).toBe('—');
  });

  it('says "cut off" when the answer ended at the token limit', async () => {
    await ui.send('Long please [[scenario:normal text="This answer stops mid" finish=length]]');
    await ui.waitForAnswer();
    const answer = ui.lastAnswer();
    await eventually(() => answer.getAttribute('data-finish')).toBe('length');
    expect(await answer.getByTestId('message-cut-off').textContent()).toBe('cut off');
    expect(await answer.getByTestId('cut-off-note').isVisible()).toBe(true);
  });

  it('Retry replaces the failed answer: one user turn on screen and in the session, the failed run kept in runs.csv', async () => {
    lab.provider.enqueue({ type: 'mid-stream-error', afterTokens: 3, message: 'upstream broke' });
    await ui.send('Tell me something');
    await ui.testId('chat-error').last().waitFor({ timeout: 15_000 });
    const failed = ui.lastAnswer();
    expect(((await failed.getByTestId('message-content').first().textContent()) ?? '').length).toBeGreaterThan(0); // the partial text stays
    const failedRunId = (await failed.getAttribute('data-run-id'))!;
    expect(failedRunId).not.toBe('');
    const usersBefore = await ui.messages('user').count();
    await ui.testId('retry').click();
    await ui.waitForAnswer();
    await eventually(() => ui.lastAnswer().getAttribute('data-state')).toBe('done');
    expect(await ui.messages('user').count()).toBe(usersBefore);
    expect(await page.locator(`[data-testid="message"][data-run-id="${failedRunId}"]`).count()).toBe(0);
    const sessionId = (await ui.testId('session-current').getAttribute('data-session-id'))!;
    const transcript = await sessionTranscript(sessionId);
    expect(transcript.filter((entry) => entry.content === 'Tell me something')).toHaveLength(1);
    expect(transcript.some((entry) => entry.run_id === failedRunId)).toBe(false);
    expect(await csvRunIds()).toContain(failedRunId);
  });

  it('regenerate replaces the answer (old run kept in runs.csv); edit and resend replaces the exchange', async () => {
    const oldRunId = (await ui.lastAnswer().getAttribute('data-run-id'))!;
    const turnsBefore = await ui.messages().count();
    await ui.lastAnswer().getByTestId('regenerate').click();
    await ui.waitForAnswer();
    await eventually(async () => (await ui.lastAnswer().getAttribute('data-run-id')) !== oldRunId && (await ui.lastAnswer().getAttribute('data-state')) === 'done').toBe(true);
    expect(await ui.messages().count()).toBe(turnsBefore);
    expect(await csvRunIds()).toContain(oldRunId);

    await ui.messages('user').last().getByTestId('edit').click();
    await ui.testId('edit-input').fill('Edited question [[scenario:normal text="Edited answer."]]');
    await ui.testId('edit-send').click();
    await ui.waitForAnswer();
    await eventually(() => ui.lastAnswer().textContent()).toContain('Edited answer.');
    expect(await ui.messages().count()).toBe(turnsBefore);
    const sessionId = (await ui.testId('session-current').getAttribute('data-session-id'))!;
    const transcript = await sessionTranscript(sessionId);
    expect(transcript.at(-2)?.content).toBe('Edited question [[scenario:normal text="Edited answer."]]');
    expect(transcript.filter((entry) => entry.content === 'Tell me something')).toHaveLength(0);
  });

  it('copies an answer, and opens its details', async () => {
    await ui.lastAnswer().getByTestId('copy').click();
    await eventually(() => page.evaluate(() => navigator.clipboard.readText())).toBe('Edited answer.');
    const runId = await ui.lastAnswer().getAttribute('data-run-id');
    await ui.lastAnswer().getByTestId('details').click();
    await eventually(() => ui.testId('run-detail').getAttribute('data-run-id')).toBe(runId);
    await eventually(() => ui.testId('run-detail-transcript').textContent()).toContain('Edited answer.');
    await ui.testId('run-detail-close').click();
  });

  it('settings tried in the chat apply to its messages without changing the saved agent, until Save; Revert puts the saved ones back', async () => {
    await ui.testId('session-new').click();
    await ui.createAgent({ name: 'Tryout', model: MODEL, temperature: 0.7 });
    const tryoutId = (await page.locator('[data-testid="agent-item"]', { hasText: 'Tryout' }).getAttribute('data-agent-id'))!;
    const savedTemperature = async () => (await api(`${lab.url}/api/agents/${tryoutId}`)).json.temperature as number;
    const sentTemperature = () => (lab.provider.chatRequests().at(-1)!.body as { temperature: number }).temperature;
    expect(await ui.testId('chat-unsaved').count()).toBe(0);

    await ui.testId('temperature-input').fill('1.3');
    await eventually(() => ui.testId('chat-unsaved').textContent()).toContain('unsaved changes');
    await ui.send('Warmer [[scenario:normal text="Tried warmer."]]');
    await ui.waitForAnswer();
    expect(sentTemperature()).toBe(1.3);
    expect(await savedTemperature()).toBe(0.7); // Send did not save it
    expect(await ui.testId('chat-unsaved').textContent()).toContain('unsaved changes');
    expect(await ui.testId('agent-state').textContent()).toMatch(/not saved to the agent/);
    expect((await api(`${lab.url}/api/runs`)).json.runs.at(-1).agent_id).toBe(tryoutId); // the run still names the agent
    await ui.screenshot('chat-unsaved-changes-1440-light');
    await ui.send('Again [[scenario:normal text="Still warmer."]]');
    await ui.waitForAnswer();
    expect(sentTemperature()).toBe(1.3); // the tried settings stay for this chat's messages

    await ui.testId('chat-revert').click();
    await eventually(() => ui.testId('temperature-input').inputValue()).toBe('0.7');
    await eventually(() => ui.testId('chat-unsaved').count()).toBe(0);
    await ui.send('Back [[scenario:normal text="Saved settings."]]');
    await ui.waitForAnswer();
    expect(sentTemperature()).toBe(0.7);

    await ui.testId('temperature-input').fill('0.2');
    await ui.testId('chat-save').click();
    await eventually(() => savedTemperature()).toBe(0.2);
    await eventually(() => ui.testId('chat-unsaved').count()).toBe(0);
    expect(await ui.testId('agent-state').textContent()).toBe('Saved');
    await ui.testId('settings-close').click();
    await ui.testId('agent-select').selectOption(agentId);
    await ui.testId('session-new').click();
  });

  it('switching agents with unsaved settings asks in the page: keep editing (or Esc), discard and switch, or save and switch', async () => {
    const tryoutId = (await page.locator('[data-testid="agent-item"]', { hasText: 'Tryout' }).getAttribute('data-agent-id'))!;
    const storedTemperature = async (id: string) => (await api(`${lab.url}/api/agents/${id}`)).json.temperature as number;
    const helperTemperature = await storedTemperature(agentId);
    const nativeDialogs: string[] = [];
    page.on('dialog', (dialog) => {
      nativeDialogs.push(dialog.message());
      void dialog.dismiss();
    });
    const question = ui.testId('discard-dialog');
    const tryoutItem = page.locator(`[data-testid="agent-item"][data-agent-id="${tryoutId}"]`);

    await ui.openSettings();
    await ui.testId('temperature-input').fill('1.1');
    await eventually(() => ui.testId('chat-unsaved').textContent()).toContain('unsaved changes');

    // The header's switch: asked, and Keep editing leaves agent and settings as they were.
    await ui.testId('agent-select').selectOption(tryoutId);
    await question.waitFor({ state: 'visible' });
    expect(await ui.testId('discard-message').textContent()).toMatch(/“Helper” has settings you have not saved\. Switching to “Tryout”/);
    await ui.screenshot('chat-discard-question-1440-light');
    await ui.testId('discard-keep').click();
    await question.waitFor({ state: 'hidden' });
    expect(await ui.testId('agent-select').inputValue()).toBe(agentId);
    expect(await ui.testId('temperature-input').inputValue()).toBe('1.1');

    // The sidebar's agent: Esc keeps editing too.
    await tryoutItem.getByTestId('agent-pick').click();
    await question.waitFor({ state: 'visible' });
    await page.keyboard.press('Escape');
    await question.waitFor({ state: 'hidden' });
    expect(await ui.testId('agent-select').inputValue()).toBe(agentId);
    expect(await ui.testId('temperature-input').inputValue()).toBe('1.1');

    // Edit on another agent, then Discard and switch: its saved settings, Helper's left unsaved.
    await tryoutItem.getByTestId('agent-edit').click();
    await question.waitFor({ state: 'visible' });
    await ui.testId('discard-confirm').click();
    await eventually(() => ui.testId('agent-select').inputValue()).toBe(tryoutId);
    expect(await ui.testId('temperature-input').inputValue()).toBe('0.2');
    expect(await storedTemperature(agentId)).toBe(helperTemperature);

    // Save and switch: the changes land on the agent, then the switch happens.
    await ui.testId('temperature-input').fill('0.9');
    await eventually(() => ui.testId('chat-unsaved').textContent()).toContain('unsaved changes');
    await ui.testId('agent-select').selectOption(agentId);
    await question.waitFor({ state: 'visible' });
    await ui.testId('discard-save').click();
    await eventually(() => ui.testId('agent-select').inputValue()).toBe(agentId);
    expect(await storedTemperature(tryoutId)).toBe(0.9);
    expect(await question.isVisible()).toBe(false);

    // Nothing unsaved: switching asks nothing.
    await ui.testId('agent-select').selectOption(tryoutId);
    await eventually(() => ui.testId('agent-select').inputValue()).toBe(tryoutId);
    expect(await question.isVisible()).toBe(false);
    await ui.testId('agent-select').selectOption(agentId);
    await eventually(() => ui.testId('agent-select').inputValue()).toBe(agentId);
    await ui.testId('settings-close').click();
    expect(nativeDialogs).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('lists sessions by day with plain-text titles, and a bake-off’s sessions under its experiment with a badge — live, without a reload', async () => {
    await api(`${lab.url}/api/chat`, { body: { agent_id: agentId, message: '# **Markdown** title [[scenario:normal text="x"]]', stream: false } });
    await postSse({ url: `${lab.url}/api/bakeoff`, body: { message: 'Race [[scenario:normal text="go"]]', lanes: [{ agent_id: agentId }, { agent_id: agentId }], tags: { experiment_id: 'e2e-live' } } });
    const group = page.locator('[data-testid="session-group"][data-kind="bake-off"]');
    await group.waitFor({ timeout: 25_000 }); // the visible-page poll picks up what another client recorded
    expect(await group.getByTestId('session-group-badge').textContent()).toBe('bake-off');
    expect(await group.locator('summary').textContent()).toContain('e2e-live');
    const today = page.locator('[data-testid="session-group"][data-kind="day"]').first();
    expect(await today.locator('h3').textContent()).toBe('Today');
    const titles = await page.locator('[data-testid="session-title"]').allTextContents();
    expect(titles).toContain('Markdown title [[scenario:normal text="x"]]');
    expect(titles.some((title) => title.includes('**') || title.startsWith('#'))).toBe(false);
  });

  it('Runs: a full-width view with every column visible, filters the summary honours, and a run detail on row click', async () => {
    await ui.openView('runs');
    await eventually(() => ui.testId('runs-row').count()).toBeGreaterThan(5);
    const viewport = page.viewportSize()!;
    for (const header of ['Status', 'Cost', 'Experiment', 'Score']) {
      const box = await page.locator('[data-testid="runs-table"] thead th', { hasText: new RegExp(`^${header}`) }).first().boundingBox();
      expect(box!.x + box!.width, `${header} column on screen`).toBeLessThanOrEqual(viewport.width);
    }
    const table = await ui.testId('runs-table').boundingBox();
    expect(table!.width).toBeGreaterThan(1000);

    // The per-model summary follows the filters.
    await ui.testId('runs-tab-summary').click();
    await eventually(() => page.locator('[data-testid="runs-summary"] thead th').allTextContents()).toContain(MODEL);
    await ui.testId('filter-experiment-id').fill('no-such-experiment');
    await eventually(() => ui.testId('runs-summary').textContent()).toContain('No runs to summarise');
    await ui.testId('filter-experiment-id').fill('e2e-live');
    await eventually(() => page.locator('[data-testid="runs-summary"] thead th').count()).toBe(2);
    await ui.testId('filters-clear').click();

    await ui.testId('runs-tab-table').click();
    const row = page.locator('[data-testid="runs-row"]').first();
    const runId = (await row.getAttribute('data-run-id'))!;
    await row.click();
    const detail = ui.testId('run-detail');
    await detail.waitFor();
    expect(await detail.getAttribute('data-run-id')).toBe(runId);
    expect(await detail.getByTestId('run-timing').textContent()).toMatch(/request 0 ms.*first token.*last token/);
    await eventually(() => detail.getByTestId('run-detail-transcript').locator('.message').count()).toBe(2);
    expect(await detail.getByTestId('run-detail-config').textContent()).toContain('"model"');
    await ui.screenshot('run-detail-1440-light');
    await page.keyboard.press('Escape');
    await detail.waitFor({ state: 'detached' });
    await ui.screenshot('runs-1440-light');
  });

  it('shows tool calls with their arguments and results in the run detail', async () => {
    const run = (await api(`${lab.url}/api/chat`, { body: { agent: { name: 'Adder', model: MODEL, system_prompt: '', tools: ['add_numbers'] }, message: 'add [[scenario:tool-add a=2 b=3]]', stream: false } })).json;
    await ui.testId('runs-reload').click();
    await page.locator(`[data-testid="runs-row"][data-run-id="${run.run_id}"]`).click();
    const tool = ui.testId('run-detail').getByTestId('run-detail-tool');
    await tool.waitFor();
    expect(await tool.textContent()).toContain('add_numbers');
    expect(await tool.textContent()).toMatch(/"a": 2/);
    expect(await tool.textContent()).toContain('5');
    await ui.testId('run-detail-close').click();
  });

  it('names the paused model in the circuit banner', async () => {
    for (let attempt = 0; attempt < 2; attempt++) {
      await api(`${lab.url}/api/chat`, { body: { agent: { name: 'Flaky', model: PAUSED_MODEL, system_prompt: '' }, message: 'x [[scenario:error status=500]]', stream: false } });
    }
    const banner = ui.testId('banner-circuit-open');
    await banner.waitFor({ timeout: 15_000 });
    expect(await banner.textContent()).toContain(PAUSED_MODEL);
    expect(await banner.textContent()).not.toContain(MODEL);
    await ui.screenshot('circuit-banner-1440-light');
  });

  it('saves the screenshots in dark, and at 390 px: the sidebar is a drawer, the table scrolls sideways', async () => {
    await page.emulateMedia({ colorScheme: 'dark' });
    await ui.screenshot('runs-1440-dark');
    await ui.openView('chat');
    await ui.screenshot('chat-1440-dark');
    await page.setViewportSize({ width: 390, height: 844 });
    await eventually(() => ui.testId('sidebar').isVisible()).toBe(false); // a closed drawer on a phone
    await ui.screenshot('chat-390-dark');
    await ui.testId('sidebar-toggle').click();
    await ui.testId('sidebar').waitFor();
    const drawer = await ui.testId('sidebar').boundingBox();
    expect(drawer!.width).toBeLessThanOrEqual(340);
    await ui.screenshot('sidebar-390-dark');
    await ui.testId('sidebar-close').click();
    await page.emulateMedia({ colorScheme: 'light' });
    await ui.screenshot('chat-390-light');
    await ui.openView('runs');
    expect(await ui.testId('filter-model').isVisible()).toBe(false); // filters fold away on a phone
    await page.locator('.filters-summary').click();
    expect(await ui.testId('filter-model').isVisible()).toBe(true);
    await page.locator('.filters-summary').click();
    const scroller = page.locator('.runs-view .table-scroll');
    expect(await scroller.evaluate((element) => element.scrollWidth > element.clientWidth)).toBe(true);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await ui.screenshot('runs-390-light');
    await page.emulateMedia({ colorScheme: 'dark' });
    await ui.screenshot('runs-390-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 1440, height: 900 });
    await ui.openView('chat');
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it('a view whose code cannot load says so, with Reload, and the rest of the page keeps working', async () => {
    const fresh = await openLabPage({ browser: opened.browser, context: { viewport: { width: 1440, height: 900 } } });
    const freshUi = fresh.ui;
    await fresh.page.route(/\/assets\/evaluations-view-.*\.js$/, (route) => route.abort());
    await freshUi.open(lab.url);
    await freshUi.openView('evals');
    await freshUi.testId('view-load-error').waitFor();
    expect(await freshUi.testId('view-load-error').textContent()).toContain('evaluations view could not load');
    await freshUi.openView('chat');
    await freshUi.send('Still here? [[scenario:normal text="Yes."]]');
    await freshUi.waitForAnswer();
    expect(await freshUi.lastAnswer().textContent()).toContain('Yes.');
    expect(fresh.pageErrors).toEqual([]);
    await fresh.close();
  });

  it('keyboard: Enter sends, Shift+Enter adds a line, Esc stops, Ctrl+K focuses; hints hidden on a touch screen', async () => {
    await ui.testId('chat-input').fill('line one');
    await ui.testId('chat-input').press('Shift+Enter');
    await page.keyboard.type('line two [[scenario:slow delay=80 tokens=200]]');
    expect(await ui.testId('chat-input').inputValue()).toBe('line one\nline two [[scenario:slow delay=80 tokens=200]]');
    await ui.testId('chat-input').press('Enter');
    await ui.testId('message-live').waitFor();
    await page.keyboard.press('Escape');
    await eventually(() => ui.lastAnswer().getAttribute('data-state')).toBe('aborted');
    await ui.testId('settings-toggle').focus();
    await page.keyboard.press('Control+k');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('chat-input');
    await ui.openView('runs');
    await page.keyboard.press('Control+k'); // from another view: back to the chat's message box
    await page.locator('[data-testid="app"][data-view="chat"]').waitFor();
    await eventually(() => page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('chat-input');
    expect(await ui.testId('keyboard-hints').isVisible()).toBe(true);

    const phone = await openLabPage({ url: lab.url, browser: opened.browser, context: { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true } });
    const phoneUi = phone.ui;
    expect(await phoneUi.testId('keyboard-hints').isVisible()).toBe(false);
    expect(await phoneUi.testId('chat-input').getAttribute('placeholder')).not.toMatch(/Enter/);
    await phone.close();
  });
});
