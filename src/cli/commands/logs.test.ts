import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { groupLogMessages, parseLogLine } from './logs.js';

describe('agent-lab logs --errors', () => {
  it('groups ERROR lines by message, most frequent first, ignoring the context', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'agent-lab-logs-'));
    const file = path.join(dir, 'app.log');
    await writeFile(
      file,
      [
        '2026-01-01 10:00:00.000 INFO Agent Lab is listening {"url":"http://127.0.0.1:7860"}',
        '2026-01-01 10:00:01.000 ERROR Provider request failed {"model":"a","status":502}',
        '2026-01-01 10:00:02.000 ERROR Provider request failed {"model":"b","status":503}',
        '2026-01-01 10:00:03.000 ERROR Session write failed {"error":"ENOSPC"}',
        '2026-01-01 10:00:04.000 WARN possible injection attempt {"kind":"sql","match":"ERROR"}',
        '2026-01-01 10:00:05.000 ERROR Provider request failed {"model":"a","status":500}',
        'not a log line',
      ].join('\n'),
    );
    expect(await groupLogMessages({ file })).toEqual([
      { count: 3, level: 'ERROR', message: 'Provider request failed' },
      { count: 1, level: 'ERROR', message: 'Session write failed' },
    ]);
    expect((await groupLogMessages({ file, minimum: 'WARN' })).map((group) => group.message)).toContain('possible injection attempt');
    await rm(dir, { recursive: true });
  });

  it('reads the level and message of a line', () => {
    expect(parseLogLine('2026-01-01 10:00:00.000 FATAL Agent Lab failed to start {"x":1}')).toEqual({ level: 'FATAL', message: 'Agent Lab failed to start' });
    expect(parseLogLine('garbage')).toBeUndefined();
  });
});
