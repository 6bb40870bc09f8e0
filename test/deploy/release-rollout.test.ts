import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { chmod, cp, mkdir, rm, unlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOpenRouterServer } from '../support/openrouter-server.js';
import { CLI_ENTRY, REPO_ROOT, SERVER_ENTRY, freePort } from '../support/start-lab.js';
import { api, postSse } from '../support/sse-client.js';
import { deployFile, isRoot, nodeForOtherUsers, runAsync, tempDir } from './support.js';

/**
 * The release workflow end to end, without systemd: `agent-lab release` builds release
 * directories; deploy/rollout.sh and deploy/rollback.sh switch between them with a restart
 * command standing in for `systemctl restart` (stop with SIGTERM, the unit's preflight,
 * start in the background), and the real `agent-lab smoke` decides.
 */

// DEPLOY_TEST_CLI: another entry for the CLI (before `release` is registered in src/cli/main.ts)
const CLI = process.env.DEPLOY_TEST_CLI ?? CLI_ENTRY;
const USER = os.userInfo().username;

let home: string;
let workdir: string;
let envFile: string;
let pidFile: string;
let labOutput: string;
let port: number;
let url: string;
let provider: Awaited<ReturnType<typeof startOpenRouterServer>>;
let releaseA: string;

function deployEnv(overrides: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? home,
    AGENT_LAB_HOME: home,
    AGENT_LAB_URL: url,
    AGENT_LAB_ENV_FILE: envFile,
    AGENT_LAB_WORKDIR: workdir,
    AGENT_LAB_USER: USER,
    AGENT_LAB_HEALTH_TIMEOUT: '20',
    AGENT_LAB_RESTART_CMD: path.join(home, 'restart.sh'),
    AGENT_LAB_ALIVE_CMD: path.join(home, 'alive.sh'),
    AGENT_LAB_LOGS_CMD: `tail -n 30 ${labOutput}`,
    ...overrides,
  };
}

const rollout = (release: string, overrides: Record<string, string> = {}) =>
  runAsync('bash', [deployFile('rollout.sh'), release], { env: deployEnv(overrides), timeoutMs: 90_000 });
const rollback = (overrides: Record<string, string> = {}) => runAsync('bash', [deployFile('rollback.sh')], { env: deployEnv(overrides), timeoutMs: 90_000 });
const current = () => readlinkSync(path.join(home, 'current'));
const previous = () => readlinkSync(path.join(home, 'previous'));
const labPid = () => Number(readFileSync(pidFile, 'utf8').trim());

/** Every data file's checksum (lock files aside), to show a rollout leaves data alone. */
function dataFingerprint(): Map<string, string> {
  const result = new Map<string, string>();
  const walk = (directory: string) => {
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      const full = path.join(directory, entry.name);
      if (entry.name.startsWith('.') || entry.name.endsWith('.lock')) continue;
      if (entry.isDirectory()) walk(full);
      else result.set(path.relative(workdir, full), createHash('sha256').update(readFileSync(full)).digest('hex'));
    }
  };
  walk(path.join(workdir, 'data'));
  return result;
}

/** Sessions and runs.csv byte for byte; agents by id (each smoke test adds and removes one). */
async function expectDataUntouched(before: Map<string, string>) {
  const after = dataFingerprint();
  for (const [file, hash] of before) {
    if (file.endsWith('agents.json')) continue;
    expect(after.get(file), file).toBe(hash);
  }
  expect(await agentIds()).toEqual(agentsBefore);
}
const agentIds = async () => ((await api(`${url}/api/agents`)).json.agents as Array<{ id: string }>).map((entry) => entry.id).sort();
let agentsBefore: string[] = [];

/** A copy of a release under a new name (hard links: fast, and a release is never modified in place). */
async function copyRelease(source: string, name: string): Promise<string> {
  const target = path.join(home, 'releases', name);
  const result = await runAsync('cp', ['-al', source, target]);
  expect(result.status, result.stderr).toBe(0);
  return target;
}

