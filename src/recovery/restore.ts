import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzip as gunzipCallback } from 'node:zlib';
import { REVOKED_SESSIONS_FILE, writeFileAtomic, writeJsonAtomic } from '../store/index.js';
import { checkAgentsBytes } from './agents-check.js';
import { resolveInside } from './contained-path.js';
import { assertBackupDir, listBackups, readBackupManifest, verifySnapshot, type BackupFileEntry, type SnapshotInfo } from './backup.js';
import { assertDataDir, readIfExists } from './check.js';
import { dataPaths } from './data-paths.js';
import { makeStampedDirectory, sha256, writeNewFile } from './file-utils.js';
import { withRecoveryLock } from './lock.js';
import { noProgress, type ProgressCallback } from './progress.js';
import { fromFileSystemError, RecoveryError } from './recovery-error.js';
import { checkRunsCsvBytes } from './runs-csv-check.js';
import { checkRevokedSessionsBytes, mergeRevocations } from './revoked-sessions-check.js';
import { checkScoresCsvBytes } from './scores-csv-check.js';
import { checkSessionBytes } from './session-check.js';
import { formatStamp, parseDateArgument, parseTimeArgument } from './timestamp.js';

/**
 * `restore`: bring files back from a snapshot. It picks the newest snapshot of a UTC day
 * (or the one named by `--time`), verifies every checksum before touching anything,
 * copies what it replaces to `data/quarantined/pre-restore-<timestamp>/`, and restores
 * missing and damaged files (every differing file with `overwrite`). `all` also brings back the
 * logouts (revoked-sessions.json), merged with the current ones so no logout is ever undone.
 */

const gunzip = promisify(gunzipCallback);

export const RESTORE_TYPES = ['sessions', 'telemetry', 'scores', 'agents', 'all'] as const;
export type RestoreType = (typeof RESTORE_TYPES)[number];

/** What restore does (or would do) with one file. */
export type RestoreAction =
  | 'restore-missing'
  | 'restore-damaged'
  | 'overwrite'
  | 'unchanged'
  /** The data file is valid and differs from the snapshot: kept (use overwrite to replace). */
  | 'kept'
  /** The snapshot's own copy is damaged (it was backed up damaged): never restored. */
  | 'snapshot-damaged'
  /** revoked-sessions.json: the snapshot's unexpired logouts added to the current ones (never replaced). */
  | 'merged';

export interface RestoreFileOutcome {
  /** Path relative to the data directory (`sessions/x.json`, `runs.csv`, `scores.csv`, `agents.json`, `revoked-sessions.json`). */
  file: string;
  action: RestoreAction;
  /** Why a damaged file counted as damaged. */
  reason?: string;
}

export interface RestoreResult {
  dryRun: boolean;
  snapshot: string;
  snapshotDirectory: string;
  verifiedFiles: number;
  types: Array<Exclude<RestoreType, 'all'>>;
  files: RestoreFileOutcome[];
  counts: Record<RestoreAction, number>;
  /** Where the replaced files were copied; undefined when nothing was replaced (or dry run). */
  preRestoreDirectory: string | undefined;
  /** Rows of a replaced runs.csv that the snapshot's copy lacks (kept in the pre-restore copy). */
  runsCsvRowsNotInSnapshot: number;
}

/** Validate a `--type` value. */
export function parseRestoreType(value: string): RestoreType {
  const trimmed = value.trim().toLowerCase();
  if (!(RESTORE_TYPES as readonly string[]).includes(trimmed)) {
    throw new RecoveryError('usage:type', `--type "${value}" is not one of ${RESTORE_TYPES.join('|')}`, {
      hint: 'sessions restores data/sessions, telemetry runs.csv, scores scores.csv, agents agents.json, all every one and the logouts',
    });
  }
  return trimmed as RestoreType;
}

