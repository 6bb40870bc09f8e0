import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './start-lab.js';

/** A missing prerequisite: a noted skip in the end-of-run summary, or with CI=true a failing run. */
function runFixture(ci: boolean): { status: number | null; output: string } {
  const { CI: _ci, ...environment } = process.env;
  const result = spawnSync(
    process.execPath,
    [path.join(REPO_ROOT, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--config', path.join(REPO_ROOT, 'test', 'support', '__fixtures__', 'vitest.fixture.config.ts')],
    { cwd: REPO_ROOT, env: { ...environment, ...(ci ? { CI: 'true' } : {}), NO_COLOR: '1' }, encoding: 'utf8', timeout: 60_000 },
  );
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('test prerequisites', () => {
  it('outside CI: the tests are skipped and the summary says what is missing and how to get it', () => {
    const { status, output } = runFixture(false);
    expect(status, output).toBe(0);
    expect(output).toMatch(/Skipped 2 test\(s\)/);
    expect(output).toContain('missing-program.fixture.ts: 2 skipped — agent-lab-no-such-program is missing: apt-get install -y agent-lab-no-such-package');
  });

  it('with CI=true: the run fails, naming the missing program', () => {
    const { status, output } = runFixture(true);
    expect(status, output).toBe(1);
    expect(output).toContain('PrerequisiteMissingError');
    expect(output).toContain('agent-lab-no-such-program is missing');
  });
});
