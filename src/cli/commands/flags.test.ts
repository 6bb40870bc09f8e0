import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../config/config.js';
import { createServiceFlags } from '../../ops/service-flags.js';
import { register } from './flags.js';

const dirs: string[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function cli(dir: string, ...args: string[]): Promise<string> {
  const program = new Command('agent-lab').exitOverride();
  register(program, { loadConfig: () => loadConfig({ cwd: dir, env: {}, dotenvFile: false }) });
  const output: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((line: string) => void output.push(line));
  await program.parseAsync(['node', 'agent-lab', ...args]);
  vi.restoreAllMocks();
  return output.join('\n');
}

describe('agent-lab read-only / maintenance', () => {
  it('creates and removes the flag files, which a running lab sees within a second', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'agent-lab-cli-flags-'));
    dirs.push(dir);
    const flags = createServiceFlags({ readOnlyFlag: path.join(dir, 'READ_ONLY_MODE'), maintenanceFlag: path.join(dir, 'MAINTENANCE_MODE') });
    try {
      expect(await cli(dir, 'read-only', 'status')).toMatch(/^read-only mode is off/);
      expect(await cli(dir, 'read-only', 'on')).toMatch(/^read-only mode is on .*READ_ONLY_MODE/);
      expect(existsSync(path.join(dir, 'READ_ONLY_MODE'))).toBe(true);
      await vi.waitFor(() => expect(flags.readOnly()).toBe(true), { timeout: 1000 });
      expect(await cli(dir, 'read-only')).toMatch(/^read-only mode is on .*agent-lab CLI/);
      expect(await cli(dir, 'maintenance', 'on')).toMatch(/^maintenance mode is on/);
      await vi.waitFor(() => expect(flags.maintenance()).toBe(true), { timeout: 1000 });
      await cli(dir, 'read-only', 'off');
      await cli(dir, 'maintenance', 'off');
      expect(existsSync(path.join(dir, 'READ_ONLY_MODE'))).toBe(false);
      expect(existsSync(path.join(dir, 'MAINTENANCE_MODE'))).toBe(false);
      await vi.waitFor(() => expect(flags.readOnly() || flags.maintenance()).toBe(false), { timeout: 1000 });
    } finally {
      flags.close();
    }
  });
});
