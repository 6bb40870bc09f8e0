import { spawn, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { list as listTar } from 'tar';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { missing } from '../../test/support/prerequisites.js';
import type { RunRecord } from '../domain/run.js';
import { createBackup, listBackups, pruneBackups, verifyBackup } from './backup.js';
import { startBackupSchedule } from './backup-schedule.js';
import { checkData } from './check.js';
import { decodeCsvRecords } from '../store/index.js';
import { createEvidenceSnapshot } from './evidence.js';
import { DAMAGED_RECORDS_FILE, quarantineData } from './quarantine.js';
import { rebuildRunsCsv } from './rebuild-csv.js';
import { RecoveryError } from './recovery-error.js';
import { restoreData } from './restore.js';
import { hashTree, populateWithStore, sessionIdFor, temporaryLab } from './test-support.js';
import { formatStamp } from './timestamp.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const today = () => formatStamp(new Date()).slice(0, 8);
/** tsx's loader by absolute URL, so the CLI can run from a lab directory outside the repository. */
const tsxLoader = pathToFileURL(path.join(repoRoot, 'node_modules/tsx/dist/loader.mjs')).href;

/** Run the real CLI entry (`src/cli/main.ts`) in the lab's working directory. */
function runCli(options: { cwd: string; args: string[]; env?: Record<string, string> }): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', tsxLoader, path.join(repoRoot, 'src/cli/main.ts'), ...options.args], {
      cwd: options.cwd,
      env: { PATH: process.env.PATH ?? '', NODE_PATH: path.join(repoRoot, 'node_modules'), ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

let lab: Awaited<ReturnType<typeof temporaryLab>>;
let runs: RunRecord[];
let originalCsv: Buffer;
let originalTree: Map<string, string>;

/** Damage the data the ways the playbook lists; returns what was damaged. */
async function damage(): Promise<{ sessions: string[]; csvLines: number[] }> {
  const sessionsDir = path.join(lab.dataDir, 'sessions');
  const truncated = `${sessionIdFor(0)}.json`;
  const garbage = `${sessionIdFor(1)}.json`;
  const wrongSchema = `${sessionIdFor(2)}.json`;
  const text = await readFile(path.join(sessionsDir, truncated), 'utf8');
  await writeFile(path.join(sessionsDir, truncated), text.slice(0, Math.floor(text.length / 2)));
  const bytes = await readFile(path.join(sessionsDir, garbage));
  bytes.fill(0xff, 40, 60);
  await writeFile(path.join(sessionsDir, garbage), bytes);
  await writeFile(path.join(sessionsDir, wrongSchema), JSON.stringify({ id: sessionIdFor(2), transcript: 'not a list', runs: 7 }));

  const records = decodeCsvRecords(originalCsv);
  const tooMany = records[2]!;
  const tooFew = records[5]!;
  const pieces = records.map((record) => {
    if (record === tooMany) return Buffer.from(record.raw.toString('utf8').replace(/\n$/, ',surplus\n'));
    if (record === tooFew) return Buffer.from(record.raw.toString('utf8').replace(/,\n$/, '\n'));
    return record.raw;
  });
  const tornLine = records[records.length - 1]!.line + 1 + (records[records.length - 1]!.raw.toString().match(/\n/g)!.length - 1);
  pieces.push(Buffer.from('2026-02-01T00:00:00.000Z,Agent 1,local/tiny,12,2'));
  await writeFile(path.join(lab.dataDir, 'runs.csv'), Buffer.concat(pieces));
  return { sessions: [truncated, garbage, wrongSchema].map((name) => `sessions/${name}`), csvLines: [tooMany.line, tooFew.line, tornLine] };
}

beforeEach(async () => {
  lab = await temporaryLab();
  runs = await populateWithStore({ dataDir: lab.dataDir, sessions: 8, runsPerSession: 2 });
  originalCsv = await readFile(path.join(lab.dataDir, 'runs.csv'));
  originalTree = await hashTree(lab.dataDir);
});

afterEach(async () => {
  await lab.cleanup();
});

describe('check, quarantine, restore and rebuild-csv on damaged data', () => {
  it('finds each kind of damage, quarantines exactly it, restores the sessions and rebuilds the rows', async () => {
    expect((await checkData({ dataDir: lab.dataDir })).ok).toBe(true);
    const backup = await createBackup({ dataDir: lab.dataDir, backupDir: lab.backupDir });
    const damaged = await damage();

    // check: every damaged file and record, with its line
    const report = await checkData({ dataDir: lab.dataDir });
    expect(report.ok).toBe(false);
    expect(report.sessions).toMatchObject({ checked: 8, valid: 5, invalid: 3 });
    const sessionProblems = report.problems.filter((problem) => problem.file.startsWith('sessions/'));
    expect(sessionProblems.map((problem) => [problem.file, problem.kind])).toEqual([
      [damaged.sessions[0], 'session:json'],
      [damaged.sessions[1], 'session:encoding'],
      [damaged.sessions[2], 'session:schema'],
    ]);
    expect(sessionProblems[0]!.message).toContain('truncated JSON');
    const csvProblems = report.problems.filter((problem) => problem.file === 'runs.csv');
    expect(csvProblems.map((problem) => problem.line)).toEqual(damaged.csvLines);
    expect(csvProblems.map((problem) => problem.message)).toEqual([
      expect.stringContaining('has 25 fields'),
      expect.stringContaining('has 23 fields'),
      expect.stringContaining('no line ending'),
    ]);
    expect(report.runsCsv).toMatchObject({ rowsChecked: runs.length + 1, damagedRows: 3 });

    // quarantine: exactly those move; everything else is byte for byte as it was
    const before = await hashTree(lab.dataDir);
    const quarantined = await quarantineData({ dataDir: lab.dataDir });
    expect(quarantined.sessions.map((session) => session.file)).toEqual(damaged.sessions);
    expect(quarantined.runsCsv.records.map((record) => record.line)).toEqual(damaged.csvLines);
    const after = await hashTree(lab.dataDir);
    for (const [file, hash] of before) {
      if (damaged.sessions.includes(file) || file === 'runs.csv') continue;
      expect(after.get(file), file).toBe(hash);
    }
    for (const file of damaged.sessions) {
      expect(after.has(file)).toBe(false);
      expect(after.get(path.join('quarantined', path.basename(quarantined.directory!), file))).toBe(before.get(file));
    }
    const manifest = JSON.parse(await readFile(path.join(quarantined.directory!, 'manifest.json'), 'utf8')) as {
      sessions: Array<{ file: string; reason: string }>;
      runs_csv: { damaged_records: Array<{ line: number; reason: string }> };
    };
    expect(manifest.sessions.map((session) => session.reason)).toEqual([
      expect.stringContaining('truncated JSON'),
      expect.stringContaining('not UTF-8'),
      expect.stringContaining('session schema'),
    ]);
    expect(manifest.runs_csv.damaged_records).toHaveLength(3);
    const side = await readFile(path.join(quarantined.directory!, DAMAGED_RECORDS_FILE), 'utf8');
    expect(side).toContain(',surplus\n');
    expect(side.endsWith('local/tiny,12,2')).toBe(true);
    const cleanCheck = await checkData({ dataDir: lab.dataDir });
    expect(cleanCheck.ok).toBe(true);
    expect(cleanCheck.runsCsv.rowsChecked).toBe(runs.length - 2);

    // restore brings the sessions back exactly; the pre-restore folder records the restore
    const restored = await restoreData({ dataDir: lab.dataDir, backupDir: lab.backupDir, type: 'sessions', date: backup.name.slice(0, 8) });
    expect(restored.counts['restore-missing']).toBe(3);
    expect(restored.counts.unchanged).toBe(5);
    const afterRestore = await hashTree(lab.dataDir);
    for (const file of damaged.sessions) expect(afterRestore.get(file)).toBe(originalTree.get(file));

    // rebuild-csv reproduces the lab's own rows byte for byte
    const rebuilt = await rebuildRunsCsv({ dataDir: lab.dataDir });
    expect(rebuilt).toMatchObject({ rows: runs.length, fromSessions: runs.length, keptFromOldFile: 0 });
    expect((await readFile(path.join(lab.dataDir, 'runs.csv'))).equals(originalCsv)).toBe(true);
    expect(rebuilt.backupPath).toMatch(/runs\.csv\.bak-\d{8}T\d{6}Z$/);
    expect((await checkData({ dataDir: lab.dataDir })).ok).toBe(true);
  });

  it('restores damaged files in place, keeps a copy of what it replaced, and overwrites only when asked', async () => {
    const backup = await createBackup({ dataDir: lab.dataDir, backupDir: lab.backupDir });
    const damaged = await damage();
    const damagedTree = await hashTree(lab.dataDir);
    const dry = await restoreData({ dataDir: lab.dataDir, backupDir: lab.backupDir, type: 'all', date: backup.name.slice(0, 8), dryRun: true });
    expect(dry.counts['restore-damaged']).toBe(4);
    expect(await hashTree(lab.dataDir)).toEqual(damagedTree);

    const result = await restoreData({ dataDir: lab.dataDir, backupDir: lab.backupDir, type: 'all', date: backup.name.slice(0, 8) });
    expect(result.files.filter((file) => file.action === 'restore-damaged').map((file) => file.file).sort()).toEqual(
      [...damaged.sessions, 'runs.csv'].sort(),
    );
    const now = await hashTree(lab.dataDir);
    for (const [file, hash] of originalTree) expect(now.get(file), file).toBe(hash);
    const copies = await hashTree(result.preRestoreDirectory!);
    for (const file of [...damaged.sessions, 'runs.csv']) expect(copies.get(file)).toBe(damagedTree.get(file));

    // A valid file that differs is kept unless --overwrite.
    const sessionFile = path.join(lab.dataDir, 'sessions', `${sessionIdFor(4)}.json`);
    const edited = JSON.stringify({ id: sessionIdFor(4), name: 'edited', transcript: [] });
    await writeFile(sessionFile, edited);
    const kept = await restoreData({ dataDir: lab.dataDir, backupDir: lab.backupDir, type: 'sessions', date: backup.name.slice(0, 8) });
    expect(kept.counts.kept).toBe(1);
    expect(await readFile(sessionFile, 'utf8')).toBe(edited);
    const overwritten = await restoreData({ dataDir: lab.dataDir, backupDir: lab.backupDir, type: 'sessions', date: backup.name.slice(0, 8), overwrite: true });
    expect(overwritten.counts.overwrite).toBe(1);
    expect((await hashTree(lab.dataDir)).get(`sessions/${sessionIdFor(4)}.json`)).toBe(originalTree.get(`sessions/${sessionIdFor(4)}.json`));
  });

  it('refuses a restore from a snapshot whose checksum fails, changing nothing', async () => {
    const backup = await createBackup({ dataDir: lab.dataDir, backupDir: lab.backupDir });
    await damage();
    const altered = path.join(backup.directory, 'sessions', `${sessionIdFor(3)}.json`);
    const bytes = await readFile(altered);
    bytes[10] = bytes[10]! ^ 1;
    await writeFile(altered, bytes);
    const before = await hashTree(lab.dataDir);

    const verify = await verifyBackup({ backupDir: lab.backupDir });
    expect(verify.ok).toBe(false);
    expect(verify.problems).toEqual([{ file: `sessions/${sessionIdFor(3)}.json`, message: expect.stringContaining('SHA-256') }]);
    const refusal = restoreData({ dataDir: lab.dataDir, backupDir: lab.backupDir, type: 'all', date: backup.name.slice(0, 8), overwrite: true });
    await expect(refusal).rejects.toBeInstanceOf(RecoveryError);
    await expect(refusal).rejects.toMatchObject({ code: 'integrity:checksum', exitCode: 1 });
    expect(await hashTree(lab.dataDir)).toEqual(before);
    expect(await readdir(lab.dataDir)).not.toContain('quarantined');
  });

  it('keeps rows no session can reproduce, in time order, and leaves damaged records to the .bak', async () => {
    const legacy = '2025-12-31T23:59:59.000Z,Legacy,gpt-3.5-turbo,1,2,3,100,0.001,,,,True,fallback,False,off,False,,,,,,,,\n';
    const orphan = '2026-01-01T00:00:00.500Z,Gone,m,1,2,3,100,,,,,true,dynamic,false,off,false,run-orphan,s-gone,a,,,stop,,\n';
    const text = originalCsv.toString('utf8');
    const headerEnd = text.indexOf('\n') + 1;
    await writeFile(path.join(lab.dataDir, 'runs.csv'), text.slice(0, headerEnd) + orphan + text.slice(headerEnd) + legacy + 'broken,row\n');
    const result = await rebuildRunsCsv({ dataDir: lab.dataDir });
    expect(result).toMatchObject({ keptFromOldFile: 2, droppedDamagedRecords: 1, fromSessions: runs.length, replacedOldRows: runs.length });
    const rebuilt = (await readFile(path.join(lab.dataDir, 'runs.csv'), 'utf8'));
    const lines = originalCsv.toString('utf8');
    // The legacy row sorts first (earliest ts), the orphan after the first run (ts +0.5 s).
    const records = decodeCsvRecords(Buffer.from(rebuilt)).map((record) => record.raw.toString('utf8'));
    expect(records[1]).toBe(legacy);
    expect(records[3]).toBe(orphan);
    expect(records.filter((record) => record !== legacy && record !== orphan).join('')).toBe(lines);
    expect(await readFile(result.backupPath!, 'utf8')).toContain('broken,row\n');
  });

  it('waits for the data lock another process holds', async () => {
    const script = path.join(lab.root, 'hold-lock.mts');
    await writeFile(
      script,
      `import { withDataLock } from ${JSON.stringify(pathToFileURL(path.join(repoRoot, 'src/store/index.ts')).href)};
await withDataLock(${JSON.stringify(lab.dataDir)}, async () => {
  console.log('locked');
  await new Promise((r) => setTimeout(r, 1500));
  console.log('releasing at ' + Date.now());
});
`,
    );
    const holder = spawn(process.execPath, ['--import', tsxLoader, script], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
    const closed = new Promise((resolve) => holder.on('close', resolve));
    let releasedAt = 0;
    await new Promise<void>((resolve) =>
      holder.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('locked')) resolve();
        const releasing = /releasing at (\d+)/.exec(chunk.toString());
        if (releasing) releasedAt = Number(releasing[1]);
      }),
    );
    await rebuildRunsCsv({ dataDir: lab.dataDir });
    const finishedAt = Date.now();
    await closed;
    expect(releasedAt).toBeGreaterThan(0);
    expect(finishedAt).toBeGreaterThanOrEqual(releasedAt);
  });
});

