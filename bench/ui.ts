import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { CHROMIUM_PATH, launchChromium } from '../test/support/chromium.js';
import { REPO_ROOT } from '../test/support/start-lab.js';
import { startBareServer } from './support/bare.js';
import { startBenchLab } from './support/lab.js';
import { count, ms, ratio, span, type Row, type SectionReport } from './support/report.js';
import { median } from './support/stats.js';

/**
 * UI: gzipped size of web/dist/assets/*.js (what the first load needs vs lazy chunks), and
 * the time until the chat input is visible and enabled in headless Chromium, median of 5
 * cold loads (a fresh browser context each), vs a minimal page with the same input served
 * by the bare Fastify baseline (the browser's floor).
 */

const INPUT = '[data-testid="chat-input"]';

async function bundleSizes(): Promise<{ initial: number; initialRaw: number; lazy: number; files: Array<{ name: string; gzip: number; initial: boolean }> }> {
  const dist = path.join(REPO_ROOT, 'web', 'dist');
  const html = await readFile(path.join(dist, 'index.html'), 'utf8');
  const entries = new Set([...html.matchAll(/(?:src|href)="\/assets\/([^"]+\.js)"/g)].map((match) => match[1]!));
  const files: Array<{ name: string; gzip: number; initial: boolean }> = [];
  let initial = 0;
  let initialRaw = 0;
  let lazy = 0;
  for (const name of (await readdir(path.join(dist, 'assets'))).filter((file) => file.endsWith('.js')).sort()) {
    const bytes = await readFile(path.join(dist, 'assets', name));
    const gzip = gzipSync(bytes, { level: 9 }).length;
    const isInitial = entries.has(name);
    files.push({ name, gzip, initial: isInitial });
    if (isInitial) {
      initial += gzip;
      initialRaw += bytes.length;
    } else lazy += gzip;
  }
  return { initial, initialRaw, lazy, files };
}

/** ms from navigation start until the input is visible and enabled, as the page measures it. */
async function timeToUsable(browser: import('playwright-core').Browser, url: string): Promise<number> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(url, { waitUntil: 'commit', timeout: 30_000 });
    const handle = await page.waitForFunction(
      (selector) => {
        const input = document.querySelector(selector) as HTMLTextAreaElement | null;
        if (!input || input.disabled || input.offsetParent === null) return false;
        return performance.now();
      },
      INPUT,
      { polling: 'raf', timeout: 30_000 },
    );
    return (await handle.jsonValue()) as number;
  } finally {
    await context.close();
  }
}

export async function runUiBench(options: { loads?: number } = {}): Promise<SectionReport> {
  const loads = options.loads ?? 5;
  const sizes = await bundleSizes();
  const rows: Row[] = [
    {
      figure: 'JS gzipped, first load (entry script of index.html)',
      value: `${(sizes.initial / 1024).toFixed(1)} KiB (${(sizes.initialRaw / 1024).toFixed(0)} KiB raw)`,
      baseline: '',
      ratio: '',
      goal: '',
      range: '',
    },
    {
      figure: 'JS gzipped, lazy chunks (loaded on demand)',
      value: `${(sizes.lazy / 1024).toFixed(1)} KiB`,
      baseline: '',
      ratio: '',
      goal: '',
      range: sizes.files.filter((file) => !file.initial).map((file) => `${file.name.replace(/-[\w-]{8}\.js$/, '')} ${(file.gzip / 1024).toFixed(1)}`).join(', '),
    },
  ];
  const notes: string[] = [];
  if (!existsSync(CHROMIUM_PATH)) {
    notes.push(`${CHROMIUM_PATH} is missing (\`apt-get install -y chromium\`): page timing skipped.`);
  } else {
    const lab = await startBenchLab();
    const bare = await startBareServer();
    const browser = await launchChromium();
    const labTimes: number[] = [];
    const floorTimes: number[] = [];
    try {
      await timeToUsable(browser, lab.url);
      await timeToUsable(browser, `${bare.url}/page`);
      for (let index = 0; index < loads; index++) {
        labTimes.push(await timeToUsable(browser, lab.url));
        floorTimes.push(await timeToUsable(browser, `${bare.url}/page`));
      }
    } finally {
      await browser.close();
      await bare.close();
      await lab.close();
    }
    rows.push({
      figure: `page usable (chat input visible and enabled), median of ${loads} cold loads`,
      value: ms(median(labTimes), 0),
      baseline: `${ms(median(floorTimes), 0)} (a one-input page, same browser)`,
      ratio: ratio(median(labTimes), median(floorTimes)),
      goal: '',
      range: `${span(labTimes, (v) => ms(v, 0))} vs ${span(floorTimes, (v) => ms(v, 0))}`,
    });
  }
  return {
    id: 'ui',
    title: '6. UI',
    method:
      `Sizes: every web/dist/assets/*.js gzipped (level 9); "first load" is what index.html references. Timing: headless Chromium (${CHROMIUM_PATH}, playwright-core), ` +
      'a fresh context per load (cold cache), the page\'s own `performance.now()` (from navigation start) when `[data-testid="chat-input"]` is visible and enabled; ' +
      `the lab serves web/dist and answers the API calls the page makes on load. ${count(sizes.files.length)} JS files.`,
    rows,
    notes,
    goals: [],
  };
}
