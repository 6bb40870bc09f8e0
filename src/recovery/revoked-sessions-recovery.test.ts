import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuth, type LabAuth } from '../server/plugins/auth.js';
import { RevokedSessionsFile } from '../store/index.js';
import { createBackup, verifyBackup } from './backup.js';
import { checkData } from './check.js';
import { restoreData } from './restore.js';
import { temporaryLab } from './test-support.js';

/**
 * Logouts (revoked-sessions.json) in backup, check and restore: a data directory restored from
 * a snapshot still refuses the cookies signed out before it, and a restore never undoes a
 * logout made after the snapshot.
 */

const TOKEN = 'backup-test-token-0123';
type SignIn = Parameters<LabAuth['authorized']>[0];

describe('logouts (revoked-sessions.json) in backup, check and restore', () => {
  let lab: Awaited<ReturnType<typeof temporaryLab>>;
  let revokedFile: string;
  /** A server process on the data directory, as it starts: revocations read from the file. */
  const startServer = async (): Promise<LabAuth> => {
    const auth = createAuth({ token: TOKEN, revocations: new RevokedSessionsFile({ dataDir: lab.dataDir }) });
    await auth.refreshRevocations();
    return auth;
  };
  const signIn = (auth: LabAuth): SignIn => ({ headers: { cookie: auth.sessionCookie({ secure: false }).split(';')[0]! } }) as SignIn;
  const dayOf = (name: string) => name.slice(0, 8);

  beforeEach(async () => {
    lab = await temporaryLab();
    revokedFile = path.join(lab.dataDir, 'revoked-sessions.json');
  });
  afterEach(async () => lab.cleanup());

  it('backup keeps the logouts; restore --type all brings a lost list back, and the signed-out cookie stays refused', async () => {
    const server = await startServer();
    const signedOut = signIn(server);
    const stillIn = signIn(server);
    expect(await server.revoke(signedOut)).toBe(true);

    const backup = await createBackup({ dataDir: lab.dataDir, backupDir: lab.backupDir });
    expect(await readdir(backup.directory)).toContain('revoked-sessions.json');
    expect((await verifyBackup({ backupDir: lab.backupDir })).ok).toBe(true);
    expect((await checkData({ dataDir: lab.dataDir })).revokedSessions).toEqual({ exists: true, ok: true, count: 1 });

    // The incident: the list is lost; a restarted server would let the signed-out cookie back in.
    await rm(revokedFile);
    expect((await startServer()).authorized(signedOut)).toBe(true);

    // Restoring the conversations alone leaves the logouts alone; `all` brings them back.
    const sessionsOnly = await restoreData({ dataDir: lab.dataDir, backupDir: lab.backupDir, type: 'sessions', date: dayOf(backup.name) });
    expect(sessionsOnly.files.map((file) => file.file)).not.toContain('revoked-sessions.json');
    const all = await restoreData({ dataDir: lab.dataDir, backupDir: lab.backupDir, type: 'all', date: dayOf(backup.name) });
    expect(all.files).toContainEqual({ file: 'revoked-sessions.json', action: 'restore-missing' });

    const restarted = await startServer();
    expect(restarted.authorized(signedOut)).toBe(false);
    expect(restarted.authorized(stillIn)).toBe(true);
  });

  it('restore merges the snapshot\'s logouts with those made since, even with --overwrite, keeping a copy of the list it replaced', async () => {
    const server = await startServer();
    const before = signIn(server);
    const after = signIn(server);
    await server.revoke(before);
    const backup = await createBackup({ dataDir: lab.dataDir, backupDir: lab.backupDir });

    // The list is lost, then someone signs out again: the file now holds only the newer logout.
    await rm(revokedFile);
    const server2 = await startServer();
    await server2.revoke(after);
    const newerList = await readFile(revokedFile);

    const dry = await restoreData({ dataDir: lab.dataDir, backupDir: lab.backupDir, type: 'all', date: dayOf(backup.name), overwrite: true, dryRun: true });
    expect(dry.files).toContainEqual(expect.objectContaining({ file: 'revoked-sessions.json', action: 'merged' }));
    expect(await readFile(revokedFile)).toEqual(newerList);

    const result = await restoreData({ dataDir: lab.dataDir, backupDir: lab.backupDir, type: 'all', date: dayOf(backup.name), overwrite: true });
    expect(result.counts.merged).toBe(1);
    expect(await readFile(path.join(result.preRestoreDirectory!, 'revoked-sessions.json'))).toEqual(newerList);
    const restarted = await startServer();
    expect(restarted.authorized(before)).toBe(false);
    expect(restarted.authorized(after)).toBe(false);
    expect((await checkData({ dataDir: lab.dataDir })).revokedSessions).toEqual({ exists: true, ok: true, count: 2 });

    // Nothing left to add: a second restore leaves the list as it is.
    const merged = await readFile(revokedFile);
    const again = await restoreData({ dataDir: lab.dataDir, backupDir: lab.backupDir, type: 'all', date: dayOf(backup.name), overwrite: true });
    expect(again.files).toContainEqual(expect.objectContaining({ file: 'revoked-sessions.json', action: 'unchanged' }));
    expect(await readFile(revokedFile)).toEqual(merged);
  });

  it('check reports a damaged list (logouts not enforced) and restore replaces it with the snapshot\'s', async () => {
    const server = await startServer();
    const signedOut = signIn(server);
    await server.revoke(signedOut);
    const backup = await createBackup({ dataDir: lab.dataDir, backupDir: lab.backupDir });

    await writeFile(revokedFile, '{"revoked": [{"id": "x"');
    const report = await checkData({ dataDir: lab.dataDir });
    expect(report.ok).toBe(false);
    expect(report.revokedSessions).toEqual({ exists: true, ok: false, count: 0 });
    expect(report.problems).toContainEqual(expect.objectContaining({ file: 'revoked-sessions.json', message: expect.stringContaining('logouts are not enforced') }));
    await writeFile(revokedFile, JSON.stringify({ revoked: [{ id: 'x', expires_at: 'tomorrow' }] }));
    expect((await checkData({ dataDir: lab.dataDir })).problems).toContainEqual(expect.objectContaining({ file: 'revoked-sessions.json', message: expect.stringContaining('revoked.0.expires_at') }));

    const result = await restoreData({ dataDir: lab.dataDir, backupDir: lab.backupDir, type: 'all', date: dayOf(backup.name) });
    expect(result.files).toContainEqual(expect.objectContaining({ file: 'revoked-sessions.json', action: 'restore-damaged' }));
    expect((await checkData({ dataDir: lab.dataDir })).ok).toBe(true);
    expect((await startServer()).authorized(signedOut)).toBe(false);
  });
});
