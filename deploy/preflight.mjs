#!/usr/bin/env node
// Preflight for the Agent Lab service (systemd ExecStartPre, and deploy/rollout.sh before it
// switches releases). Checks, as the user that will run the lab:
//   - the environment file exists and is readable           (--environment-file PATH)
//   - the configuration is valid (the lab's own parser)
//   - DATA_DIR, BACKUP_DIR and the log directories are writable (created when missing)
//   - HOST:PORT is free                                       (unless --skip-port)
// Each problem is one line on stderr starting with "agent-lab preflight:"; exit 1 when any.
// The release's dist/ must be built: the config parser is the lab's (dist/config/config.js).
//
//   node deploy/preflight.mjs --environment-file /etc/agent-lab/agent-lab.env [--skip-port] [--cwd DIR]
import { accessSync, closeSync, constants, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const releaseRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const option = (name) => {
  const index = args.indexOf(name);
  return index >= 0 ? args[index + 1] : undefined;
};
const envFile = option('--environment-file');
const skipPort = args.includes('--skip-port');
const cwd = path.resolve(option('--cwd') ?? process.cwd());
const user = (() => {
  try {
    return os.userInfo().username;
  } catch {
    return `uid ${process.getuid?.() ?? '?'}`;
  }
})();

const problems = [];
const fail = (message) => problems.push(message);
const finish = () => {
  for (const message of problems) console.error(`agent-lab preflight: ${message}`);
  if (problems.length > 0) process.exit(1);
  console.log(`agent-lab preflight: ok (user ${user}, release ${releaseRoot})`);
  process.exit(0);
};

/** KEY=value lines as systemd's EnvironmentFile= reads them (comments, optional quotes). */
function parseEnvFile(text) {
  const values = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match) continue;
    let value = match[2];
    if (/^".*"$/.test(value) || /^'.*'$/.test(value)) value = value.slice(1, -1);
    values[match[1]] = value;
  }
  return values;
}

const env = { ...process.env };
if (envFile !== undefined) {
  if (!existsSync(envFile)) {
    fail(`environment file ${envFile} is missing (create it from deploy/agent-lab.env.example, mode 0640, group agent-lab)`);
    finish();
  }
  let text;
  try {
    text = readFileSync(envFile, 'utf8');
  } catch (error) {
    fail(`environment file ${envFile} is not readable by user ${user} (${error.code ?? error.message})`);
    finish();
  }
  // the file wins over the environment, as EnvironmentFile= wins over the unit's Environment=
  // (under systemd this changes nothing; under rollout.sh it applies the file)
  Object.assign(env, parseEnvFile(text));
}

const configModule = path.join(releaseRoot, 'dist', 'config', 'config.js');
if (!existsSync(configModule)) {
  fail(`${configModule} is missing: this release is not built (run npm run build before agent-lab release)`);
  finish();
}
const { loadConfig } = await import(pathToFileURL(configModule).href);
let config;
try {
  config = loadConfig({ env, cwd });
} catch (error) {
  fail(`${error.message}`);
  finish();
}

/** Create the directory when missing, then prove this user can create, fsync and delete a file in it. */
function checkWritableDirectory(label, directory) {
  try {
    mkdirSync(directory, { recursive: true });
  } catch (error) {
    fail(`${label} ${directory} does not exist and user ${user} cannot create it (${error.code ?? error.message})`);
    return;
  }
  const probe = path.join(directory, `.preflight-${process.pid}`);
  try {
    const descriptor = openSync(probe, 'w', 0o600);
    writeSync(descriptor, 'ok\n');
    fsyncSync(descriptor);
    closeSync(descriptor);
    unlinkSync(probe);
  } catch (error) {
    fail(`${label} ${directory} is not writable by user ${user} (${error.code ?? error.message})`);
  }
}

/** An existing file the lab appends to must be writable too (a root-owned runs.csv breaks every run). */
function checkWritableFile(label, file) {
  if (!existsSync(file)) return;
  try {
    accessSync(file, constants.W_OK);
  } catch (error) {
    fail(`${label} ${file} is not writable by user ${user} (${error.code ?? error.message})`);
  }
}

checkWritableDirectory('data directory (DATA_DIR)', config.dataDir);
for (const sub of ['sessions', 'quarantined']) {
  const directory = path.join(config.dataDir, sub);
  if (existsSync(directory) && statSync(directory).isDirectory()) checkWritableDirectory(`data directory (DATA_DIR) ${sub}/`, directory);
}
checkWritableFile('data file', path.join(config.dataDir, 'runs.csv'));
checkWritableFile('data file', path.join(config.dataDir, 'agents.json'));
if (config.backupIntervalHours > 0) checkWritableDirectory('backup directory (BACKUP_DIR)', config.backupDir);
checkWritableDirectory('log directory (LOG_FILE)', path.dirname(config.logFile));
checkWritableFile('log file (LOG_FILE)', config.logFile);
if (path.dirname(config.accessLog) !== path.dirname(config.logFile)) checkWritableDirectory('log directory (ACCESS_LOG)', path.dirname(config.accessLog));
checkWritableFile('log file (ACCESS_LOG)', config.accessLog);

if (!skipPort) {
  await new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error) => {
      const reason =
        error.code === 'EADDRINUSE'
          ? 'is already in use by another process (find it: ss -ltnp "sport = :' + config.port + '"; or set PORT)'
          : error.code === 'EACCES'
            ? `needs privileges user ${user} does not have (use a port above 1023)`
            : error.code === 'EADDRNOTAVAIL'
              ? 'is not an address of this machine (set HOST)'
              : `cannot be bound (${error.code ?? error.message})`;
      fail(`port ${config.port} on ${config.host} ${reason}`);
      resolve();
    });
    server.listen({ port: config.port, host: config.host, exclusive: true }, () => server.close(() => resolve()));
  });
}

finish();