/** The snapshot restore uses: the one at `date`+`time`, or the newest of `date`. */
export async function chooseSnapshot(options: { backupDir: string; date: string; time?: string }): Promise<SnapshotInfo> {
  const date = parseDateArgument(options.date);
  const time = options.time === undefined ? undefined : parseTimeArgument(options.time);
  await assertBackupDir(options.backupDir, { writable: false });
  const snapshots = await listBackups(options.backupDir);
  const ofDay = snapshots.filter((snapshot) => snapshot.name.startsWith(`${date}_`));
  const chosen = time === undefined ? ofDay[ofDay.length - 1] : ofDay.find((snapshot) => snapshot.name === `${date}_${time}`);
  if (chosen) return chosen;
  const newest = snapshots[snapshots.length - 1];
  const available = ofDay.length > 0 ? ` (that day has ${ofDay.map((snapshot) => snapshot.name.slice(9)).join(', ')})` : '';
  throw new RecoveryError(
    'not_found:snapshot',
    time === undefined
      ? `There is no snapshot of ${date} (UTC) in ${options.backupDir}`
      : `There is no snapshot ${date}_${time} in ${options.backupDir}${available}`,
    {
      hint: newest
        ? `the newest is ${newest.name}; pick a day and time listed by \`ls ${options.backupDir}\``
        : 'no snapshot exists yet; make one with `npx --no-install agent-lab backup`',
    },
  );
}

interface PlannedFile {
  entry: BackupFileEntry;
  /** Path relative to the data directory. */
  target: string;
  kind: 'session' | 'telemetry' | 'scores' | 'agents' | 'logouts';
}

/** The snapshot's files the chosen types restore; `all` (and only `all`) includes the logouts. */
function plannedFiles(files: BackupFileEntry[], types: Set<string>): PlannedFile[] {
  const planned: PlannedFile[] = [];
  for (const entry of files) {
    if (entry.path.startsWith('sessions/') && types.has('sessions')) {
      planned.push({ entry, target: entry.path, kind: 'session' });
    } else if (entry.path === 'runs.csv.gz' && types.has('telemetry')) {
      planned.push({ entry, target: entry.restores_to ?? 'runs.csv', kind: 'telemetry' });
    } else if (entry.path === 'scores.csv.gz' && types.has('scores')) {
      planned.push({ entry, target: entry.restores_to ?? 'scores.csv', kind: 'scores' });
    } else if ((entry.path === 'agents.json' || entry.path.startsWith('agents/')) && types.has('agents')) {
      planned.push({ entry, target: entry.path, kind: 'agents' });
    } else if (entry.path === REVOKED_SESSIONS_FILE && types.has('all')) {
      planned.push({ entry, target: entry.path, kind: 'logouts' });
    }
  }
  return planned;
}

/** Why the data file's current bytes count as damaged, or undefined when they are fine. */
function damageOf(kind: PlannedFile['kind'], bytes: Buffer): string | undefined {
  if (kind === 'session') return checkSessionBytes(bytes)?.message;
  if (kind === 'telemetry' || kind === 'scores') {
    const check = kind === 'telemetry' ? checkRunsCsvBytes(bytes) : checkScoresCsvBytes(bytes);
    return check.problems.length > 0 ? `${check.problems.length} problem(s), first: line ${check.problems[0]!.line}: ${check.problems[0]!.message}` : undefined;
  }
  if (kind === 'logouts') return checkRevokedSessionsBytes(bytes).problem?.message;
  return checkAgentsBytes(bytes).problem?.message;
}

function decide(options: {
  planned: PlannedFile;
  current: Buffer | undefined;
  snapshotContentHash: string;
  overwrite: boolean;
}): RestoreFileOutcome {
  const { planned, current } = options;
  if (current === undefined) return { file: planned.target, action: 'restore-missing' };
  if (sha256(current) === options.snapshotContentHash) return { file: planned.target, action: 'unchanged' };
  const damage = damageOf(planned.kind, current);
  if (damage) return { file: planned.target, action: 'restore-damaged', reason: damage };
  return { file: planned.target, action: options.overwrite ? 'overwrite' : 'kept' };
}

const WRITES = new Set<RestoreAction>(['restore-missing', 'restore-damaged', 'overwrite', 'merged']);

