import { access, constants, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzip as gunzipCallback, gzip as gzipCallback } from 'node:zlib';
import { assertDataDir, listSessionFiles, readIfExists } from './check.js';
import { dataPaths } from './data-paths.js';
import { fsyncDirectory, linkOrCopy, removeTree, sha256, writeNewFile } from './file-utils.js';
import { withRecoveryLock } from './lock.js';
import { isProcessAlive, REVOKED_SESSIONS_FILE } from '../store/index.js';
import { mapLimit } from './parallel.js';
import { noProgress, type ProgressCallback } from './progress.js';
import { fromFileSystemError, RecoveryError } from './recovery-error.js';
import { formatStamp, formatStampMillis, parseStamp } from './timestamp.js';
import { BACKUP_FORMAT, parseBackupManifest, type BackupFileEntry, type BackupManifest } from './backup-manifest.js';

export { BACKUP_FORMAT, type BackupFileEntry, type BackupManifest } from './backup-manifest.js';

/**
 * `backup`: a dated, checksummed snapshot `BACKUP_DIR/<YYYYMMDD_HHMMSS>/` (UTC) of the
 * sessions, runs.csv and scores.csv (gzipped), the agents and the logouts (revoked-sessions.json), with `manifest.json` listing the SHA-256 of
 * every file. Session files unchanged since the previous snapshot are hard-linked to it.
 * The snapshot is built in a hidden temporary folder and renamed into place, so a partial
 * snapshot never exists under a snapshot's name.
 */

const gzip = promisify(gzipCallback);
const gunzip = promisify(gunzipCallback);

export const BACKUP_MANIFEST = 'manifest.json';
const TEMP_PREFIX = '.tmp-';

export interface BackupResult {
  name: string;
  directory: string;
  sessions: number;
  files: number;
  bytes: number;
  /** Session files hard-linked to the previous snapshot (unchanged since). */
  linked: number;
  incrementalFrom: string | null;
  durationMs: number;
}

export interface SnapshotInfo {
  name: string;
  directory: string;
  date: Date;
}

/** Refuse (one clear line) a BACKUP_DIR that is missing, not a folder, or not writable. */
export async function assertBackupDir(backupDir: string, options: { writable: boolean }): Promise<void> {
  let info;
  try {
    info = await stat(backupDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new RecoveryError('env:backup_dir', `BACKUP_DIR ${backupDir} does not exist`, {
        cause: error,
        hint: `create it (mkdir -p ${backupDir}) or set BACKUP_DIR to an existing folder`,
      });
    }
    throw fromFileSystemError(error, { action: 'open BACKUP_DIR', path: backupDir });
  }
  if (!info.isDirectory()) {
    throw new RecoveryError('env:backup_dir', `BACKUP_DIR ${backupDir} is not a directory`, {
      hint: 'set BACKUP_DIR to a folder for the snapshots',
    });
  }
  if (options.writable) {
    try {
      await access(backupDir, constants.W_OK | constants.X_OK);
    } catch (error) {
      throw new RecoveryError('env:backup_dir', `BACKUP_DIR ${backupDir} is not writable by this user`, {
        cause: error,
        hint: 'fix its permissions or set BACKUP_DIR to a writable folder',
      });
    }
  }
}