describe('restore from a tampered snapshot', () => {
  /** Rewrite one snapshot's manifest.json with `edit`. */
  async function tamper(directory: string, edit: (manifest: { files: Array<Record<string, unknown>> }) => void): Promise<void> {
    const file = path.join(directory, 'manifest.json');
    const manifest = JSON.parse(await readFile(file, 'utf8')) as { files: Array<Record<string, unknown>> };
    edit(manifest);
    await rm(file);
    await writeFile(file, JSON.stringify(manifest));
  }

  it.each([
    ['a path climbing out of DATA_DIR', '../outside.csv'],
    ['an absolute path', '/tmp/agent-lab-restore-escape.csv'],
    ['another data file', 'agents.json'],
  ])('refuses restores_to naming %s with exit 1, writing nothing', async (_label, restoresTo) => {
    const backup = await createBackup({ dataDir: lab.dataDir, backupDir: lab.backupDir });
    await rm(path.join(lab.dataDir, 'runs.csv'));
    await tamper(backup.directory, (manifest) => {
      manifest.files.find((file) => file.path === 'runs.csv.gz')!.restores_to = restoresTo;
    });
    const before = await hashTree(lab.root);
    const refusal = restoreData({ dataDir: lab.dataDir, backupDir: lab.backupDir, type: 'all', date: backup.name.slice(0, 8), overwrite: true });
    await expect(refusal).rejects.toMatchObject({ code: 'integrity:manifest', exitCode: 1, message: expect.stringContaining('restores_to') });
    expect(await hashTree(lab.root)).toEqual(before);
    await expect(stat('/tmp/agent-lab-restore-escape.csv')).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses a session path that leaves the sessions folder', async () => {
    const backup = await createBackup({ dataDir: lab.dataDir, backupDir: lab.backupDir });
    await tamper(backup.directory, (manifest) => {
      manifest.files.find((file) => String(file.path).startsWith('sessions/'))!.path = 'sessions/../../escape.json';
    });
    const before = await hashTree(lab.root);
    const refusal = restoreData({ dataDir: lab.dataDir, backupDir: lab.backupDir, type: 'sessions', date: backup.name.slice(0, 8) });
    await expect(refusal).rejects.toMatchObject({ code: 'integrity:manifest', exitCode: 1 });
    expect(await hashTree(lab.root)).toEqual(before);
  });

  it('refuses to write through a symbolic link that leads out of DATA_DIR', async () => {
    const backup = await createBackup({ dataDir: lab.dataDir, backupDir: lab.backupDir });
    // data/sessions is now a link to a folder outside the data directory, with one session missing.
    const outside = path.join(lab.root, 'elsewhere');
    await rename(path.join(lab.dataDir, 'sessions'), outside);
    await rm(path.join(outside, `${sessionIdFor(0)}.json`));
    await symlink(outside, path.join(lab.dataDir, 'sessions'));
    const before = await hashTree(outside);
    const refusal = restoreData({ dataDir: lab.dataDir, backupDir: lab.backupDir, type: 'sessions', date: backup.name.slice(0, 8) });
    await expect(refusal).rejects.toMatchObject({ code: 'integrity:path', exitCode: 1, message: expect.stringContaining('symbolic link leading outside DATA_DIR') });
    expect(await hashTree(outside)).toEqual(before);
    expect(await readdir(lab.dataDir)).not.toContain('quarantined');
  });

  it('refuses a snapshot file that is a symbolic link to a file elsewhere, even with matching checksums', async () => {
    const backup = await createBackup({ dataDir: lab.dataDir, backupDir: lab.backupDir });
    const secret = path.join(lab.root, 'secret.json');
    await writeFile(secret, JSON.stringify({ secret: 'not lab data' }));
    const name = `sessions/${sessionIdFor(1)}.json`;
    await rm(path.join(backup.directory, name));
    await symlink(secret, path.join(backup.directory, name));
    const secretBytes = await readFile(secret);
    await tamper(backup.directory, (manifest) => {
      const entry = manifest.files.find((file) => file.path === name)!;
      entry.sha256 = createHash('sha256').update(secretBytes).digest('hex');
      entry.bytes = secretBytes.length;
    });
    await rm(path.join(lab.dataDir, name));
    const before = await hashTree(lab.dataDir);
    const refusal = restoreData({ dataDir: lab.dataDir, backupDir: lab.backupDir, type: 'sessions', date: backup.name.slice(0, 8) });
    await expect(refusal).rejects.toMatchObject({ code: 'integrity:path', exitCode: 1 });
    expect(await hashTree(lab.dataDir)).toEqual(before);
  });

  it('the CLI says what is wrong with the manifest and exits 1', async () => {
    const backup = await createBackup({ dataDir: lab.dataDir, backupDir: lab.backupDir });
    await rm(path.join(lab.dataDir, 'runs.csv'));
    await tamper(backup.directory, (manifest) => {
      manifest.files.find((file) => file.path === 'runs.csv.gz')!.restores_to = '../../escaped.csv';
    });
    const before = await hashTree(lab.root);
    const refused = await runCli({ cwd: lab.root, args: ['restore', '--type', 'telemetry', '--date', backup.name.slice(0, 8)] });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('is not one agent-lab wrote');
    expect(refused.stderr).toContain('restores_to');
    expect(await hashTree(lab.root)).toEqual(before);
  });
});

