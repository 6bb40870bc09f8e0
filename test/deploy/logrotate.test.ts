import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type RunningLab } from '../support/start-lab.js';
import { missing } from '../support/prerequisites.js';
import { deployFile, findProgram, programPrerequisite, readDeployFile, run, runAsync, tempDir, waitFor } from './support.js';

const logrotate = findProgram('logrotate');
const logrotateMissing = missing(programPrerequisite('logrotate', 'logrotate'));

const SHIPPED_PATHS = '/var/log/agent-lab/app.log /var/log/agent-lab/access.log';
const SHIPPED_POSTROTATE = 'systemctl reload agent-lab.service >/dev/null 2>&1 || true';

/**
 * The shipped config pointed at a test lab's files, its postrotate signalling the lab's pid
 * directly (what `systemctl reload` does through ExecReload); everything else verbatim.
 */
function adaptLogrotateConf(options: { appLog: string; accessLog: string; pid: number }): string {
  const shipped = readDeployFile('logrotate', 'agent-lab');
  expect(shipped).toContain(SHIPPED_PATHS);
  expect(shipped).toContain(SHIPPED_POSTROTATE);
  return shipped.replace(SHIPPED_PATHS, `${options.appLog} ${options.accessLog}`).replace(SHIPPED_POSTROTATE, `kill -HUP ${options.pid}`);
}

/** Every line of a log and its rotated generations (`.1`, `.2.gz`, ...). */
function allGenerations(file: string): { files: string[]; lines: string[] } {
  const directory = path.dirname(file);
  const base = path.basename(file);
  const files = readdirSync(directory)
    .filter((name) => name === base || name.startsWith(`${base}.`))
    .map((name) => path.join(directory, name));
  const lines: string[] = [];
  for (const generation of files) {
    const raw = readFileSync(generation);
    const text = generation.endsWith('.gz') ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
    lines.push(...text.split('\n').filter((line) => line !== ''));
  }
  return { files: files.map((name) => path.basename(name)).sort(), lines };
}

describe.skipIf(logrotateMissing)('deploy/logrotate/agent-lab', () => {
  it('passes logrotate -d as shipped', async () => {
    const scratch = await tempDir('agent-lab-logrotate-d-');
    try {
      const result = run(logrotate!, ['-d', '-s', path.join(scratch, 'state'), deployFile('logrotate', 'agent-lab')]);
      const output = `${result.stdout}${result.stderr}`;
      expect(result.status, output).toBe(0);
      expect(output).toContain(`rotating pattern: ${SHIPPED_PATHS}`);
      expect(output).not.toMatch(/^error:/m);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });

  describe('rotating a running lab', () => {
    let lab: RunningLab;
    let scratch: string;
    beforeAll(async () => {
      lab = await startLab();
      scratch = await tempDir('agent-lab-logrotate-');
    });
    afterAll(async () => {
      await lab?.close();
      if (scratch) await rm(scratch, { recursive: true, force: true });
    });

    it('rotates app.log and access.log twice while requests keep coming, and loses no line', async () => {
      const conf = path.join(scratch, 'agent-lab');
      await writeFile(conf, adaptLogrotateConf({ appLog: lab.logFile, accessLog: lab.accessLog, pid: lab.child.pid! }), { mode: 0o644 });
      const state = path.join(scratch, 'state');
      const marker = randomUUID().slice(0, 8);

      let sent = 0;
      let stop = false;
      const traffic = (async () => {
        while (!stop) {
          const response = await fetch(`${lab.url}/health?rotation=${marker}-${sent}`);
          await response.arrayBuffer();
          sent += 1;
        }
      })();
      const rotate = async () => {
        const result = await runAsync(logrotate!, ['-f', '-v', '-s', state, conf], { timeoutMs: 20_000 });
        expect(result.status, `${result.stdout}${result.stderr}`).toBe(0);
      };
      await waitFor(() => (sent >= 100 ? true : undefined), { what: '100 requests', timeoutMs: 15_000 });
      await rotate();
      const afterFirst = sent;
      await waitFor(() => (sent >= afterFirst + 100 ? true : undefined), { what: '100 more requests', timeoutMs: 15_000 });
      await rotate();
      const afterSecond = sent;
      await waitFor(() => (sent >= afterSecond + 100 ? true : undefined), { what: '100 more requests', timeoutMs: 15_000 });
      stop = true;
      await traffic;

      // every request is in exactly one access-log line, across the live file and its rotations
      const pattern = new RegExp(`rotation=${marker}-(\\d+)`);
      const counted = await waitFor(
        () => {
          const { lines } = allGenerations(lab.accessLog);
          const seen = lines.map((line) => pattern.exec(line)?.[1]).filter((value): value is string => value !== undefined);
          return seen.length >= sent ? { lines, seen } : undefined;
        },
        { what: `${sent} access-log lines`, timeoutMs: 5000 },
      );
      expect(counted.seen).toHaveLength(sent);
      expect(new Set(counted.seen).size).toBe(sent);
      const requestIds = counted.lines.filter((line) => pattern.test(line)).map((line) => line.split(' ').at(-1));
      expect(new Set(requestIds).size).toBe(sent);

      // two rotations: the live file, .1 (delaycompress) and .2.gz, for both logs
      const access = allGenerations(lab.accessLog);
      expect(access.files).toEqual(['access.log', 'access.log.1', 'access.log.2.gz']);
      const app = allGenerations(lab.logFile);
      expect(app.files).toEqual(['app.log', 'app.log.1', 'app.log.2.gz']);
      // the lab reopened on each SIGHUP: the live app.log was created by the lab after the second
      // rotation (nocreate) and says so; the start-up line survives in the oldest generation
      const live = readFileSync(lab.logFile, 'utf8');
      expect(live).toMatch(/INFO Log files reopened/);
      expect(app.lines.filter((line) => /INFO Log files reopened/.test(line)).length).toBeGreaterThanOrEqual(2);
      expect(app.lines.some((line) => /Agent Lab is listening/.test(line))).toBe(true);
      expect(readFileSync(`${lab.accessLog}.1`, 'utf8').length).toBeGreaterThan(0);
      expect(existsSync(`${lab.logFile}.1`)).toBe(true);
      expect(lab.child.exitCode).toBeNull();
    });
  });
});
