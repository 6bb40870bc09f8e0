import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { createAccessLog, formatAccessLine, type AccessEntry } from './access-log.js';
import { installLogReopen } from './log-reopen.js';
import type { Logger } from './logger.js';

const entry = (overrides: Partial<AccessEntry> = {}): AccessEntry => ({
  client: '198.51.100.4',
  time: new Date(Date.UTC(2026, 9, 10, 13, 55, 36)),
  method: 'GET',
  url: '/api/agents',
  httpVersion: '1.1',
  status: 200,
  bytes: 2326,
  referer: undefined,
  userAgent: 'curl/8.5.0',
  durationMs: 3.25,
  requestId: 'req-1',
  ...overrides,
});

describe('access log', () => {
  it('formats Combined Log Format, client address first, with request values escaped', () => {
    expect(formatAccessLine(entry())).toBe('198.51.100.4 - - [10/Oct/2026:13:55:36 +0000] "GET /api/agents HTTP/1.1" 200 2326 "-" "curl/8.5.0" 3.3 req-1\n');
    const hostile = formatAccessLine(entry({ userAgent: 'evil" 1.2.3.4 "x\nforged line', url: '/a"b' }));
    expect(hostile.split('\n')).toHaveLength(2);
    expect(hostile).toContain('"evil\\" 1.2.3.4 \\"x\\x0aforged line"');
    expect(hostile).toContain('"GET /a\\"b HTTP/1.1"');
  });

  it('escapes C1 controls and other non-printables, and keeps printable non-ASCII text', () => {
    const line = formatAccessLine(entry({ userAgent: 'a\u0085b\u009b2J\u202egnp.exe\u2028c\ufeffd\ud800e', referer: 'https://exämple.例え/ünï' }));
    expect(line).toContain('"a\\x85b\\x9b2J\\u202egnp.exe\\u2028c\\ufeffd\\ud800e"');
    expect(line).toContain('"https://exämple.例え/ünï"');
    expect(line).not.toMatch(/[\u0080-\u009f\u2028\u202e\ufeff]/);
  });

  it('reopens its file on SIGHUP after logrotate moved it', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'agent-lab-access-'));
    const file = path.join(dir, 'logs', 'access.log');
    const log = createAccessLog({ file });
    const info = vi.fn();
    const uninstall = installLogReopen({ targets: [log], logger: { info, error: vi.fn() } as unknown as Logger });
    try {
      log.write(entry({ url: '/before' }));
      await vi.waitFor(async () => expect(existsSync(file) && (await readFile(file, 'utf8'))).toContain('/before'));
      await rename(file, `${file}.1`);
      process.kill(process.pid, 'SIGHUP');
      await vi.waitFor(() => expect(info).toHaveBeenCalledWith({ files: 1 }, 'Log files reopened'));
      log.write(entry({ url: '/after' }));
      await vi.waitFor(async () => expect(existsSync(file) && (await readFile(file, 'utf8'))).toContain('/after'));
      expect(await readFile(`${file}.1`, 'utf8')).not.toContain('/after');
    } finally {
      uninstall();
      log.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('batches lines and writes every one of them on flush and on close', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'agent-lab-access-'));
    const file = path.join(dir, 'access.log');
    const log = createAccessLog({ file, flushIntervalMs: 60_000 });
    try {
      await vi.waitFor(() => expect(existsSync(file)).toBe(true));
      for (let index = 0; index < 500; index += 1) log.write(entry({ url: `/batch/${index}` }));
      log.flush();
      expect((await readFile(file, 'utf8')).split('\n').filter((line) => line.includes('/batch/'))).toHaveLength(500);
      for (let index = 500; index < 1000; index += 1) log.write(entry({ url: `/batch/${index}` }));
      log.close();
      await vi.waitFor(async () => expect((await readFile(file, 'utf8')).split('\n').filter((line) => line.includes('/batch/'))).toHaveLength(1000));
    } finally {
      log.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