describe('backup', () => {
  it('writes a verified snapshot and hard-links unchanged sessions into the next one', async () => {
    const first = await createBackup({ dataDir: lab.dataDir, backupDir: lab.backupDir, now: () => new Date('2026-03-01T10:00:00Z') });
    expect(first).toMatchObject({ name: '20260301_100000', sessions: 8, linked: 0 });
    expect((await verifyBackup({ backupDir: lab.backupDir })).ok).toBe(true);
    const changed = path.join(lab.dataDir, 'sessions', `${sessionIdFor(0)}.json`);
    await writeFile(changed, JSON.stringify({ id: sessionIdFor(0), transcript: [] }));
    const second = await createBackup({ dataDir: lab.dataDir, backupDir: lab.backupDir, now: () => new Date('2026-03-01T16:00:00Z') });
    expect(second).toMatchObject({ name: '20260301_160000', linked: 7, incrementalFrom: '20260301_100000' });
    const inode = async (snapshot: string, index: number) =>
      (await stat(path.join(lab.backupDir, snapshot, 'sessions', `${sessionIdFor(index)}.json`))).ino;
    expect(await inode('20260301_160000', 3)).toBe(await inode('20260301_100000', 3));
    expect(await inode('20260301_160000', 0)).not.toBe(await inode('20260301_100000', 0));
    // runs.csv is gzipped; the snapshot restores it exactly.
    const gz = await readFile(path.join(second.directory, 'runs.csv.gz'));
    expect(execFileSync('gunzip', ['-c'], { input: gz }).equals(originalCsv)).toBe(true);
    // Two backups in one second get distinct names.
    const third = await createBackup({ dataDir: lab.dataDir, backupDir: lab.backupDir, now: () => new Date('2026-03-01T16:00:00Z') });
    expect(third.name).toBe('20260301_160001');
  });

  it('refuses a missing BACKUP_DIR, a file, and a full disk with one clear error, leaving nothing partial', async () => {
    await expect(createBackup({ dataDir: lab.dataDir, backupDir: path.join(lab.root, 'nope') })).rejects.toMatchObject({
      code: 'env:backup_dir',
      message: expect.stringContaining('does not exist'),
    });
    const file = path.join(lab.root, 'a-file');
    await writeFile(file, 'x');
    await expect(createBackup({ dataDir: lab.dataDir, backupDir: file })).rejects.toMatchObject({
      code: 'env:backup_dir',
      message: expect.stringContaining('not a directory'),
    });
    if (process.getuid?.() !== 0) {
      const readOnly = path.join(lab.root, 'read-only');
      await mkdir(readOnly);
      await chmod(readOnly, 0o555);
      await expect(createBackup({ dataDir: lab.dataDir, backupDir: readOnly })).rejects.toMatchObject({ code: 'env:backup_dir' });
    }
  });

  const tmpfsMissing = missing({
    name: 'permission to mount a tmpfs',
    available: canMountTmpfs(),
    install: 'run the tests as root on Linux (a VM, or a container with CAP_SYS_ADMIN)',
  });
  it.skipIf(tmpfsMissing)('fails cleanly with ENOSPC on a disk that fills up mid-backup', async () => {
    const small = path.join(lab.root, 'small');
    await mkdir(small);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=24k', 'tmpfs', small]);
    try {
      const error = await createBackup({ dataDir: lab.dataDir, backupDir: small }).catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: 'env:no_space', exitCode: 2, message: expect.stringContaining('No space left') });
      expect(await readdir(small)).toEqual([]);
      expect(await listBackups(small)).toEqual([]);
    } finally {
      execFileSync('umount', [small]);
    }
  });

  it('prunes snapshots past the retention, always keeping the newest', async () => {
    for (const name of ['20250101_000000', '20250601_000000', '20260101_000000']) await mkdir(path.join(lab.backupDir, name));
    await mkdir(path.join(lab.backupDir, '.tmp-20250101_000000_000-999999999'));
    const removed = await pruneBackups({ backupDir: lab.backupDir, retentionDays: 90, now: () => new Date('2026-02-01T00:00:00Z') });
    expect(removed.sort()).toEqual(['.tmp-20250101_000000_000-999999999', '20250101_000000', '20250601_000000']);
    expect((await listBackups(lab.backupDir)).map((snapshot) => snapshot.name)).toEqual(['20260101_000000']);
    const none = await pruneBackups({ backupDir: lab.backupDir, retentionDays: 1, now: () => new Date('2027-01-01T00:00:00Z') });
    expect(none).toEqual([]);
  });

  it('runs on the server schedule and logs what it did', async () => {
    const messages: string[] = [];
    const logger = {
      info: (_context: unknown, message?: string) => void messages.push(`INFO ${message}`),
      warn: (_context: unknown, message?: string) => void messages.push(`WARN ${message}`),
      error: (_context: unknown, message?: string) => void messages.push(`ERROR ${message}`),
    } as unknown as Parameters<typeof startBackupSchedule>[0]['logger'];
    const backupDir = path.join(lab.root, 'scheduled');
    const schedule = startBackupSchedule({
      config: { dataDir: lab.dataDir, backupDir, backupIntervalHours: 6, backupRetentionDays: 90 },
      logger,
    });
    await schedule.runNow();
    schedule.stop();
    expect(messages).toContain('INFO scheduled backup written');
    expect(await listBackups(backupDir)).toHaveLength(1);
  });
});

