import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missing } from '../support/prerequisites.js';
import { REPO_ROOT, startLab, type RunningLab } from '../support/start-lab.js';
import { CHROMIUM_PREREQUISITE, eventually, openLabPage, type LabPage, type OpenedLabPage } from './lab-page.js';

/**
 * The lab in a real browser: Debian's Chromium driven by playwright-core against the built
 * lab and the OpenRouter-format test server. Each test is something a user does and sees.
 */

const MODEL = 'openai/gpt-4o-mini';

describe.skipIf(missing(CHROMIUM_PREREQUISITE))('the lab in the browser', () => {
  let lab: RunningLab;
  let opened: OpenedLabPage;
  let context: BrowserContext;
  let page: Page;
  let ui: LabPage;
  let pageErrors: string[];
  let dialogs: string[];

  beforeAll(async () => {
    lab = await startLab();
    opened = await openLabPage({ context: { viewport: { width: 1280, height: 800 }, colorScheme: 'light', acceptDownloads: true } });
    ({ context, page, ui, pageErrors, dialogs } = opened);
  });

  afterAll(async () => {
    await opened?.close();
    await lab?.close();
  });

  it('becomes usable quickly and creates an agent', async () => {
    const usableMs = await ui.open(lab.url);
    console.info(`time to usable: ${usableMs} ms`);
    expect(usableMs).toBeGreaterThan(0);
    await mkdir(path.join(REPO_ROOT, 'test-results'), { recursive: true });
    await writeFile(path.join(REPO_ROOT, 'test-results', 'e2e-time-to-usable.json'), JSON.stringify({ usable_ms: usableMs, at: new Date().toISOString() }));

    await ui.openSettings();
    await eventually(() => ui.testId('catalog-caption').textContent()).toMatch(/^Dynamic \(fetched \d\d:\d\d\)$/);
    await ui.createAgent({ name: 'E2E agent', model: MODEL, systemPrompt: 'You are a test agent.' });

    const agents = (await (await fetch(`${lab.url}/api/agents`)).json()) as { agents?: Array<{ name: string; model: string }> } | Array<{ name: string; model: string }>;
    const list = Array.isArray(agents) ? agents : (agents.agents ?? []);
    expect(list.some((agent) => agent.name === 'E2E agent' && agent.model === MODEL)).toBe(true);
    expect(await ui.testId('agent-select').getByRole('option', { name: 'E2E agent', exact: true }).count()).toBe(1);
    expect(await ui.testId('agent-select').inputValue()).toBe(list.find((agent) => agent.name === 'E2E agent') ? await page.locator('[data-testid="agent-item"]', { hasText: 'E2E agent' }).getAttribute('data-agent-id') : '');
    expect(await ui.badgeState()).toBe('off');
  });

  it('shows a provider error inline with what to do, and Ctrl+K brings the focus back to the message box', async () => {
    await ui.send('[[scenario:error status=402]] will this work?');
    const error = ui.testId('chat-error').last();
    await error.waitFor({ timeout: 15_000 });
    expect(await error.getAttribute('data-code')).toBe('provider:credits');
    expect(await error.textContent()).toMatch(/credits/i);
    expect(await ui.testId('retry').count()).toBe(0); // out of credits is not worth a blind retry

    await ui.testId('agent-name').focus();
    await page.keyboard.press('Control+k');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('chat-input');
  });

  it('shows the answer growing over several paints before it completes', async () => {
    await page.evaluate(() => {
      const state = window as unknown as { __samples: number[]; __sampling: boolean };
      state.__samples = [];
      state.__sampling = true;
      const tick = (): void => {
        const live = document.querySelector('[data-testid="message-live"]');
        if (live) state.__samples.push((live.querySelector('[data-testid="message-content"]')?.textContent ?? '').length);
        if (state.__sampling) requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
    await ui.send('[[scenario:slow delay=60 tokens=30]] tell me a story');
    await ui.waitForAnswer();
    const samples = await page.evaluate(() => {
      const state = window as unknown as { __samples: number[]; __sampling: boolean };
      state.__sampling = false;
      return state.__samples;
    });
    const grown = [...new Set(samples.filter((length) => length > 0))];
    expect(grown.length).toBeGreaterThanOrEqual(3);
    expect([...grown].sort((a, b) => a - b)).toEqual(grown); // only ever grows
    const answer = (await ui.messages('assistant').last().textContent()) ?? '';
    expect(answer.length).toBeGreaterThan(Math.max(...grown) - 1);
    expect(answer).toContain('lorem');

    const finished = ui.lastAnswer();
    await eventually(() => finished.getAttribute('data-state')).toBe('done');
    expect(await finished.getByTestId('answer-tokens').textContent()).toBe('30 tokens');
    expect(await finished.getByTestId('answer-cost').textContent()).toMatch(/^\$/);
    expect(await finished.getByTestId('answer-ttft').textContent()).toMatch(/ms|s$/);
  });

  it('stops mid-stream: the text stops growing and the run is recorded as aborted', async () => {
    await ui.send('[[scenario:slow delay=100 tokens=300]] a long answer please');
    await page.waitForFunction(() => (document.querySelector('[data-testid="message-live"] [data-testid="message-content"]')?.textContent ?? '').length > 20);
    const upstreamRequest = lab.provider.chatRequests().at(-1);
    expect(upstreamRequest?.scenario).toBe('text');
    await page.keyboard.press('Escape');
    const stopped = ui.messages('assistant').last();
    await eventually(() => stopped.getAttribute('data-state')).toBe('aborted');
    const textAtStop = await stopped.getByTestId('message-content').allTextContents();
    await page.waitForTimeout(800);
    expect(await stopped.getByTestId('message-content').allTextContents()).toEqual(textAtStop);
    expect(await ui.testId('message-live').count()).toBe(0);

    const upstream = await lab.provider.waitForClose(upstreamRequest!.index);
    expect(upstream.aborted).toBe(true);
    const runId = await stopped.getAttribute('data-run-id');
    expect(runId).toBeTruthy();
    await eventually(async () => {
      const runs = (await (await fetch(`${lab.url}/api/runs`)).json()) as { runs: Array<{ run_id: string; aborted: boolean }> };
      return runs.runs.find((run) => run.run_id === runId)?.aborted;
    }).toBe(true);
  });

  it('a Stop that lands just after the answer finished shows the run as finished, as the lab recorded it', async () => {
    // The answer is complete; the provider's usage chunk and [DONE] follow 3 s later.
    await ui.send('[[scenario:normal text="Complete before Stop." tail=3000]] answer then wait');
    await page.waitForFunction(() => (document.querySelector('[data-testid="message-live"] [data-testid="message-content"]')?.textContent ?? '').includes('Complete before Stop.'));
    await page.waitForTimeout(200);
    await page.keyboard.press('Escape');
    const answer = ui.lastAnswer();
    await eventually(() => answer.getAttribute('data-state')).toBe('done');
    expect(await answer.getByTestId('message-aborted').count()).toBe(0);
    await answer.getByTestId('answer-footer').waitFor();
    const runId = await answer.getAttribute('data-run-id');
    const runs = (await (await fetch(`${lab.url}/api/runs`)).json()) as { runs: Array<{ run_id: string; aborted: boolean }> };
    expect(runs.runs.find((run) => run.run_id === runId)?.aborted).toBe(false);
  });

  it('keeps each chat as a session, starts a new one, and loads it back from the sidebar with transcript and config', async () => {
    await ui.testId('session-new').click();
    await ui.openSettings();
    await ui.send('[[scenario:normal text="First answer."]] hello');
    await ui.waitForAnswer();
    await ui.testId('temperature-input').fill('0.35');
    await ui.testId('system-prompt').fill('Answer briefly.');
    await ui.testId('agent-save').click(); // Send alone would not save them (they would apply to this chat only)
    await page.waitForFunction(() => document.querySelector('[data-testid="agent-state"]')?.textContent === 'Saved');
    await ui.send('[[scenario:normal text="Saved answer with **bold** and `code`."]] remember this');
    await ui.waitForAnswer();
    const transcript = await ui.transcriptTexts();
    const config = {
      name: await ui.testId('agent-name').inputValue(),
      model: await ui.testId('model-selected').getAttribute('data-model-id'),
      prompt: await ui.testId('system-prompt').inputValue(),
      temperature: await ui.testId('temperature-input').inputValue(),
    };
    expect(transcript.length).toBe(4);
    const sessionId = await ui.testId('session-current').getAttribute('data-session-id');
    expect(sessionId).toBeTruthy();

    const item = page.locator(`[data-testid="session-item"][data-session-id="${sessionId}"]`);
    await eventually(() => item.textContent()).toContain('hello');

    await ui.testId('session-new').click();
    await eventually(() => ui.messages().count()).toBe(0);
    expect(await ui.testId('agent-name').inputValue()).toBe(config.name); // New keeps the config
    await ui.testId('system-prompt').fill('Something else entirely.');
    await ui.testId('temperature-input').fill('1.5');

    await item.getByTestId('session-load').click();
    await eventually(() => ui.messages().count()).toBe(transcript.length);
    expect(await ui.transcriptTexts()).toEqual(transcript);
    expect(await ui.testId('agent-name').inputValue()).toBe(config.name);
    expect(await ui.testId('model-selected').getAttribute('data-model-id')).toBe(config.model);
    expect(await ui.testId('system-prompt').inputValue()).toBe(config.prompt);
    expect(await ui.testId('temperature-input').inputValue()).toBe(config.temperature);
    expect(await page.locator('[data-testid="message"] strong', { hasText: 'bold' }).count()).toBeGreaterThan(0);
  });

  it('turns the web badge blue when fetch is enabled and red when the allow-list refuses a fetch', async () => {
    await ui.testId('session-new').click();
    await ui.setTool('fetch_url', true);
    await eventually(() => ui.badgeState()).toBe('on');
    await ui.send('[[scenario:tool-fetch url=https://evil.example.net/secrets]] fetch that page');
    await ui.waitForAnswer();
    await eventually(() => ui.badgeState()).toBe('blocked');
    const tool = page.locator('[data-testid="tool-call"][data-tool="fetch_url"]').last();
    await tool.locator('summary').click();
    expect(await tool.getByTestId('tool-result').textContent()).toContain("Refused: domain 'evil.example.net' not in allow-list.");
    await ui.screenshot('web-badge-blocked-light');
  });

  it('downloads runs.csv with the runs', async () => {
    await ui.openView('runs');
    const [download] = await Promise.all([page.waitForEvent('download'), ui.testId('runs-csv-link').click()]);
    const failure = await download.failure();
    expect(failure).toBeNull();
    const csv = await readFile(await download.path(), 'utf8');
    const lines = csv.trim().split('\n');
    expect(lines[0]).toMatch(/^ts,agent_name,model,prompt_tokens,completion_tokens,total_tokens,latency_ms,cost_usd,experiment_id,task_label,run_notes,streaming,model_list_source,tool_web_enabled,web_status,aborted,run_id/);
    const runs = (await (await fetch(`${lab.url}/api/runs`)).json()) as { runs: Array<{ run_id: string }> };
    expect(runs.runs.length).toBeGreaterThanOrEqual(4);
    for (const run of runs.runs) expect(csv).toContain(run.run_id);
    await eventually(() => ui.testId('runs-row').count()).toBe(runs.runs.length);
    await ui.openView('chat');
  });

  it('shows the read-only banner when the flag file appears, and drops it when it goes', async () => {
    const flag = path.join(lab.cwd, 'READ_ONLY_MODE');
    await writeFile(flag, '');
    await ui.testId('banner-read-only').waitFor({ timeout: 10_000 });
    await ui.screenshot('read-only-banner-light');
    await rm(flag);
    await ui.testId('banner-read-only').waitFor({ state: 'detached', timeout: 10_000 });
  });

  it('shows the maintenance banner while the maintenance flag exists', async () => {
    const flag = path.join(lab.cwd, 'MAINTENANCE_MODE');
    await writeFile(flag, '');
    await ui.testId('banner-maintenance').waitFor({ timeout: 10_000 });
    await ui.testId('chat-input').fill('hello during maintenance');
    expect(await ui.testId('send').isDisabled()).toBe(true);
    await rm(flag);
    await ui.testId('banner-maintenance').waitFor({ state: 'detached', timeout: 10_000 });
    expect(await ui.testId('send').isDisabled()).toBe(false);
    await ui.testId('chat-input').fill('');
  });

  it('renders a hostile transcript as text and runs none of it', async () => {
    const hostileUser = '<script>window.__pwned = "script"</script> hello';
    const hostileAnswer = 'Look: <img src="x" onerror="window.__pwned = \'img\'"> <svg onload="window.__pwned = \'svg\'"></svg> [click](javascript:window.__pwned=1)';
    const session = { name: 'Hostile session', transcript: [{ role: 'user', content: hostileUser }, { role: 'assistant', content: hostileAnswer }] };
    let sessionId: string;
    const created = await fetch(`${lab.url}/api/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(session) });
    if (created.ok) sessionId = ((await created.json()) as { id: string }).id;
    else {
      // A lab that refuses hostile-looking input over the API: the file on disk is just as hostile.
      sessionId = randomUUID();
      const now = new Date().toISOString();
      await writeFile(path.join(lab.dataDir, 'sessions', `${sessionId}.json`), JSON.stringify({ id: sessionId, created_at: now, updated_at: now, runs: [], ...session }));
    }
    await ui.open(lab.url);
    await page.locator(`[data-testid="session-item"][data-session-id="${sessionId}"] [data-testid="session-load"]`).click();
    await eventually(() => ui.messages().count()).toBe(2);
    await page.waitForFunction(() => document.querySelector('[data-testid="message-content"]:not(.plain)') !== null);
    const texts = await ui.transcriptTexts();
    expect(texts[0]).toContain('<script>');
    expect(texts[1]).toContain('<img src="x" onerror=');

    // And the same through a streamed answer (the test provider echoes the prompt).
    await ui.send('<img src=x onerror="window.__pwned = \'live\'"> <script>window.__pwned = "live-script"</script>');
    await ui.waitForAnswer();
    await page.waitForTimeout(300);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned)).toBeUndefined();
    const content = '.transcript [data-testid="message-content"]';
    expect(await page.locator(`${content} script, ${content} img[onerror], ${content} svg, ${content} a[href^="javascript"]`).count()).toBe(0);
    expect(dialogs).toEqual([]);
  });

  it('saves screenshots of the main views in light and dark', async () => {
    await ui.open(lab.url);
    const first = page.locator('[data-testid="session-item"] [data-testid="session-load"]').last();
    await first.click();
    await ui.screenshot('main-light');
    await ui.openView('runs');
    await ui.testId('runs-tab-charts').click();
    await ui.testId('charts').waitFor();
    await page.locator('[data-testid="charts"] .recharts-surface').first().waitFor();
    await ui.screenshot('charts-light');
    await page.emulateMedia({ colorScheme: 'dark' });
    await ui.screenshot('charts-dark');
    await ui.testId('runs-tab-summary').click();
    await ui.testId('runs-summary').waitFor();
    await ui.screenshot('summary-dark');
    await ui.testId('runs-tab-table').click();
    await ui.openView('chat');
    await ui.screenshot('main-dark');
    await page.setViewportSize({ width: 420, height: 860 });
    await ui.screenshot('narrow-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await ui.screenshot('narrow-light');
    await page.setViewportSize({ width: 1280, height: 800 });
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
