import { spawn } from 'node:child_process';
import { accessSync, chmodSync, constants, existsSync } from 'node:fs';
import { cp, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { REPO_ROOT, SERVER_ENTRY, freePort } from '../support/start-lab.js';
import { missing } from '../support/prerequisites.js';
import { deployFile, findProgram, isRoot, nodeForOtherUsers, programPrerequisite, readDeployFile, run, tempDir } from './support.js';

const systemdAnalyze = findProgram('systemd-analyze');
const systemdAnalyzeMissing = missing(programPrerequisite('systemd-analyze', 'systemd'));

/** `Key=value` lines of one section of a unit file (repeated keys kept in order). */
function unitSection(text: string, section: string): Array<[string, string]> {
  const entries: Array<[string, string]> = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#') || line === '') continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      current = header[1]!;
      continue;
    }
    const match = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (match && current === section) entries.push([match[1]!, match[2]!]);
  }
  return entries;
}
const values = (entries: Array<[string, string]>, key: string) => entries.filter(([name]) => name === key).map(([, value]) => value);
const single = (entries: Array<[string, string]>, key: string) => values(entries, key).at(-1);

const unitText = readDeployFile('agent-lab.service');
const service = unitSection(unitText, 'Service');
const unitEnvironment = Object.fromEntries(
  values(service, 'Environment').map((assignment) => {
    const [key, ...rest] = assignment.split('=');
    return [key!, rest.join('=')];
  }),
);

describe.skipIf(systemdAnalyzeMissing)('deploy/agent-lab.service: systemd-analyze verify', () => {
  it('verifies without a warning', async () => {
    let unit = deployFile('agent-lab.service');
    let scratch: string | undefined;
    if (!existsSync('/usr/bin/node')) {
      // the unit names Debian's /usr/bin/node (NodeSource installs it there); elsewhere, this node
      scratch = await tempDir('agent-lab-unit-');
      unit = path.join(scratch, 'agent-lab.service');
      await writeFile(unit, unitText.replaceAll('/usr/bin/node', process.execPath));
    }
    try {
      const result = run(systemdAnalyze!, ['verify', unit]);
      const output = `${result.stdout}${result.stderr}`;
      expect(result.status, output).toBe(0);
      expect(output.split('\n').filter((line) => line.includes('agent-lab.service'))).toEqual([]);
    } finally {
      if (scratch) await rm(scratch, { recursive: true, force: true });
    }
  });
});

describe('deploy/agent-lab.service: what the playbooks and the lab rely on', () => {
  it('runs the built server as a dedicated user from the data working directory, with the environment file', () => {
    expect(single(service, 'User')).toBe('agent-lab');
    expect(single(service, 'WorkingDirectory')).toBe('/var/lib/agent-lab');
    expect(single(service, 'EnvironmentFile')).toBe('-/etc/agent-lab/agent-lab.env');
    expect(single(service, 'ExecStart')).toBe('/usr/bin/node /opt/agent-lab/current/dist/server/main.js');
    expect(single(service, 'ExecStartPre')).toBe('/usr/bin/node /opt/agent-lab/current/deploy/preflight.mjs --environment-file /etc/agent-lab/agent-lab.env');
    expect(unitEnvironment.LOG_FILE).toBe('/var/log/agent-lab/app.log');
    expect(unitEnvironment.TRUST_PROXY).toBe('127.0.0.1');
  });

  it('restarts on failure with a start limit, and reloads (log reopen) with SIGHUP', () => {
    expect(single(service, 'Restart')).toBe('on-failure');
    const unit = unitSection(unitText, 'Unit');
    expect(Number(single(unit, 'StartLimitBurst'))).toBeGreaterThan(0);
    expect(Number(single(unit, 'StartLimitIntervalSec'))).toBeGreaterThan(0);
    expect(single(service, 'ExecReload')).toBe('/bin/kill -HUP $MAINPID');
  });

  it("gives the lab's graceful stop more time than SHUTDOWN_TIMEOUT_SECONDS before SIGKILL", () => {
    const shutdown = loadConfig({ env: unitEnvironment, cwd: '/var/lib/agent-lab', dotenvFile: false }).shutdownTimeoutSeconds;
    expect(single(service, 'KillSignal')).toBe('SIGTERM');
    expect(Number(single(service, 'TimeoutStopSec'))).toBeGreaterThan(shutdown + 5);
  });

  it('is hardened, and can write exactly the data, log and backup directories the lab is configured with', () => {
    expect(single(service, 'NoNewPrivileges')).toBe('yes');
    expect(single(service, 'ProtectSystem')).toBe('strict');
    expect(single(service, 'PrivateTmp')).toBe('yes');
    const writable = values(service, 'ReadWritePaths').flatMap((value) => value.split(/\s+/)).map((entry) => entry.replace(/^-/, ''));
    const config = loadConfig({ env: unitEnvironment, cwd: '/var/lib/agent-lab', dotenvFile: false });
    const covered = (target: string) => writable.some((directory) => target === directory || target.startsWith(`${directory}/`));
    for (const target of [config.dataDir, path.dirname(config.logFile), path.dirname(config.accessLog), config.backupDir, config.readOnlyFlag, config.maintenanceFlag]) {
      expect(covered(target), `${target} is writable`).toBe(true);
    }
  });
});