beforeAll(async () => {
  if (!existsSync(SERVER_ENTRY)) throw new Error(`${SERVER_ENTRY} is missing: run \`npm run build\` first.`);
  home = await tempDir('agent-lab-home-');
  workdir = path.join(home, 'var');
  await mkdir(path.join(workdir, 'data'), { recursive: true });
  await chmod(workdir, 0o755);
  provider = await startOpenRouterServer();
  port = await freePort();
  url = `http://127.0.0.1:${port}`;
  envFile = path.join(home, 'agent-lab.env');
  pidFile = path.join(home, 'lab.pid');
  labOutput = path.join(home, 'lab.out');
  await writeFile(
    envFile,
    [
      'HOST=127.0.0.1',
      `PORT=${port}`,
      `DATA_DIR=${workdir}/data`,
      `BACKUP_DIR=${workdir}/backups`,
      'BACKUP_INTERVAL_HOURS=0',
      `LOG_FILE=${workdir}/logs/app.log`,
      `ACCESS_LOG=${workdir}/logs/access.log`,
      `OPENROUTER_BASE_URL=${provider.url}`,
      'OPENROUTER_API_KEY=sk-or-test-key-0123456789',
      'RATE_LIMIT_PER_MINUTE=100000',
      '',
    ].join('\n'),
    { mode: 0o644 },
  );
  // stands in for `systemctl restart agent-lab`: SIGTERM and wait, ExecStartPre, ExecStart
  await writeFile(
    path.join(home, 'restart.sh'),
    `#!/bin/sh
set -eu
if [ -f '${pidFile}' ]; then
  pid=$(cat '${pidFile}')
  kill -TERM "$pid" 2>/dev/null || true
  i=0
  while [ -d /proc/$pid ] && ! grep -q '^State:[[:space:]]*Z' /proc/$pid/status 2>/dev/null; do
    i=$((i + 1)); if [ $i -gt 150 ]; then kill -KILL "$pid" 2>/dev/null || true; break; fi
    sleep 0.1
  done
  rm -f '${pidFile}'
fi
cd '${workdir}'
set -a; . '${envFile}'; set +a
'${process.execPath}' '${home}/current/deploy/preflight.mjs' --environment-file '${envFile}'
nohup '${process.execPath}' '${home}/current/dist/server/main.js' </dev/null >>'${labOutput}' 2>&1 &
echo $! >'${pidFile}'
`,
    { mode: 0o755 },
  );
  await writeFile(
    path.join(home, 'alive.sh'),
    `#!/bin/sh
pid=$(cat '${pidFile}' 2>/dev/null) || exit 1
[ -d /proc/$pid ] && ! grep -q '^State:[[:space:]]*Z' /proc/$pid/status
`,
    { mode: 0o755 },
  );
}, 60_000);

afterAll(async () => {
  if (pidFile && existsSync(pidFile)) {
    try {
      process.kill(labPid(), 'SIGTERM');
    } catch {
      // already gone
    }
  }
  await provider?.close();
  if (home) await rm(home, { recursive: true, force: true });
});

describe('agent-lab release', () => {
  it('builds a versioned release directory with the built app and only production dependencies', async () => {
    const result = await runAsync(process.execPath, [CLI, 'release', '--into', path.join(home, 'releases'), '--json'], { timeoutMs: 120_000 });
    expect(result.stderr, 'the release command is registered in src/cli/main.ts').not.toMatch(/unknown command/);
    expect(result.status, result.stderr).toBe(0);
    const built = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { name: string; path: string; version: string };
    const version = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    expect(built.name).toMatch(new RegExp(`^${version.replaceAll('.', '\\.')}-\\d{14}$`));
    expect(built.path).toBe(path.join(home, 'releases', built.name));
    releaseA = built.path;
    for (const file of ['package.json', 'package-lock.json', 'dist/server/main.js', 'dist/cli/main.js', 'web/dist/index.html', 'bin/agent-lab.js', 'deploy/rollout.sh', 'deploy/preflight.mjs', 'release.json', 'node_modules/fastify/package.json']) {
      expect(existsSync(path.join(releaseA, file)), file).toBe(true);
    }
    if (existsSync(path.join(REPO_ROOT, 'models'))) expect(existsSync(path.join(releaseA, 'models'))).toBe(true);
    // every package the lockfile marks dev-only stays out (vitest, vite, playwright-core, ...)
    const lock = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
    const devOnly = Object.entries(lock.packages).filter(([key, entry]) => key.startsWith('node_modules/') && entry.dev).map(([key]) => key);
    expect(devOnly).toContain('node_modules/vitest');
    expect(devOnly.filter((key) => existsSync(path.join(releaseA, key)))).toEqual([]);
    expect(existsSync(path.join(releaseA, '.env'))).toBe(false);
    expect(readdirSync(path.join(home, 'releases')).filter((name) => name.startsWith('.'))).toEqual([]);
    const meta = JSON.parse(readFileSync(path.join(releaseA, 'release.json'), 'utf8')) as { name: string; version: string };
    expect(meta).toMatchObject({ name: built.name, version });
  }, 120_000);
});