/** Snapshots in BACKUP_DIR, oldest first (folders named by a real `YYYYMMDD_HHMMSS`). */
export async function listBackups(backupDir: string): Promise<SnapshotInfo[]> {
  let entries;
  try {
    entries = await readdir(backupDir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw fromFileSystemError(error, { action: 'list', path: backupDir });
  }
  const snapshots: SnapshotInfo[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const date = parseStamp(entry.name);
    if (date) snapshots.push({ name: entry.name, directory: path.join(backupDir, entry.name), date });
  }
  return snapshots.sort((a, b) => a.name.localeCompare(b.name));
}

/** Parse a snapshot's manifest; RecoveryError `integrity:manifest` when it is missing or damaged. */
export async function readBackupManifest(directory: string): Promise<BackupManifest> {
  let text: string;
  try {
    text = await readFile(path.join(directory, BACKUP_MANIFEST), 'utf8');
  } catch (error) {
    throw new RecoveryError('integrity:manifest', `The snapshot ${directory} has no readable ${BACKUP_MANIFEST}`, {
      cause: error,
      hint: 'it is incomplete or damaged; use another snapshot',
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new RecoveryError('integrity:manifest', `The manifest of the snapshot ${directory} is not valid JSON`, {
      cause: error,
      hint: 'the snapshot was altered or damaged; use another snapshot',
    });
  }
  const parsed = parseBackupManifest(value);
  if (!parsed.ok) {
    throw new RecoveryError('integrity:manifest', `The manifest of the snapshot ${directory} is not one agent-lab wrote (${parsed.problem})`, {
      hint: 'the snapshot was altered or damaged; nothing was changed; use another snapshot',
    });
  }
  return parsed.manifest;
}

/** The newest snapshot with a readable manifest, for incremental links. */
async function previousSnapshot(backupDir: string): Promise<{ info: SnapshotInfo; manifest: BackupManifest } | undefined> {
  const snapshots = await listBackups(backupDir);
  for (const info of snapshots.reverse()) {
    try {
      return { info, manifest: await readBackupManifest(info.directory) };
    } catch (error) {
      // A damaged older snapshot is only no base for links; verify reports it.
      void error;
    }
  }
  return undefined;
}

/** Remove temporary snapshot folders left by a backup that was killed (its pid is gone). */
export async function removeStaleBackupTemporaries(backupDir: string): Promise<string[]> {
  const removed: string[] = [];
  const names = await readdir(backupDir).catch(() => [] as string[]);
  for (const name of names) {
    const match = /^\.tmp-\d{8}_\d{6}_\d{3}-(\d+)$/.exec(name);
    if (!match) continue;
    const pid = Number(match[1]);
    if (pid === process.pid || isProcessAlive(pid)) continue;
    await removeTree(path.join(backupDir, name));
    removed.push(name);
  }
  return removed;
}

/** Write a snapshot of the data directory to BACKUP_DIR. */
export async function createBackup(options: {
  dataDir: string;
  backupDir: string;
  now?: () => Date;
  onProgress?: ProgressCallback;
  concurrency?: number;
}): Promise<BackupResult> {
  const started = performance.now();
  const now = options.now ?? (() => new Date());
  const onProgress = options.onProgress ?? noProgress;
  const backupDir = path.resolve(options.backupDir);
  const paths = dataPaths(options.dataDir);
  await assertDataDir(paths.dataDir);
  await assertBackupDir(backupDir, { writable: true });
  await removeStaleBackupTemporaries(backupDir);

  const startedAt = now();
  const temporary = path.join(backupDir, `${TEMP_PREFIX}${formatStampMillis(startedAt)}-${process.pid}`);
  try {
    await mkdir(temporary);
  } catch (error) {
    throw fromFileSystemError(error, { action: 'create a snapshot folder in', path: backupDir });
  }
  try {
    const previous = await previousSnapshot(backupDir);
    const previousHashes = new Map<string, BackupFileEntry>();
    for (const file of previous?.manifest.files ?? []) previousHashes.set(file.path, file);

    // runs.csv, agents and logouts under the lock, so the snapshot never holds half an append.
    const { runsCsv, scoresCsv, agentsJson, agentFiles, revokedSessions } = await withRecoveryLock(paths.dataDir, async () => {
      const agentNames = (await listSessionFiles(paths.agentsDir)).map((name) => `agents/${name}`);
      const agentContents = await Promise.all(
        agentNames.map(async (name) => ({ name, bytes: await readIfExists(path.join(paths.dataDir, name)) })),
      );
      return {
        runsCsv: await readIfExists(paths.runsCsv),
        scoresCsv: await readIfExists(paths.scoresCsv),
        agentsJson: await readIfExists(paths.agentsJson),
        agentFiles: agentContents,
        revokedSessions: await readIfExists(paths.revokedSessionsJson),
      };
    });

    const files: BackupFileEntry[] = [];
    for (const [name, content] of [['runs.csv', runsCsv], ['scores.csv', scoresCsv]] as const) {
      if (content === undefined) continue;
      const compressed = await gzip(content, { level: 6 });
      await writeNewFile(path.join(temporary, `${name}.gz`), compressed);
      files.push({
        path: `${name}.gz`,
        sha256: sha256(compressed),
        bytes: compressed.length,
        restores_to: name,
        content_sha256: sha256(content),
        content_bytes: content.length,
      });
    }
    if (agentsJson !== undefined) {
      await writeNewFile(path.join(temporary, 'agents.json'), agentsJson);
      files.push({ path: 'agents.json', sha256: sha256(agentsJson), bytes: agentsJson.length });
    }
    if (revokedSessions !== undefined) {
      await writeNewFile(path.join(temporary, REVOKED_SESSIONS_FILE), revokedSessions);
      files.push({ path: REVOKED_SESSIONS_FILE, sha256: sha256(revokedSessions), bytes: revokedSessions.length });
    }
    if (agentFiles.length > 0) await mkdir(path.join(temporary, 'agents'));
    for (const { name, bytes } of agentFiles) {
      if (bytes === undefined) continue;
      await writeNewFile(path.join(temporary, name), bytes);
      files.push({ path: name, sha256: sha256(bytes), bytes: bytes.length });
    }

    // Session files are replaced atomically by the server, so each read is one whole version.
    const sessionNames = await listSessionFiles(paths.sessionsDir);
    await mkdir(path.join(temporary, 'sessions'));
    let done = 0;
    let linked = 0;
    onProgress({ phase: 'sessions', done, total: sessionNames.length });
    const sessionEntries = await mapLimit(sessionNames, { concurrency: options.concurrency ?? 16 }, async (name) => {
      const relative = `sessions/${name}`;
      const bytes = await readIfExists(path.join(paths.sessionsDir, name));
      done += 1;
      onProgress({ phase: 'sessions', done, total: sessionNames.length });
      if (bytes === undefined) return undefined;
      const hash = sha256(bytes);
      const target = path.join(temporary, relative);
      const before = previousHashes.get(relative);
      if (previous && before && before.sha256 === hash && before.bytes === bytes.length) {
        // Link only to a previous copy that still matches its checksum, so a damaged
        // older snapshot never spreads into the new one.
        const previousCopy = await readIfExists(path.join(previous.info.directory, relative));
        if (previousCopy && sha256(previousCopy) === hash) {
          await linkOrCopy(path.join(previous.info.directory, relative), target);
          linked += 1;
          return { path: relative, sha256: hash, bytes: bytes.length };
        }
      }
      await writeNewFile(target, bytes);
      return { path: relative, sha256: hash, bytes: bytes.length };
    });
    for (const entry of sessionEntries) if (entry) files.push(entry);

    await fsyncDirectory(path.join(temporary, 'sessions'));
    const placed = await placeSnapshot({ temporary, backupDir, date: startedAt, files, previous: previous?.info.name ?? null, dataDir: paths.dataDir, now });
    return {
      name: placed.name,
      directory: placed.directory,
      sessions: sessionEntries.filter(Boolean).length,
      files: files.length,
      bytes: files.reduce((sum, file) => sum + file.bytes, 0),
      linked,
      incrementalFrom: previous?.info.name ?? null,
      durationMs: Math.round(performance.now() - started),
    };
  } catch (error) {
    await removeTree(temporary);
    throw fromFileSystemError(error, { action: 'write the snapshot to', path: backupDir });
  }
}

/** Write the manifest, then rename the temporary folder to the first free stamp name. */
async function placeSnapshot(options: {
  temporary: string;
  backupDir: string;
  date: Date;
  files: BackupFileEntry[];
  previous: string | null;
  dataDir: string;
  now: () => Date;
}): Promise<{ name: string; directory: string }> {
  let date = options.date;
  for (let attempt = 0; attempt < 120; attempt += 1) {
    const name = formatStamp(date);
    const directory = path.join(options.backupDir, name);
    const manifest: BackupManifest = {
      format: BACKUP_FORMAT,
      name,
      created_at: options.now().toISOString(),
      data_dir: options.dataDir,
      incremental_from: options.previous,
      files: [...options.files].sort((a, b) => a.path.localeCompare(b.path)),
    };
    await rm(path.join(options.temporary, BACKUP_MANIFEST), { force: true });
    await writeNewFile(path.join(options.temporary, BACKUP_MANIFEST), Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`));
    await fsyncDirectory(options.temporary);
    try {
      await rename(options.temporary, directory);
      await fsyncDirectory(options.backupDir);
      return { name, directory };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
      // Two snapshots in one second: take the next second's name.
      date = new Date(date.getTime() + 1000);
    }
  }
  throw new RecoveryError('env:backup_dir', `Could not find a free snapshot name in ${options.backupDir}`);
}

/** One file of a snapshot that does not match its manifest. */
export interface VerifyProblem {
  file: string;
  message: string;
}

export interface VerifyResult {
  name: string;
  directory: string;
  ok: boolean;
  checked: number;
  problems: VerifyProblem[];
}

/** Re-check every checksum of a snapshot (and that runs.csv.gz still decompresses to its content). */
export async function verifyBackup(options: {
  backupDir: string;
  /** Snapshot folder name; the newest when omitted. */
  name?: string;
  onProgress?: ProgressCallback;
}): Promise<VerifyResult> {
  const backupDir = path.resolve(options.backupDir);
  await assertBackupDir(backupDir, { writable: false });
  const snapshot = await findSnapshotByName(backupDir, options.name);
  return verifySnapshot(snapshot, options.onProgress ?? noProgress);
}

async function findSnapshotByName(backupDir: string, name: string | undefined): Promise<SnapshotInfo> {
  const snapshots = await listBackups(backupDir);
  if (name === undefined) {
    const newest = snapshots[snapshots.length - 1];
    if (!newest) {
      throw new RecoveryError('not_found:snapshot', `There is no snapshot in ${backupDir}`, {
        hint: 'make one with `npx --no-install agent-lab backup`',
      });
    }
    return newest;
  }
  const found = snapshots.find((snapshot) => snapshot.name === name.trim());
  if (!found) {
    throw new RecoveryError('not_found:snapshot', `There is no snapshot named "${name}" in ${backupDir}`, {
      hint: 'give a folder name of the form YYYYMMDD_HHMMSS as listed by `ls BACKUP_DIR`',
    });
  }
  return found;
}

/** Verify a snapshot already chosen. */
export async function verifySnapshot(snapshot: SnapshotInfo, onProgress: ProgressCallback = noProgress): Promise<VerifyResult> {
  const manifest = await readBackupManifest(snapshot.directory);
  const problems: VerifyProblem[] = [];
  let done = 0;
  onProgress({ phase: 'verify', done, total: manifest.files.length });
  await mapLimit(manifest.files, { concurrency: 16 }, async (entry) => {
    const bytes = await readIfExists(path.join(snapshot.directory, entry.path)).catch((error: unknown) => {
      problems.push({ file: entry.path, message: `cannot be read (${(error as Error).message})` });
      return null;
    });
    done += 1;
    onProgress({ phase: 'verify', done, total: manifest.files.length });
    if (bytes === null) return;
    if (bytes === undefined) {
      problems.push({ file: entry.path, message: 'is missing from the snapshot' });
      return;
    }
    if (bytes.length !== entry.bytes || sha256(bytes) !== entry.sha256) {
      problems.push({ file: entry.path, message: 'does not match its SHA-256 checksum (altered or damaged)' });
      return;
    }
    if (entry.content_sha256 !== undefined) {
      try {
        const content = await gunzip(bytes);
        if (sha256(content) !== entry.content_sha256) {
          problems.push({ file: entry.path, message: 'decompresses to content that does not match its checksum' });
        }
      } catch (error) {
        problems.push({ file: entry.path, message: `does not decompress (${(error as Error).message})` });
      }
    }
  });
  problems.sort((a, b) => a.file.localeCompare(b.file));
  return { name: snapshot.name, directory: snapshot.directory, ok: problems.length === 0, checked: manifest.files.length, problems };
}

/**
 * Delete snapshots older than `retentionDays` (by their UTC name), always keeping the
 * newest one, and temporary folders left by killed backups. Returns the names removed.
 */
export async function pruneBackups(options: { backupDir: string; retentionDays: number; now?: () => Date }): Promise<string[]> {
  const backupDir = path.resolve(options.backupDir);
  const now = (options.now ?? (() => new Date()))();
  const cutoff = now.getTime() - options.retentionDays * 86_400_000;
  const snapshots = await listBackups(backupDir);
  const removed = await removeStaleBackupTemporaries(backupDir);
  for (const snapshot of snapshots.slice(0, -1)) {
    if (snapshot.date.getTime() >= cutoff) continue;
    await removeTree(snapshot.directory);
    removed.push(snapshot.name);
  }
  return removed;
}
