import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { readFile, readdir, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { marked, type Tokens } from 'marked';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postSse } from '../support/sse-client.js';
import { CLI_ENTRY, REPO_ROOT, startLab, type RunningLab } from '../support/start-lab.js';

/**
 * docs/runbook.md, run as an on-call engineer would: every block fenced `bash runnable` runs, in
 * order, with the `bash runbook-setup` block before it, against a live lab holding real data
 * (chats with the OpenRouter-format test server, a scheduled-style backup, an injection attempt
 * in the log) and a planted incident: a torn session file and a lost one. The data-corruption
 * steps must contain and repair it.
 */

interface RunbookBlock {
  section: string;
  code: string;
}

function runbookBlocks(markdown: string): { setup: string; blocks: RunbookBlock[] } {
  let section = '';
  let setup = '';
  const blocks: RunbookBlock[] = [];
  for (const token of marked.lexer(markdown)) {
    if (token.type === 'heading' && (token as Tokens.Heading).depth === 2) section = (token as Tokens.Heading).text;
    if (token.type !== 'code') continue;
    const code = token as Tokens.Code;
    if (code.lang === 'bash runbook-setup') setup = code.text;
    if (code.lang === 'bash runnable') blocks.push({ section, code: code.text });
  }
  return { setup, blocks };
}

const markdown = await readFile(path.join(REPO_ROOT, 'docs', 'runbook.md'), 'utf8');
const { setup, blocks } = runbookBlocks(markdown);
const INCIDENTS = ['Application Down', 'High Error Rate', 'Data Corruption', 'Streaming Failure', 'Performance Degradation', 'Security Incident', 'Deployment Failure'];

function run(command: string, options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', command], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

/** The lab runs with a token, as a server reachable by others must: the runbook's API calls carry it, monitoring needs none. */
const TOKEN = 'runbook-drill-token-0123456789';

describe('docs/runbook.md against a live lab', () => {
  let lab: RunningLab;
  let env: NodeJS.ProcessEnv;
  const damaged = 'torn-by-a-crash';
  let lostSession = '';

  beforeAll(async () => {
    lab = await startLab({ env: { LAB_AUTH_TOKEN: TOKEN } });
    const cli = (args: string[]) => run(`node ${JSON.stringify(CLI_ENTRY)} ${args.join(' ')}`, { cwd: lab.cwd, env: { ...process.env, ...labEnv() } });
    const labEnv = () => ({
      LAB_URL: lab.url,
      LAB_DIR: lab.cwd,
      LAB_CHECKOUT: REPO_ROOT,
      PORT: String(lab.port),
      DATA_DIR: lab.dataDir,
      LOG_FILE: lab.logFile,
      ACCESS_LOG: lab.accessLog,
      BACKUP_DIR: path.join(lab.cwd, 'backups'),
      READ_ONLY_FLAG: path.join(lab.cwd, 'READ_ONLY_MODE'),
      MAINTENANCE_FLAG: path.join(lab.cwd, 'MAINTENANCE_MODE'),
      BACKUP_INTERVAL_HOURS: '0',
      LAB_AUTH_TOKEN: TOKEN,
    });
    env = { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8', ...labEnv() };

    // real data: an agent and a few runs through the lab, one of them failing at the provider
    const created = await fetch(`${lab.url}/api/agents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ name: 'support-bot', model: 'openai/gpt-4o-mini', system_prompt: 'Be brief.' }),
    });
    const agentId = ((await created.json()) as { id: string }).id;
    for (const message of ['Hello', 'Add them [[scenario:tool-add a=2 b=3]]', 'x [[scenario:error status=500 message="upstream fell over"]]']) {
      await postSse({ url: `${lab.url}/api/chat`, body: { agent_id: agentId, message, tags: { experiment_id: 'drill' } }, headers: { authorization: `Bearer ${TOKEN}` } });
    }
    // an attack in the log, for the security section
    await fetch(`${lab.url}/api/sessions/${encodeURIComponent('<script>alert(1)</script>')}`);
    // the scheduled backup that exists on any real server
    const backup = await cli(['backup']);
    expect(backup.code, backup.output).toBe(0);
    // the incident: one session file torn, one lost
    const sessionsDir = path.join(lab.dataDir, 'sessions');
    const sessions = (await readdir(sessionsDir)).filter((file) => file.endsWith('.json')).sort();
    expect(sessions.length).toBeGreaterThanOrEqual(3);
    lostSession = sessions[0]!;
    await unlink(path.join(sessionsDir, lostSession));
    await writeFile(path.join(sessionsDir, `${damaged}.json`), '{"id": "torn-by-a-crash", "transcript": [{"role": "user", "con');
  }, 120_000);

  afterAll(async () => {
    await lab?.close();
  });

  it('has a setup block and runnable commands for every incident', () => {
    expect(setup).toContain('LAB_URL');
    for (const incident of INCIDENTS) {
      expect(blocks.filter((block) => block.section.startsWith(incident)).length, incident).toBeGreaterThan(0);
    }
  });

  for (const [index, block] of blocks.entries()) {
    const firstLine = block.code.split('\n').find((line) => line.trim() !== '' && !line.startsWith('#')) ?? '';
    it(`${block.section} #${index + 1}: ${firstLine.slice(0, 80)}`, async () => {
      const result = await run(`set -eo pipefail\n${setup}\n${block.code}`, { cwd: lab.cwd, env });
      expect(result.code, `${block.code}\n--- output ---\n${result.output}`).toBe(0);
    }, 120_000);
  }

  it('the drill left the lab repaired: damage quarantined, the lost session restored, flags lifted', async () => {
    const sessionsDir = path.join(lab.dataDir, 'sessions');
    expect(existsSync(path.join(sessionsDir, `${damaged}.json`))).toBe(false);
    expect(existsSync(path.join(sessionsDir, lostSession))).toBe(true);
    const quarantined = readdirSync(path.join(lab.dataDir, 'quarantined'), { recursive: true }).map(String);
    expect(quarantined.some((file) => file.endsWith(`${damaged}.json`))).toBe(true);
    expect(existsSync(path.join(lab.cwd, 'READ_ONLY_MODE'))).toBe(false);
    expect(existsSync(path.join(lab.cwd, 'MAINTENANCE_MODE'))).toBe(false);
    expect(readdirSync(lab.cwd).some((file) => /^evidence-\d{8}_\d{6}\.tar\.gz$/.test(file))).toBe(true);
    const health = await fetch(`${lab.url}/health`);
    expect(((await health.json()) as { status: string }).status).toBe('healthy');
  });
});
