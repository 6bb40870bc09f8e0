import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger, formatLogLine } from './logger.js';

/** Every line break some line-oriented tool honours (Python's str.splitlines, editors, log shippers). */
const ANY_LINE_BREAK = /\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/;

describe('the app log', () => {
  let directory: string | undefined;
  afterEach(async () => {
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  it('keeps one record per line, U+2028, U+2029, U+0085 and other controls escaped in the message and the JSON context', async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'agent-lab-log-'));
    const logFile = path.join(directory, 'app.log');
    const lab = createLogger({ logFile, stdout: false });
    const tricky = 'a\u2028b\u2029c\u0085d\u000be\u000cf\u001cg\u009bh';
    lab.logger.info({ prompt: tricky, nested: { name: `x${tricky}` } }, `Agent saved ${tricky}`);
    lab.logger.warn('Second record');
    await vi.waitFor(async () => expect(await readFile(logFile, 'utf8')).toContain('Second record'), { timeout: 5000 });

    const lines = (await readFile(logFile, 'utf8')).split(ANY_LINE_BREAK).filter((line) => line !== '');
    expect(lines).toHaveLength(2);
    const [first, second] = lines as [string, string];
    expect(first).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} INFO Agent saved a\\u2028b\\u2029c\\x85d\\x0be\\x0cf\\x1cg\\x9bh \{/);
    // The context is still JSON and reads back to the original values.
    const context = JSON.parse(first.slice(first.indexOf(' {') + 1)) as { prompt: string; nested: { name: string } };
    expect(context).toEqual({ prompt: tricky, nested: { name: `x${tricky}` } });
    expect(second).toMatch(/ WARN Second record$/);
  });

  it('leaves printable non-ASCII text as it is', () => {
    const line = formatLogLine({ level: 30, time: 0, msg: 'Café 例え ✓', who: 'Zoë 👋' });
    expect(line).toBe('1970-01-01 00:00:00.000 INFO Café 例え ✓ {"who":"Zoë 👋"}\n');
  });
});