describe('deploy/rollout.sh and deploy/rollback.sh', () => {
  let dataBefore: Map<string, string>;

  it('rolls out a good release: current switched, the lab restarted, the smoke test passed', async () => {
    const result = await rollout(releaseA);
    expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stdout).toContain('running the smoke test');
    expect(result.stdout).toMatch(/done: .* is live/);
    expect(current()).toBe(releaseA);
    expect((await api(`${url}/health`)).status).toBe(200);

    // some data for the next rollouts to leave alone
    const agent = await api(`${url}/api/agents`, { body: { name: 'keeper', model: 'openai/gpt-4o-mini', system_prompt: 'Be brief.' } });
    expect(agent.status).toBe(201);
    const chat = await postSse({ url: `${url}/api/chat`, body: { agent_id: agent.json.id, message: 'remember me' } });
    expect(chat.events.at(-1)?.event).toBe('run-end');
    dataBefore = dataFingerprint();
    expect([...dataBefore.keys()].some((file) => /sessions\/.+\.json$/.test(file))).toBe(true);
    expect(dataBefore.has(path.join('data', 'runs.csv'))).toBe(true);
    agentsBefore = await agentIds();
  }, 60_000);

  it("runs the live release's CLI with the service's settings (deploy/agent-lab-cli.sh, /usr/local/bin/agent-lab)", async () => {
    const result = await runAsync('sh', [deployFile('agent-lab-cli.sh'), 'check'], { env: deployEnv(), timeoutMs: 30_000 });
    expect(result.status, `${result.stdout}${result.stderr}`).toBe(0);
    expect(result.stdout).toContain('Valid sessions: 1, Invalid: 0');
  });

  it('rolls a bad release back when it fails its smoke test; the data is untouched', async () => {
    const bad = await copyRelease(releaseA, '0.0.0-bad-20000101000000');
    // starts and answers /health, but every API call fails: only the smoke test can tell
    const main = path.join(bad, 'dist', 'server', 'main.js');
    await unlink(main);
    await writeFile(
      main,
      `import http from 'node:http';
http.createServer((request, response) => {
  const healthy = request.url.startsWith('/health');
  response.writeHead(healthy ? 200 : 500, { 'content-type': 'application/json' });
  response.end(healthy ? '{"status":"healthy"}' : '{"error":{"code":"internal:broken","message":"broken release"}}');
}).listen(Number(process.env.PORT), process.env.HOST);
process.on('SIGTERM', () => process.exit(0));
`,
    );
    const pidBefore = labPid();
    const result = await rollout(bad);
    const output = `${result.stdout}\n${result.stderr}`;
    expect(result.status, output).toBe(1);
    expect(result.stderr).toContain('smoke test failed');
    expect(result.stderr).toMatch(/create agent/);
    expect(result.stderr).toContain(`rolled back: ${path.basename(releaseA)} is live again`);
    expect(current()).toBe(releaseA);
    expect(labPid()).not.toBe(pidBefore);
    expect((await api(`${url}/api/agents`)).status).toBe(200);
    await expectDataUntouched(dataBefore);
    expect(readFileSync(path.join(home, 'deploy.log'), 'utf8')).toMatch(/rollout 0\.0\.0-bad-20000101000000 failed, rolled back to /);
  }, 90_000);

  it('returns to the previous release on demand with rollback.sh', async () => {
    const releaseB = await copyRelease(releaseA, '0.1.1-20000101000001');
    const deployed = await rollout(releaseB);
    expect(deployed.status, `${deployed.stdout}\n${deployed.stderr}`).toBe(0);
    expect(current()).toBe(releaseB);
    expect(previous()).toBe(releaseA);

    // keep no release beyond current and previous: the bad one goes
    const result = await rollback({ AGENT_LAB_KEEP_RELEASES: '0' });
    expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(readdirSync(path.join(home, 'releases')).sort()).toEqual([path.basename(releaseA), path.basename(releaseB)].sort());
    expect(result.stdout).toMatch(/done: .* is live/);
    expect(current()).toBe(releaseA);
    // a second rollback would undo the first
    expect(previous()).toBe(releaseB);
    expect((await api(`${url}/api/agents`)).status).toBe(200);
    await expectDataUntouched(dataBefore);
  }, 90_000);

  describe('bad input: the rollout stops with one clear line and changes nothing', () => {
    it('a missing environment file', async () => {
      const pidBefore = labPid();
      const missing = path.join(home, 'missing.env');
      const result = await rollout(releaseA, { AGENT_LAB_ENV_FILE: missing });
      expect(result.status).toBe(2);
      expect(result.stderr.trim()).toBe(`rollout: environment file ${missing} is missing (create it from deploy/agent-lab.env.example); nothing changed`);
      expect(current()).toBe(releaseA);
      expect(labPid()).toBe(pidBefore);
    });

    it('a data directory the service user cannot write', async () => {
      const pidBefore = labPid();
      const dataDir = path.join(workdir, 'data');
      let overrides: Record<string, string> = {};
      if (isRoot) {
        // The service user runs the preflight with NODE, which must be a node it can reach.
        overrides = { AGENT_LAB_USER: 'nobody', NODE: await nodeForOtherUsers(home) };
      } else {
        await chmod(dataDir, 0o555);
      }
      const target = (await runAsync('readlink', ['-f', previous()])).stdout.trim();
      const result = await rollout(target, overrides);
      if (!isRoot) await chmod(dataDir, 0o755);
      expect(result.status, result.stderr).toBe(2);
      const lines = result.stderr.trim().split('\n');
      expect(lines[0]).toMatch(new RegExp(`^agent-lab preflight: data directory \\(DATA_DIR\\) ${dataDir} is not writable by user \\S+ \\(EACCES\\)$`));
      expect(lines.at(-1)).toBe(`rollout: preflight failed for ${path.basename(target)}; nothing changed`);
      expect(current()).toBe(releaseA);
      expect(labPid()).toBe(pidBefore);
      expect(statSync(dataDir).isDirectory()).toBe(true);
    });

    it('a port already taken: the restart fails with the preflight line, and the rollout says the lab is down', async () => {
      // the lab stops (as for maintenance) and something else takes its port
      process.kill(labPid(), 'SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 50));
      const squatter: Server = createServer();
      await new Promise<void>((resolve, reject) => {
        const attempt = (tries: number) => {
          squatter.once('error', (error) => (tries > 100 ? reject(error) : setTimeout(() => attempt(tries + 1), 100)));
          squatter.listen(port, '127.0.0.1', () => resolve());
        };
        attempt(0);
      });
      try {
        const target = (await runAsync('readlink', ['-f', previous()])).stdout.trim();
        const result = await rollout(target);
        expect(result.status, result.stderr).toBe(3);
        expect(result.stderr).toContain(`agent-lab preflight: port ${port} on 127.0.0.1 is already in use`);
        expect(result.stderr).toContain('restart failed');
        expect(result.stderr).toContain('the lab is DOWN');
        expect(current()).toBe(releaseA);
      } finally {
        await new Promise((resolve) => squatter.close(resolve));
      }
    }, 60_000);
  });
});
