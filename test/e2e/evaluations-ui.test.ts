import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missing } from '../support/prerequisites.js';
import { startLab, type RunningLab } from '../support/start-lab.js';
import { api } from '../support/sse-client.js';
import { CHROMIUM_PREREQUISITE, eventually, openLabPage, type LabPage, type OpenedLabPage } from './lab-page.js';

/**
 * Verdicts in the browser: 👍/👎 on an answer, blind A/B votes and a judge in the bake-off,
 * the Runs view's score filter and run detail, and the Evaluations view's leaderboard and
 * quality-vs-cost chart — against the lab's evaluations API and the test server's scripted
 * models (test/good, test/bad, and test/judge-fair, which passes answers containing the
 * rubric's quoted word).
 */

describe.skipIf(missing(CHROMIUM_PREREQUISITE))('evaluations in the browser', () => {
  let lab: RunningLab;
  let opened: OpenedLabPage;
  let page: Page;
  let ui: LabPage;
  let pageErrors: string[];
  const ids: Record<'good' | 'bad' | 'judge', string> = { good: '', bad: '', judge: '' };

  const scoresOf = async (runId: string) => (await api(`${lab.url}/api/scores?run_id=${runId}`)).json.scores as Array<{ kind: string; value: number | null; opponent_run_id: string }>;

  beforeAll(async () => {
    lab = await startLab();
    ids.good = (await api(`${lab.url}/api/agents`, { body: { name: 'Good', model: 'test/good', system_prompt: '' } })).json.id;
    ids.bad = (await api(`${lab.url}/api/agents`, { body: { name: 'Bad', model: 'test/bad', system_prompt: '' } })).json.id;
    ids.judge = (await api(`${lab.url}/api/agents`, { body: { name: 'Judge', model: 'test/judge-fair', system_prompt: '' } })).json.id;
    opened = await openLabPage({ url: lab.url, context: { viewport: { width: 1440, height: 900 } } });
    ({ page, ui, pageErrors } = opened);
  });
  afterAll(async () => {
    await opened?.close();
    await lab?.close();
  });

  it('rates an answer 👍, and the Runs view filters by it and shows it in the run detail', async () => {
    await ui.testId('agent-select').selectOption(ids.good);
    await ui.send('Say hello');
    await ui.waitForAnswer();
    const answer = ui.lastAnswer();
    const runId = (await answer.getAttribute('data-run-id'))!;
    await answer.getByTestId('rate-up').click();
    await eventually(() => answer.getByTestId('rate-up').getAttribute('aria-pressed')).toBe('true');
    expect((await scoresOf(runId)).map((score) => [score.kind, score.value])).toEqual([['human', 1]]);
    // The rating is still shown after a reload, with the session loaded again.
    const sessionId = (await ui.testId('session-current').getAttribute('data-session-id'))!;
    await ui.open(lab.url);
    await page.locator(`[data-testid="session-item"][data-session-id="${sessionId}"] [data-testid="session-load"]`).click();
    await eventually(() => page.locator(`[data-testid="message"][data-run-id="${runId}"] [data-testid="rate-up"]`).getAttribute('aria-pressed')).toBe('true');

    await ui.testId('agent-select').selectOption(ids.bad);
    await ui.send('Say hello');
    await ui.waitForAnswer();
    await ui.lastAnswer().getByTestId('rate-down').click();
    await eventually(() => ui.lastAnswer().getByTestId('rate-down').getAttribute('aria-pressed')).toBe('true');

    await ui.openView('runs');
    await ui.testId('filter-score').selectOption('up');
    await eventually(() => page.locator('[data-testid="runs-row"]').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-run-id')))).toEqual([runId]);
    await page.locator('[data-testid="runs-row"]').first().click();
    await eventually(() => ui.testId('run-detail-scores').textContent()).toContain('human');
    await ui.testId('run-detail-close').click();
    await ui.testId('filter-score').selectOption('');
  });

  it('a blind bake-off: names hidden until the A/B vote, the vote saved as a pairwise score; the judge grades each lane', async () => {
    await ui.openView('bakeoff');
    await ui.testId('bakeoff-view').waitFor();
    for (const id of [ids.good, ids.bad]) await page.locator(`[data-testid="bakeoff-agent-option"][data-agent-id="${id}"]`).check();
    await ui.testId('bakeoff-blind').check();
    await ui.testId('bakeoff-experiment-input').fill('e2e-evals');
    await ui.testId('bakeoff-prompt').fill('Please say hello');
    await ui.testId('bakeoff-run').click();
    await ui.testId('bakeoff-run').waitFor({ timeout: 20_000 });
    const lanes = page.locator('[data-testid="bakeoff-lane"]');
    expect(await lanes.getByTestId('lane-model').count()).toBe(0);
    expect(await lanes.nth(0).getByTestId('lane-name').textContent()).toBe('Answer A');
    // Speed and cost would give the model away: hidden until the vote, like the names.
    expect(await lanes.getByTestId('lane-ttft').count()).toBe(0);
    expect(await lanes.getByTestId('lane-cost').count()).toBe(0);
    expect(await lanes.getByTestId('lane-badge-fastest').count()).toBe(0);

    await ui.testId('vote-a').click();
    await eventually(() => ui.testId('vote-result').textContent()).toContain('Vote saved');
    expect(await lanes.nth(0).getByTestId('lane-name').textContent()).toBe('Good'); // revealed
    expect(await lanes.getByTestId('lane-ttft').count()).toBe(2);
    const runs = (await api(`${lab.url}/api/runs?experiment_id=e2e-evals`)).json.runs as Array<{ run_id: string; agent_id: string }>;
    const goodRun = runs.find((run) => run.agent_id === ids.good)!;
    const badRun = runs.find((run) => run.agent_id === ids.bad)!;
    expect((await scoresOf(goodRun.run_id)).filter((score) => score.kind === 'pairwise')).toEqual([expect.objectContaining({ value: 1, opponent_run_id: badRun.run_id })]);

    await ui.testId('judge-agent').selectOption(ids.judge);
    await ui.testId('judge-rubric').fill('The answer says "hello"');
    await ui.testId('judge-run').click();
    await eventually(() => lanes.getByTestId('lane-verdict').count(), 20_000).toBe(2);
    expect(await lanes.nth(0).getByTestId('lane-verdict').textContent()).toMatch(/Judge: 1\.00 pass/);
    expect(await lanes.nth(1).getByTestId('lane-verdict').textContent()).toMatch(/Judge: 0\.00 fail/);
    await eventually(() => page.locator('[data-testid="leaderboard-panel"] [data-testid="leaderboard-row"]').count()).toBe(2);
    await ui.screenshot('bakeoff-votes-judge-1440-light');
  });

  it('the Evaluations view lists experiments with their leaderboard and a quality-vs-cost chart', async () => {
    await ui.openView('evals');
    await page.locator('[data-testid="experiment-item"][data-experiment-id="e2e-evals"]').click();
    const rows = page.locator('[data-testid="evals-leaderboard"] [data-testid="leaderboard-row"]');
    await eventually(() => rows.count()).toBe(2);
    expect(await rows.first().textContent()).toContain('Good');
    expect(await rows.first().getByTestId('leaderboard-bt').textContent()).toMatch(/^\d+ \(\d+–\d+\)$/);
    await page.locator('[data-testid="pareto-chart"] .recharts-surface').first().waitFor({ timeout: 10_000 });
    // Each agent is a visible, labelled point on the chart (not a dot still growing in).
    await eventually(() => page.locator('[data-testid="pareto-chart"] .recharts-surface').first().textContent()).toMatch(/Good · test\/good/);
    expect(await page.locator('[data-testid="pareto-chart"] .pareto-point').count()).toBe(2);
    const marker = await page.locator('[data-testid="pareto-chart"] .recharts-symbols').first().boundingBox();
    expect(marker!.width).toBeGreaterThanOrEqual(8);
    // Every leaderboard column (cost last) is on screen at 1440 px, not behind a scroll.
    const costHeader = await page.locator('[data-testid="evals-leaderboard"] th', { hasText: 'Cost / run' }).boundingBox();
    expect(costHeader!.x + costHeader!.width).toBeLessThanOrEqual(1440);
    await ui.screenshot('evals-1440-light');
    await page.emulateMedia({ colorScheme: 'dark' });
    await ui.screenshot('evals-1440-dark');
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await ui.screenshot('evals-390-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await ui.screenshot('evals-390-light');
    expect(pageErrors).toEqual([]);
  });
});
