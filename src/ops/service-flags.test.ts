import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createServiceFlags, type ServiceFlags } from './service-flags.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function setup(): Promise<{ flags: ServiceFlags; readOnlyFlag: string; maintenanceFlag: string; messages: string[] }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'agent-lab-flags-'));
  const readOnlyFlag = path.join(dir, 'READ_ONLY_MODE');
  const maintenanceFlag = path.join(dir, 'MAINTENANCE_MODE');
  const messages: string[] = [];
  const record = (level: string) => (_context: object, message: string) => messages.push(`${level} ${message}`);
  const logger = { warn: record('WARN'), info: record('INFO') } as unknown as import('./logger.js').Logger;
  const flags = createServiceFlags({ readOnlyFlag, maintenanceFlag, logger });
  cleanups.push(async () => {
    flags.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { flags, readOnlyFlag, maintenanceFlag, messages };
}

async function within(ms: number, test: () => boolean): Promise<number> {
  const started = Date.now();
  while (!test()) {
    if (Date.now() - started > ms) throw new Error(`not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return Date.now() - started;
}

describe('createServiceFlags', () => {
  it('turns each mode on and off within a second of the flag file, and says so in the log', async () => {
    const { flags, readOnlyFlag, maintenanceFlag, messages } = await setup();
    expect(flags.readOnly()).toBe(false);
    expect(flags.maintenance()).toBe(false);
    await writeFile(readOnlyFlag, '');
    await within(1000, () => flags.readOnly());
    expect(flags.maintenance()).toBe(false);
    await writeFile(maintenanceFlag, '');
    await within(1000, () => flags.maintenance());
    await rm(readOnlyFlag);
    await within(1000, () => !flags.readOnly());
    await rm(maintenanceFlag);
    await within(1000, () => !flags.maintenance());
    expect(messages).toEqual([
      'WARN Read-only mode is on: writes are refused',
      'WARN Maintenance mode is on: pages and the API answer 503',
      'INFO Read-only mode is off: writes are accepted again',
      'INFO Maintenance mode is off: pages and the API are served again',
    ]);
  });

  it('knows a flag that exists at start-up', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'agent-lab-flags-'));
    await writeFile(path.join(dir, 'RO'), '');
    const flags = createServiceFlags({ readOnlyFlag: path.join(dir, 'RO'), maintenanceFlag: path.join(dir, 'MT') });
    expect(flags.readOnly()).toBe(true);
    flags.close();
    await rm(dir, { recursive: true });
  });
});