describe('snapshot (evidence)', () => {
  it('tars the data directory and the log file, without the lock files', async () => {
    const logFile = path.join(lab.root, 'logs', 'app.log');
    await mkdir(path.dirname(logFile));
    await writeFile(logFile, '2026-01-01 00:00:00.000 INFO server started\n');
    const result = await createEvidenceSnapshot({ dataDir: lab.dataDir, logFiles: [logFile, path.join(lab.root, 'none.log')], outputDir: lab.root });
    expect(path.basename(result.file)).toMatch(/^evidence-\d{8}_\d{6}\.tar\.gz$/);
    const entries: string[] = [];
    await listTar({ file: result.file, onReadEntry: (entry) => void entries.push(entry.path) });
    expect(entries).toContain('data/runs.csv');
    expect(entries).toContain(`data/sessions/${sessionIdFor(0)}.json`);
    expect(entries).toContain('logs/app.log');
    expect(entries.some((entry) => entry.includes('.agent-lab.lock'))).toBe(false);
    expect((await readdir(lab.root)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });
});

describe('the CLI', () => {
  it('check, backup, restore, rebuild-csv and snapshot as the playbook runs them; exit codes 0/1/2', async () => {
    const env = {};
    const check = await runCli({ cwd: lab.root, args: ['check'], env });
    expect(check.stdout).toContain('Valid sessions: 8, Invalid: 0');
    expect(check.code).toBe(0);
    const backup = await runCli({ cwd: lab.root, args: ['backup', '--json'], env });
    expect(backup.code).toBe(0);
    expect(JSON.parse(backup.stdout)).toMatchObject({ sessions: 8 });
    await damage();
    const damagedCheck = await runCli({ cwd: lab.root, args: ['check', '--json'], env });
    expect(damagedCheck.code).toBe(1);
    expect(JSON.parse(damagedCheck.stdout)).toMatchObject({ ok: false, sessions: { invalid: 3 } });
    const restore = await runCli({ cwd: lab.root, args: ['restore', '--type', 'sessions', '--date', today()], env });
    expect(restore.code).toBe(0);
    expect(restore.stdout).toContain('3 damaged restored');
    const rebuild = await runCli({ cwd: lab.root, args: ['rebuild-csv'], env });
    expect(rebuild.code).toBe(0);
    expect((await readFile(path.join(lab.dataDir, 'runs.csv'))).equals(originalCsv)).toBe(true);
    const snapshot = await runCli({ cwd: lab.root, args: ['snapshot'], env });
    expect(snapshot.code).toBe(0);
    expect((await readdir(lab.root)).some((name) => /^evidence-\d{8}_\d{6}\.tar\.gz$/.test(name))).toBe(true);
  });

  it('bad input gets one clear line and exit 2, and the data is left as it was', async () => {
    const before = await hashTree(lab.dataDir);
    const badDate = await runCli({ cwd: lab.root, args: ['restore', '--type', 'sessions', '--date', '2026-13-45'] });
    expect(badDate.code).toBe(2);
    expect(badDate.stderr.trim().split('\n')).toHaveLength(1);
    expect(badDate.stderr).toContain('--date "2026-13-45" is not a date in the form YYYYMMDD');
    const missingDir = await runCli({ cwd: lab.root, args: ['backup'], env: { BACKUP_DIR: './missing' } });
    expect(missingDir.code).toBe(2);
    expect(missingDir.stderr).toMatch(/^agent-lab: BACKUP_DIR .*missing does not exist: create it/);
    const unknown = await runCli({ cwd: lab.root, args: ['check', '--nope'] });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown option '--nope'");
    // A snapshot whose checksum fails: refused with exit 1.
    const made = await createBackup({ dataDir: lab.dataDir, backupDir: lab.backupDir });
    await rm(path.join(made.directory, 'runs.csv.gz'));
    await writeFile(path.join(made.directory, 'runs.csv.gz'), 'tampered');
    const refused = await runCli({ cwd: lab.root, args: ['restore', '--type', 'all', '--date', made.name.slice(0, 8), '--overwrite'] });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('Refusing to restore');
    expect(await hashTree(lab.dataDir)).toEqual(before);
  });
});

function canMountTmpfs(): boolean {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  try {
    const probe = path.join('/tmp', `agent-lab-mount-probe-${process.pid}`);
    execFileSync('mkdir', ['-p', probe]);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4k', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe]);
    execFileSync('rmdir', [probe]);
    return true;
  } catch {
    return false;
  }
}