/** True when every directory above `file` lets other users through (o+x), and the file is o+r or o+x. */
/**
 * What the unit's ExecStartPre runs, laid out as a release in a world-readable temp directory:
 * the service user (here `nobody`) must read it, and a checkout under /root (mode 700) is not
 * readable by anyone else. preflight.mjs loads dist/config/config.js and its two dependencies.
 */
async function readableRelease(scratch: string): Promise<{ preflight: string; node: string }> {
  const release = path.join(scratch, 'release');
  for (const part of ['package.json', 'deploy/preflight.mjs', 'dist/config', 'node_modules/dotenv', 'node_modules/zod']) {
    await cp(path.join(REPO_ROOT, part), path.join(release, part), { recursive: true });
  }
  const node = await nodeForOtherUsers(scratch);
  await chmodTree(release);
  return { preflight: path.join(release, 'deploy', 'preflight.mjs'), node };
}

async function chmodTree(root: string): Promise<void> {
  chmodSync(root, 0o755);
  for (const entry of await readdir(root, { withFileTypes: true, recursive: true })) {
    chmodSync(path.join(entry.parentPath, entry.name), entry.isDirectory() ? 0o755 : 0o644);
  }
}

describe('bad input: the service (its preflight, then the lab) fails with one clear line', () => {
  let scratch: string;
  let envFile: string;
  let port: number;
  let preflight: string;
  let node: string;

  beforeAll(async () => {
    if (!existsSync(SERVER_ENTRY)) throw new Error(`${SERVER_ENTRY} is missing: run \`npm run build\` first.`);
    scratch = await tempDir('agent-lab-preflight-');
    ({ preflight, node } = await readableRelease(scratch));
    accessSync(preflight, constants.R_OK);
    port = await freePort();
    envFile = path.join(scratch, 'agent-lab.env');
    await writeFile(envFile, envText({}), { mode: 0o644 });
  });
  afterAll(async () => {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  function envText(overrides: Record<string, string>): string {
    const settings: Record<string, string> = {
      HOST: '127.0.0.1',
      PORT: String(port),
      DATA_DIR: path.join(scratch, 'data'),
      BACKUP_DIR: path.join(scratch, 'backups'),
      LOG_FILE: path.join(scratch, 'logs', 'app.log'),
      ACCESS_LOG: path.join(scratch, 'logs', 'access.log'),
      OPENROUTER_API_KEY: '',
      ...overrides,
    };
    return `# test\n${Object.entries(settings).map(([key, value]) => `${key}=${value}`).join('\n')}\n`;
  }

  /** Like ExecStartPre: only PATH from outside, the rest from the environment file. */
  function runPreflight(options: { envFile?: string; uid?: number; args?: string[] } = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(node, [preflight, '--environment-file', options.envFile ?? envFile, ...(options.args ?? [])], {
        cwd: scratch,
        env: { PATH: process.env.PATH ?? '' },
        stdio: ['ignore', 'pipe', 'pipe'],
        ...(options.uid !== undefined ? { uid: options.uid, gid: options.uid } : {}),
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.once('error', reject);
      child.once('close', (status) => resolve({ status, stdout, stderr }));
    });
  }

  const problemLines = (stderr: string) => stderr.split('\n').filter((line) => line.trim() !== '');

  it('passes on a good configuration, creating the directories', async () => {
    const result = await runPreflight();
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^agent-lab preflight: ok/);
    expect(existsSync(path.join(scratch, 'data'))).toBe(true);
  });

  it('a missing environment file', async () => {
    const missing = path.join(scratch, 'nope.env');
    const result = await runPreflight({ envFile: missing });
    expect(result.status).toBe(1);
    expect(problemLines(result.stderr)).toEqual([`agent-lab preflight: environment file ${missing} is missing (create it from deploy/agent-lab.env.example, mode 0640, group agent-lab)`]);
  });

  it('a data directory the service user cannot write', async () => {
    const locked = path.join(scratch, 'locked');
    await mkdir(path.join(locked, 'data'), { recursive: true });
    const lockedEnv = path.join(scratch, 'locked.env');
    await writeFile(lockedEnv, envText({ DATA_DIR: path.join(locked, 'data'), BACKUP_DIR: path.join(locked, 'data', 'backups') }), { mode: 0o644 });
    let result;
    if (isRoot) {
      // root writes anywhere: run as nobody, as the unit runs as its own user
      chmodSync(path.join(locked, 'data'), 0o755);
      result = await runPreflight({ envFile: lockedEnv, uid: 65534, args: ['--skip-port'] });
    } else {
      chmodSync(path.join(locked, 'data'), 0o555);
      result = await runPreflight({ envFile: lockedEnv, args: ['--skip-port'] });
    }
    chmodSync(path.join(locked, 'data'), 0o755);
    expect(result.status).toBe(1);
    const lines = problemLines(result.stderr);
    expect(lines[0]).toMatch(new RegExp(`^agent-lab preflight: data directory \\(DATA_DIR\\) ${path.join(locked, 'data')} is not writable by user \\S+ \\(EACCES\\)$`));
    expect(lines.every((line) => line.startsWith('agent-lab preflight: '))).toBe(true);
  });

  it('a port already taken', async () => {
    const squatter: Server = createServer();
    await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));
    try {
      const result = await runPreflight();
      expect(result.status).toBe(1);
      expect(problemLines(result.stderr)).toEqual([
        `agent-lab preflight: port ${port} on 127.0.0.1 is already in use by another process (find it: ss -ltnp "sport = :${port}"; or set PORT)`,
      ]);
      // and should the lab be started anyway, it says the same in one line and exits 1
      const lab = run(process.execPath, [SERVER_ENTRY], {
        cwd: scratch,
        env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: String(port), DATA_DIR: path.join(scratch, 'data'), LOG_FILE: path.join(scratch, 'logs', 'app.log'), ACCESS_LOG: path.join(scratch, 'logs', 'access.log'), BACKUP_INTERVAL_HOURS: '0', OPENROUTER_BASE_URL: 'http://127.0.0.1:9/api/v1' },
        timeoutMs: 20_000,
      });
      expect(lab.status).toBe(1);
      expect(lab.stderr).toContain(`cannot listen on 127.0.0.1:${port}: the port is already in use`);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });

  it('an invalid setting, named', async () => {
    const badEnv = path.join(scratch, 'bad.env');
    await writeFile(badEnv, envText({ PORT: 'seventy' }), { mode: 0o644 });
    const result = await runPreflight({ envFile: badEnv });
    expect(result.status).toBe(1);
    const lines = problemLines(result.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^agent-lab preflight: .*PORT/);
  });
});
