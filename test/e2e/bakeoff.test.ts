import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missing } from '../support/prerequisites.js';
import { startLab, type RunningLab } from '../support/start-lab.js';
import { api } from '../support/sse-client.js';
import { CHROMIUM_PREREQUISITE, openLabPage, type LabPage, type OpenedLabPage } from './lab-page.js';

/**
 * The bake-off view in Debian's Chromium against the built lab and the OpenRouter-format
 * test server: three lanes stream at once, each with its own figures and Stop.
 */

const MODELS = ['openai/gpt-4o-mini', 'openai/gpt-4o', 'anthropic/claude-3.5-haiku'];

describe.skipIf(missing(CHROMIUM_PREREQUISITE))('the bake-off view', () => {
  let lab: RunningLab;
  let opened: OpenedLabPage;
  let page: Page;
  let ui: LabPage;
  let pageErrors: string[];
  const agentIds: string[] = [];
  const judging: Record<'good' | 'bad' | 'fair' | 'biased', string> = { good: '', bad: '', fair: '', biased: '' };

  beforeAll(async () => {
    lab = await startLab();
    for (const [index, model] of MODELS.entries()) {
      const created = await api(`${lab.url}/api/agents`, { body: { name: `Racer ${index + 1}`, model, system_prompt: 'Race.' } });
      agentIds.push(created.json.id);
    }
    for (const [key, model] of [['good', 'test/good'], ['bad', 'test/bad'], ['fair', 'test/judge-fair'], ['biased', 'test/judge-biased']] as const) {
      judging[key] = (await api(`${lab.url}/api/agents`, { body: { name: `Pair ${key}`, model, system_prompt: '' } })).json.id;
    }
    opened = await openLabPage({ context: { viewport: { width: 1400, height: 900 } } });
    ({ page, ui, pageErrors } = opened);
  });
  afterAll(async () => {
    await opened?.close();
    await lab?.close();
  });

  const lanes = () => page.locator('[data-testid="bakeoff-lane"]');

  it('streams 3 lanes at once: all three answers grow together, then the fastest is marked (no cheapest among equal costs)', async () => {
    await ui.open(lab.url);
    await ui.testId('view-tab-bakeoff').click();
    await ui.testId('bakeoff-view').waitFor();
    for (const id of agentIds) await page.locator(`[data-testid="bakeoff-agent-option"][data-agent-id="${id}"]`).check();
    await expect.poll(() => ui.testId('bakeoff-lane-count').textContent()).toMatch(/^3 of/);
    await ui.testId('bakeoff-experiment-input').fill('e2e-race');
    await ui.testId('bakeoff-prompt').fill('Race [[scenario:slow delay=40 tokens=40]]');

    // Sample every lane's text length on each paint while the lanes stream.
    await page.evaluate(() => {
      const state = window as unknown as { __samples: number[][]; __sampling: boolean };
      state.__samples = [];
      state.__sampling = true;
      const tick = (): void => {
        const lengths = [...document.querySelectorAll('[data-testid="bakeoff-lane"] [data-testid="lane-text"]')].map((node) => (node.textContent ?? '').length);
        if (lengths.length === 3) state.__samples.push(lengths);
        if (state.__sampling) requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
    await ui.testId('bakeoff-run').click();
    await expect.poll(() => lanes().count()).toBe(3);
    // live figures while streaming
    await page.locator('[data-testid="bakeoff-lane"][data-status="streaming"]').first().waitFor({ timeout: 10_000 });
    await expect.poll(async () => (await lanes().nth(0).getByTestId('lane-ttft').textContent()) ?? '').toMatch(/\d+ ms/);
    await ui.testId('bakeoff-run').waitFor({ timeout: 20_000 }); // back from "Stop all" once every lane ended
    const samples = await page.evaluate(() => {
      const state = window as unknown as { __samples: number[][]; __sampling: boolean };
      state.__sampling = false;
      return state.__samples;
    });
    const finals = samples.at(-1)!;
    expect(finals.every((length) => length > 100)).toBe(true);
    // Concurrency: many paints where all three lanes were partway at the same time.
    const together = samples.filter((lengths) => lengths.every((length, lane) => length > 0 && length < finals[lane]!));
    expect(together.length).toBeGreaterThan(5);
    // and each lane grew over several distinct paints
    for (let lane = 0; lane < 3; lane++) expect(new Set(samples.map((lengths) => lengths[lane])).size).toBeGreaterThan(5);

    for (let lane = 0; lane < 3; lane++) {
      const card = lanes().nth(lane);
      expect(await card.getAttribute('data-status')).toBe('done');
      expect(await card.getByTestId('lane-tokens').textContent()).toBe('40');
      expect(await card.getByTestId('lane-tps').textContent()).toMatch(/^\d/);
      expect(await card.getByTestId('lane-cost').textContent()).toMatch(/^\$/);
    }
    expect(await page.getByTestId('lane-badge-fastest').count()).toBe(1);
    expect(await page.getByTestId('lane-badge-cheapest').count()).toBe(0); // all three cost the same: none is cheapest
    await expect.poll(() => page.locator('[data-testid="summary-table"] tbody tr').count()).toBe(3);
    await ui.screenshot('bakeoff-3-lanes');
    const runs = await api(`${lab.url}/api/runs?experiment_id=e2e-race`);
    expect(runs.json.count).toBe(3);
    expect(new Set(runs.json.runs.map((run: { bakeoff_id: string }) => run.bakeoff_id)).size).toBe(1);
  });

  it('a follow-up continues each lane’s session; Stop on one lane stops only that lane', async () => {
    await ui.testId('bakeoff-prompt').fill('And a long one [[scenario:slow delay=30 tokens=300]]');
    await ui.testId('bakeoff-prompt').press('Enter');
    await ui.testId('bakeoff-stop-all').waitFor();
    await expect.poll(async () => ((await lanes().nth(1).getByTestId('lane-text').textContent()) ?? '').length, { timeout: 10_000 }).toBeGreaterThan(20);
    await lanes().nth(1).getByTestId('lane-stop').click();
    await expect.poll(() => lanes().nth(1).getAttribute('data-status'), { timeout: 10_000 }).toBe('stopped');
    expect(await lanes().nth(0).getAttribute('data-status')).toBe('streaming');
    // Stop all ends the rest
    await ui.testId('bakeoff-stop-all').click();
    await ui.testId('bakeoff-run').waitFor({ timeout: 10_000 });
    await expect.poll(() => lanes().evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-status')))).toEqual(['stopped', 'stopped', 'stopped']);

    // the lab records a stopped run a moment after the stream closes
    await expect.poll(async () => (await api(`${lab.url}/api/runs?experiment_id=e2e-race`)).json.count, { timeout: 5000 }).toBe(6);
    const runs = (await api(`${lab.url}/api/runs?experiment_id=e2e-race`)).json.runs as Array<{ session_id: string; aborted: boolean; agent_id: string }>;
    for (const agentId of agentIds) {
      const ofAgent = runs.filter((run) => run.agent_id === agentId);
      expect(new Set(ofAgent.map((run) => run.session_id)).size).toBe(1); // the same session both times
      expect(ofAgent.map((run) => run.aborted)).toEqual([false, true]);
    }
  });

  it('keeps the prompt visible above the lanes, side by side at 1400 px', async () => {
    expect(await ui.testId('bakeoff-sent-prompt').textContent()).toContain('And a long one [[scenario:slow delay=30 tokens=300]]');
    const boxes = await Promise.all([0, 1, 2].map((lane) => lanes().nth(lane).boundingBox()));
    expect(new Set(boxes.map((box) => Math.round(box!.y))).size).toBe(1); // one row
    const prompt = await ui.testId('bakeoff-sent-prompt').boundingBox();
    expect(prompt!.y).toBeLessThan(boxes[0]!.y);
  });

  it('"one config × models" runs every lane (no refused field), and a failed lane says why', async () => {
    await ui.testId('bakeoff-new').click();
    await ui.testId('bakeoff-mode-models').check();
    await ui.testId('bakeoff-base-agent').selectOption(agentIds[0]!);
    for (const model of MODELS.slice(0, 2)) await page.locator(`[data-testid="bakeoff-model-option"][data-model-id="${model}"]`).check();
    await ui.testId('bakeoff-prompt').fill('Config race [[scenario:normal text="Same config, two models." cost=0]]');
    await ui.testId('bakeoff-run').click();
    await ui.testId('bakeoff-run').waitFor({ timeout: 20_000 });
    await expect.poll(() => lanes().evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-status')))).toEqual(['done', 'done']);
    expect(await page.getByTestId('lane-error').count()).toBe(0);
    expect(await lanes().nth(1).getByTestId('lane-model').textContent()).toBe(MODELS[1]);
    // Every lane cost $0: fastest is named, cheapest is not.
    expect(await page.getByTestId('lane-badge-fastest').count()).toBe(1);
    expect(await page.getByTestId('lane-badge-cheapest').count()).toBe(0);
    await ui.screenshot('bakeoff-config-x-models-1400-light');

    // A lane whose provider fails mid-answer keeps its text and shows the reason.
    await ui.testId('bakeoff-new').click();
    await ui.testId('bakeoff-mode-agents').check();
    for (const id of agentIds.slice(0, 2)) await page.locator(`[data-testid="bakeoff-agent-option"][data-agent-id="${id}"]`).check();
    lab.provider.enqueue({ type: 'mid-stream-error', afterTokens: 2, message: 'upstream exploded' }, { type: 'text', text: 'Fine answer.' });
    await ui.testId('bakeoff-prompt').fill('One of you will fail');
    await ui.testId('bakeoff-run').click();
    await ui.testId('bakeoff-run').waitFor({ timeout: 20_000 });
    const failed = page.locator('[data-testid="bakeoff-lane"][data-status="failed"]');
    await expect.poll(() => failed.count()).toBe(1);
    expect(await failed.getByTestId('lane-error').textContent()).toMatch(/\S/);
    expect(await failed.getByTestId('lane-error').textContent()).not.toBe('failed');
    expect(await page.locator('[data-testid="bakeoff-lane"][data-status="done"]').count()).toBe(1);
  });

  it('stacks the lanes on a phone, and hides model names in blind mode', async () => {
    await ui.testId('bakeoff-new').click();
    await ui.testId('bakeoff-blind').check();
    await ui.testId('bakeoff-prompt').fill('Blind race [[scenario:normal text="Who am I?"]]');
    await ui.testId('bakeoff-run').click();
    await ui.testId('bakeoff-run').waitFor({ timeout: 20_000 });
    expect(await lanes().nth(0).getByTestId('lane-name').textContent()).toBe('Answer A');
    expect(await page.getByTestId('lane-model').count()).toBe(0);
    expect(await lanes().evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-blind')))).toEqual(['true', 'true']);
    await ui.testId('vote-panel').waitFor();
    await ui.screenshot('bakeoff-blind-1400-light');
    await page.setViewportSize({ width: 390, height: 844 });
    const boxes = await Promise.all([0, 1].map((lane) => lanes().nth(lane).boundingBox()));
    expect(boxes[1]!.y).toBeGreaterThan(boxes[0]!.y + boxes[0]!.height - 1); // stacked
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await ui.screenshot('bakeoff-390-light');
    await page.emulateMedia({ colorScheme: 'dark' });
    await ui.screenshot('bakeoff-390-dark');
    await page.setViewportSize({ width: 1400, height: 900 });
    await ui.screenshot('bakeoff-1400-dark');
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('compares two experiments in a table and a chart', async () => {
    await api(`${lab.url}/api/chat`, { body: { agent_id: agentIds[0], message: 'x [[scenario:slow delay=5 tokens=5]]', tags: { experiment_id: 'e2e-other' }, stream: false } });
    await ui.testId('compare-a').fill('e2e-race');
    await ui.testId('compare-b').fill('e2e-other');
    await ui.testId('compare-run').click();
    await ui.testId('compare-table').waitFor();
    expect(await page.locator('[data-testid="compare-table"] tbody tr').count()).toBe(4); // 3 models + all runs
    await ui.testId('compare-chart').waitFor({ timeout: 10_000 });
    await ui.testId('compare-panel').scrollIntoViewIfNeeded();
    await ui.screenshot('bakeoff-compare');
    expect(pageErrors).toEqual([]);
  });

  it('a judge agent compares two lanes A vs B: the winner and its reason, or a tie when the two orders disagree', async () => {
    await ui.testId('bakeoff-new').click();
    await ui.testId('bakeoff-mode-agents').check();
    await ui.testId('bakeoff-blind').uncheck();
    for (const box of await page.locator('[data-testid="bakeoff-agent-option"]:checked').all()) await box.uncheck();
    // Lanes A (says hello), B (says "No."), C (echoes the prompt, hello included).
    for (const id of [judging.good, judging.bad, agentIds[0]!]) await page.locator(`[data-testid="bakeoff-agent-option"][data-agent-id="${id}"]`).check();
    await ui.testId('bakeoff-experiment-input').fill('e2e-pairwise');
    await ui.testId('bakeoff-prompt').fill('Please say hello');
    await ui.testId('bakeoff-run').click();
    await ui.testId('bakeoff-run').waitFor({ timeout: 20_000 });
    await expect.poll(() => lanes().evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-status')))).toEqual(['done', 'done', 'done']);

    // A fair judge reads both answers: lane A (test/good says hello) wins in both orders.
    await ui.testId('judge-agent').selectOption(judging.fair);
    await ui.testId('judge-rubric').fill('Prefer the answer that says "hello".');
    expect(await ui.testId('judge-pairwise-run').textContent()).toBe('Which is better: A or B?');
    await ui.testId('judge-pairwise-run').click();
    const verdict = ui.testId('judge-pairwise-verdict');
    await expect.poll(() => verdict.getAttribute('data-outcome'), { timeout: 20_000 }).toBe('A');
    expect(await ui.testId('judge-pairwise-headline').textContent()).toBe('A wins');
    expect(await ui.testId('judge-pairwise-reason').textContent()).toContain('mentions "hello"');
    const runs = (await api(`${lab.url}/api/runs?experiment_id=e2e-pairwise`)).json.runs as Array<{ run_id: string; agent_id: string; task_label: string; session_id: string }>;
    const goodRun = runs.find((run) => run.agent_id === judging.good)!;
    const badRun = runs.find((run) => run.agent_id === judging.bad)!;
    expect(runs.filter((run) => run.task_label === 'judge')).toHaveLength(2); // asked in both orders

    // The judge's calls share the experiment id: the sidebar files them with the bake-off, whose badge stays "bake-off".
    const group = page.locator('[data-testid="session-group"]', { has: page.locator('.group-title', { hasText: /^e2e-pairwise$/ }) });
    const sessionIds = [...new Set(runs.map((run) => run.session_id))];
    await expect
      .poll(() => group.locator('[data-testid="session-item"]').evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-session-id')).sort()), { timeout: 10_000 })
      .toEqual(sessionIds.sort());
    expect(await group.getAttribute('data-kind')).toBe('bake-off');
    expect(await group.getByTestId('session-group-badge').textContent()).toBe('bake-off');
    expect(await ui.testId('judge-pairwise-legend').count()).toBe(0); // A and B are the lanes A and B
    const saved = (await api(`${lab.url}/api/scores?run_id=${goodRun.run_id}&kind=pairwise`)).json.scores as Array<{ value: number; opponent_run_id: string; scorer: string }>;
    expect(saved).toEqual([expect.objectContaining({ value: 1, opponent_run_id: badRun.run_id, scorer: 'Pair fair' })]);

    // Another pair, right lane first: B against C. C says hello, so C wins; the legend maps the judge's A/B to the lanes.
    await ui.testId('judge-pair-first').selectOption('1');
    await ui.testId('judge-pair-second').selectOption('2');
    expect(await ui.testId('judge-pairwise-run').textContent()).toBe('Which is better: B or C?');
    await ui.testId('judge-pairwise-run').click();
    await expect.poll(() => verdict.getAttribute('data-outcome'), { timeout: 20_000 }).toBe('C');
    expect(await ui.testId('judge-pairwise-headline').textContent()).toBe('C wins');
    expect(await ui.testId('judge-pairwise-legend').textContent()).toBe('In the judge’s words, “A” is lane B and “B” is lane C (the first order).');

    // A biased judge always says "A": the two orders disagree, so it is a tie, and the panel says why.
    await ui.testId('judge-agent').selectOption(judging.biased);
    await ui.testId('judge-pairwise-run').click();
    await expect.poll(() => verdict.getAttribute('data-outcome'), { timeout: 20_000 }).toBe('tie');
    expect(await ui.testId('judge-pairwise-headline').textContent()).toMatch(/^Tie: the judge’s verdicts disagreed/);
    expect(await ui.testId('judge-pairwise-reason').textContent()).toContain('disagreed between the two orders');
    await ui.testId('judge-panel').scrollIntoViewIfNeeded();
    await ui.screenshot('bakeoff-pairwise-judge');
    expect(pageErrors).toEqual([]);
  });

  it('offers an agent created in the sidebar without a reload', async () => {
    await ui.testId('agent-new').click();
    await ui.testId('agent-name').fill('Late racer');
    await ui.testId('agent-save').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="agent-state"]')?.textContent === 'Saved');
    await ui.testId('settings-close').click();
    await ui.openView('bakeoff');
    await ui.testId('bakeoff-new').click();
    await page.locator('[data-testid="bakeoff-setup"] label', { hasText: 'Late racer' }).waitFor({ timeout: 5000 });
  });
});
