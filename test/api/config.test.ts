import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { SERVER_ENTRY } from '../support/start-lab.js';

describe('configuration', () => {
  it('has the documented defaults; an empty API key counts as missing', () => {
    const config = loadConfig({ env: { OPENROUTER_API_KEY: '  ' }, dotenvFile: false, cwd: '/srv/lab' });
    expect(config).toMatchObject({
      port: 7860,
      host: '127.0.0.1',
      openRouterApiKey: undefined,
      openRouterBaseUrl: 'https://openrouter.ai/api/v1',
      dataDir: '/srv/lab/data',
      logFile: '/srv/lab/logs/app.log',
      readOnlyFlag: '/srv/lab/READ_ONLY_MODE',
      streamingEnabled: true,
      breakerFailureThreshold: 5,
      breakerResetSeconds: 60,
      retryMaxAttempts: 3,
      fetchAllowlist: ['example.com', 'api.github.com', 'raw.githubusercontent.com'],
      databasePoolSize: 10,
      databaseStatementTimeoutMs: 30_000,
    });
  });

  it('reads the PostgreSQL pool size and statement timeout (0 = no limit, fractions of a second allowed)', () => {
    expect(loadConfig({ env: { DATABASE_POOL_SIZE: '25', DATABASE_STATEMENT_TIMEOUT_SECONDS: '2.5' }, dotenvFile: false })).toMatchObject({
      databasePoolSize: 25,
      databaseStatementTimeoutMs: 2500,
    });
    expect(loadConfig({ env: { DATABASE_STATEMENT_TIMEOUT_SECONDS: '0' }, dotenvFile: false }).databaseStatementTimeoutMs).toBe(0);
    for (const [env, message] of [
      [{ DATABASE_POOL_SIZE: '0' }, 'DATABASE_POOL_SIZE must be at least 1'],
      [{ DATABASE_POOL_SIZE: '2.5' }, 'DATABASE_POOL_SIZE must be a whole number'],
      [{ DATABASE_POOL_SIZE: 'many' }, 'DATABASE_POOL_SIZE must be a number'],
      [{ DATABASE_STATEMENT_TIMEOUT_SECONDS: '-1' }, 'DATABASE_STATEMENT_TIMEOUT_SECONDS must be 0 (no limit) or more'],
      [{ DATABASE_STATEMENT_TIMEOUT_SECONDS: 'soon' }, 'DATABASE_STATEMENT_TIMEOUT_SECONDS must be a number'],
    ] as const) {
      expect(() => loadConfig({ env, dotenvFile: false }), message).toThrow(message);
    }
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ STREAMING_ENABLED: 'maybe' }, 'STREAMING_ENABLED'],
    [{ OPENROUTER_BASE_URL: 'not a url' }, 'OPENROUTER_BASE_URL'],
    [{ RETRY_MAX_ATTEMPTS: '0' }, 'RETRY_MAX_ATTEMPTS'],
    [{ BREAKER_RESET_SECONDS: '-1' }, 'BREAKER_RESET_SECONDS'],
  ])('%j stops start-up with a message naming %s', (env, variable) => {
    expect(() => loadConfig({ env, dotenvFile: false })).toThrow(new RegExp(variable));
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'agent-lab-config-'));
    const result = spawnSync(process.execPath, [SERVER_ENTRY], { cwd, env: { PATH: process.env.PATH, ...env }, encoding: 'utf8', timeout: 15_000 });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(variable);
  });

  it('splits credentials off OPENROUTER_BASE_URL once, and never prints them in an error', () => {
    const config = loadConfig({ env: { OPENROUTER_BASE_URL: 'https://proxy%2Duser:p%40ss@llm.internal:8443/v1/' }, dotenvFile: false });
    expect(config.openRouterBaseUrl).toBe('https://llm.internal:8443/v1');
    expect(config.openRouterBasicAuth).toBe('proxy-user:p@ss');
    expect(loadConfig({ env: {}, dotenvFile: false }).openRouterBasicAuth).toBeUndefined();
    let message = '';
    try {
      loadConfig({ env: { OPENROUTER_BASE_URL: 'ftp://someone:hunter2-secret@files.internal/v1' }, dotenvFile: false });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('OPENROUTER_BASE_URL must be an http(s) URL');
    expect(message).toContain('ftp://***@files.internal/v1');
    expect(message).not.toContain('hunter2');
  });

  it('takes DATABASE_URL only as a postgres:// or postgresql:// URL, and never prints it in an error', () => {
    expect(loadConfig({ env: {}, dotenvFile: false }).databaseUrl).toBeUndefined();
    expect(loadConfig({ env: { DATABASE_URL: '  ' }, dotenvFile: false }).databaseUrl).toBeUndefined();
    for (const url of ['postgres://lab:secret@db.internal:5432/agent_lab', 'postgresql://lab@127.0.0.1/lab?sslmode=require']) {
      expect(loadConfig({ env: { DATABASE_URL: url }, dotenvFile: false }).databaseUrl).toBe(url);
    }
    for (const url of ['mysql://root:hunter2-secret@db/lab', 'postgres://root:hunter2/secret@db', 'postgres://root:hunter2-secret@db.internal:5432', 'not a url hunter2']) {
      let message = '';
      try {
        loadConfig({ env: { DATABASE_URL: url }, dotenvFile: false });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message, url).toContain('DATABASE_URL must be a PostgreSQL URL');
      expect(message, url).not.toContain('hunter2');
    }
  });

  it('reads .env, and the environment wins over it', () => {
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'agent-lab-dotenv-'));
    writeFileSync(path.join(cwd, '.env'), 'PORT=9000\nHOST=127.0.0.2\n');
    const config = loadConfig({ env: { HOST: '127.0.0.3' }, cwd });
    expect(config.port).toBe(9000);
    expect(config.host).toBe('127.0.0.3');
  });

  it('refuses a non-loopback HOST without LAB_AUTH_TOKEN', () => {
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'agent-lab-bind-'));
    const result = spawnSync(process.execPath, [SERVER_ENTRY], { cwd, env: { PATH: process.env.PATH, HOST: '0.0.0.0' }, encoding: 'utf8', timeout: 15_000 });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('LAB_AUTH_TOKEN');
  });
});