/** Restore from a snapshot. Refuses (RecoveryError) before changing anything when a checksum fails. */
export async function restoreData(options: {
  dataDir: string;
  backupDir: string;
  type: RestoreType | string;
  date: string;
  time?: string;
  dryRun?: boolean;
  overwrite?: boolean;
  now?: () => Date;
  onProgress?: ProgressCallback;
}): Promise<RestoreResult> {
  const type = parseRestoreType(options.type);
  const now = options.now ?? (() => new Date());
  const onProgress = options.onProgress ?? noProgress;
  const backupDir = path.resolve(options.backupDir);
  const snapshot = await chooseSnapshot({ backupDir, date: options.date, ...(options.time === undefined ? {} : { time: options.time }) });
  const paths = dataPaths(options.dataDir);
  await assertDataDir(paths.dataDir);

  const verified = await verifySnapshot(snapshot, onProgress);
  if (!verified.ok) {
    const first = verified.problems.slice(0, 3).map((problem) => `${problem.file} ${problem.message}`).join('; ');
    const more = verified.problems.length > 3 ? ` (and ${verified.problems.length - 3} more)` : '';
    throw new RecoveryError('integrity:checksum', `Refusing to restore from ${snapshot.name}: ${first}${more}; nothing was changed`, {
      hint: 'pick another snapshot with --time or an earlier --date (`agent-lab backup --verify NAME` checks one)',
    });
  }
  const manifest = await readBackupManifest(snapshot.directory);
  const types = type === 'all' ? (['sessions', 'telemetry', 'scores', 'agents'] as const) : ([type] as const);
  const planned = plannedFiles(manifest.files, new Set<string>([type, ...types]));
  const overwrite = options.overwrite ?? false;

  // The snapshot's bytes (decompressed for runs.csv), already verified against the manifest.
  const contentOf = async (file: PlannedFile): Promise<Buffer> => {
    const source = await resolveInside({ root: snapshot.directory, relative: file.entry.path, what: `the snapshot ${snapshot.name}` });
    const bytes = await readFile(source);
    if (sha256(bytes) !== file.entry.sha256) {
      throw new RecoveryError('integrity:checksum', `Refusing to restore ${file.entry.path}: it changed after verification`);
    }
    return file.entry.path.endsWith('.gz') ? gunzip(bytes) : bytes;
  };
  const contentHash = (file: PlannedFile) => file.entry.content_sha256 ?? file.entry.sha256;

  /** Decide for every file; the snapshot's content of each file to write comes along. */
  const plan = async (): Promise<{ outcomes: RestoreFileOutcome[]; contents: Map<string, Buffer> }> => {
    const outcomes: RestoreFileOutcome[] = [];
    const contents = new Map<string, Buffer>();
    // Every target must land inside DATA_DIR before any file is read or written.
    for (const file of planned) await resolveInside({ root: paths.dataDir, relative: file.target, what: 'DATA_DIR' });
    let done = 0;
    for (const file of planned) {
      const current = await readIfExists(path.join(paths.dataDir, file.target));
      let outcome = decide({ planned: file, current, snapshotContentHash: contentHash(file), overwrite });
      if (file.kind === 'logouts' && current !== undefined && (outcome.action === 'kept' || outcome.action === 'overwrite')) {
        // A valid list of logouts is never replaced (that would undo logouts made since): merged.
        const snapshotCopy = await contentOf(file);
        const damage = damageOf(file.kind, snapshotCopy);
        if (damage) {
          outcome = { file: file.target, action: 'snapshot-damaged', reason: `the snapshot's copy: ${damage}` };
        } else {
          const merged = mergeRevocations({
            current: checkRevokedSessionsBytes(current).entries,
            snapshot: checkRevokedSessionsBytes(snapshotCopy).entries,
            now: now().getTime(),
          });
          if (merged.added === 0) {
            outcome = { file: file.target, action: 'unchanged', reason: 'already holds every unexpired logout of the snapshot' };
          } else {
            outcome = { file: file.target, action: 'merged', reason: `${merged.added} logout(s) of the snapshot added to the current ones` };
            contents.set(file.target, Buffer.from(`${JSON.stringify({ revoked: merged.entries }, null, 2)}\n`));
          }
        }
      } else if (WRITES.has(outcome.action)) {
        const content = await contentOf(file);
        const damage = damageOf(file.kind, content);
        if (damage) outcome = { file: file.target, action: 'snapshot-damaged', reason: `the snapshot's copy: ${damage}` };
        else contents.set(file.target, content);
      }
      outcomes.push(outcome);
      done += 1;
      onProgress({ phase: 'compare', done, total: planned.length });
    }
    return { outcomes, contents };
  };

  const summarise = (files: RestoreFileOutcome[], extra: Partial<RestoreResult>): RestoreResult => {
    const counts: Record<RestoreAction, number> = {
      'restore-missing': 0,
      'restore-damaged': 0,
      overwrite: 0,
      unchanged: 0,
      kept: 0,
      'snapshot-damaged': 0,
      merged: 0,
    };
    for (const file of files) counts[file.action] += 1;
    return {
      dryRun: options.dryRun ?? false,
      snapshot: snapshot.name,
      snapshotDirectory: snapshot.directory,
      verifiedFiles: verified.checked,
      types: [...types],
      files,
      counts,
      preRestoreDirectory: undefined,
      runsCsvRowsNotInSnapshot: 0,
      ...extra,
    };
  };

  if (options.dryRun) return summarise((await plan()).outcomes, {});

  return withRecoveryLock(paths.dataDir, async () => {
    // Decide under the lock, so a file the server wrote a moment ago is judged as it is now.
    const { outcomes, contents } = await plan();
    const decisions = planned.map((file, index) => ({ file, action: outcomes[index]!.action }));
    const writes = decisions.filter((decision) => WRITES.has(decision.action)).map((decision) => decision.file);
    const replaced = decisions.filter((decision) => WRITES.has(decision.action) && decision.action !== 'restore-missing').map((decision) => decision.file);
    if (writes.length === 0) return summarise(outcomes, {});

    let preRestoreDirectory: string | undefined;
    let runsCsvRowsNotInSnapshot = 0;
    const stamp = now();
    try {
      const created = await makeStampedDirectory({ parent: paths.quarantineDir, date: stamp, format: formatStamp, prefix: 'pre-restore-' });
      preRestoreDirectory = created.directory;
      for (const file of replaced) {
        const current = await readIfExists(path.join(paths.dataDir, file.target));
        if (current === undefined) continue;
        const copy = path.join(preRestoreDirectory, file.target);
        await mkdir(path.dirname(copy), { recursive: true });
        await writeNewFile(copy, current);
        if (file.kind === 'telemetry') runsCsvRowsNotInSnapshot = rowsMissingFrom(current, contents.get(file.target)!);
      }
      await writeJsonAtomic(path.join(preRestoreDirectory, 'manifest.json'), {
        tool: 'agent-lab restore',
        created_at: stamp.toISOString(),
        snapshot: snapshot.name,
        snapshot_directory: snapshot.directory,
        types,
        overwrite,
        files: outcomes.filter((outcome) => WRITES.has(outcome.action)),
        note: 'Copies of the files restore replaced, as they were before it ran.',
      });
      let written = 0;
      for (const file of writes) {
        const target = path.join(paths.dataDir, file.target);
        await mkdir(path.dirname(target), { recursive: true });
        await writeFileAtomic(target, contents.get(file.target)!);
        written += 1;
        onProgress({ phase: 'restore', done: written, total: writes.length });
      }
    } catch (error) {
      throw fromFileSystemError(error, { action: 'restore into', path: paths.dataDir });
    }
    return summarise(outcomes, { preRestoreDirectory, runsCsvRowsNotInSnapshot });
  });
}

/** How many well-formed records of `current` runs.csv are not in the snapshot's copy (by exact bytes). */
function rowsMissingFrom(current: Buffer, snapshotCopy: Buffer): number {
  const inSnapshot = new Set(checkRunsCsvBytes(snapshotCopy).records.map((entry) => entry.record.raw.toString('latin1')));
  return checkRunsCsvBytes(current).records.filter(
    (entry) => entry.problems.length === 0 && !inSnapshot.has(entry.record.raw.toString('latin1')),
  ).length;
}
