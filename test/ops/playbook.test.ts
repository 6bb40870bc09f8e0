import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, startLab, type RunningLab } from '../support/start-lab.js';

/**
 * The runbook's own commands, as an on-call engineer types them: `../shared/playbook-check.sh`
 * against a running lab. LAB_DIR is the checkout (so `npx --no-install agent-lab` resolves);
 * data, logs, backups and flag files live in the lab's temp directory.
 */
const script = path.resolve(REPO_ROOT, '..', 'shared', 'playbook-check.sh');

describe.skipIf(!existsSync(script))('incident playbook commands (playbook-check.sh)', () => {
  let lab: RunningLab;
  const env = (cwd: string) => ({
    DATA_DIR: path.join(cwd, 'data'),
    LOG_FILE: path.join(cwd, 'logs', 'app.log'),
    ACCESS_LOG: path.join(cwd, 'logs', 'access.log'),
    BACKUP_DIR: path.join(cwd, 'backups'),
    READ_ONLY_FLAG: path.join(cwd, 'READ_ONLY_MODE'),
    MAINTENANCE_FLAG: path.join(cwd, 'MAINTENANCE_MODE'),
  });

  beforeAll(async () => {
    lab = await startLab();
  });
  afterAll(async () => {
    await lab?.close();
    for (const file of await readdir(REPO_ROOT)) {
      if (/^evidence-\d{8}_\d{6}\.tar\.gz$/.test(file)) await rm(path.join(REPO_ROOT, file), { force: true });
    }
  });

  it('passes every step', async () => {
    const child = spawn('bash', [script], {
      cwd: REPO_ROOT,
      env: { ...process.env, LAB_URL: lab.url, LAB_DIR: REPO_ROOT, ...env(lab.cwd), BACKUP_INTERVAL_HOURS: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    console.log(output);
    expect(output).toMatch(/\d+ passed, 0 failed/);
    expect(code).toBe(0);
  }, 240_000);
});
