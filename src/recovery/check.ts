import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { dataPaths, isSessionFileName } from './data-paths.js';
import { withRecoveryLock } from './lock.js';
import { mapLimit } from './parallel.js';
import { noProgress, type ProgressCallback } from './progress.js';
import { fromFileSystemError, RecoveryError } from './recovery-error.js';
import { checkRunsCsvBytes, type RunsCsvCheck } from './runs-csv-check.js';
import { checkScoresCsvBytes } from './scores-csv-check.js';
import { checkSessionBytes, type SessionProblem } from './session-check.js';
import { checkAgentsBytes } from './agents-check.js';
import { checkRevokedSessionsBytes, unexpiredRevocations } from './revoked-sessions-check.js';

/**
 * `check`: validate every session file, runs.csv and scores.csv (and agents.json and revoked-sessions.json), as the playbook's
 * integrity scripts do, but with the lab's own schema and column types.
 */

/** One problem found, with the file and (when known) the line. */
export interface CheckProblem {
  /** Path relative to the data directory, e.g. `sessions/x.json` or `runs.csv`. */
  file: string;
  line?: number;
  kind: string;
  message: string;
}

export interface CheckReport {
  dataDir: string;
  ok: boolean;
  sessions: { checked: number; valid: number; invalid: number; invalidFiles: string[] };
  runsCsv: { exists: boolean; headerOk: boolean; rowsChecked: number; damagedRows: number };
  scoresCsv: { exists: boolean; headerOk: boolean; rowsChecked: number; damagedRows: number };
  agents: { exists: boolean; ok: boolean; count: number };
  /** The logouts (revoked-sessions.json): `count` those whose cookie has not expired yet. */
  revokedSessions: { exists: boolean; ok: boolean; count: number };
  problems: CheckProblem[];
  warnings: string[];
}

/** Session file names in `sessionsDir` (sorted); none when the folder does not exist. */
export async function listSessionFiles(sessionsDir: string): Promise<string[]> {
  try {
    const entries = await readdir(sessionsDir, { withFileTypes: true });
    return entries
      .filter((entry) => entry.isFile() && isSessionFileName(entry.name))
      .map((entry) => entry.name)
      .sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw fromFileSystemError(error, { action: 'list', path: sessionsDir });
  }
}

/** Read a file, or undefined when it does not exist. */
export async function readIfExists(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fromFileSystemError(error, { action: 'read', path: file });
  }
}

/** Refuse (one clear line) when the data directory does not exist or is not a directory. */
export async function assertDataDir(dataDir: string): Promise<void> {
  let info;
  try {
    info = await stat(dataDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new RecoveryError('not_found:data', `The data directory ${dataDir} does not exist`, {
        cause: error,
        hint: "run the command from the lab's working directory, or set DATA_DIR",
      });
    }
    throw fromFileSystemError(error, { action: 'open', path: dataDir });
  }
  if (!info.isDirectory()) {
    throw new RecoveryError('not_found:data', `The data directory ${dataDir} is not a directory`, {
      hint: 'set DATA_DIR to the folder holding runs.csv and sessions/',
    });
  }
}

/** Check the sessions folder: each file's problem, or undefined when valid. */
export async function checkSessions(options: {
  sessionsDir: string;
  onProgress?: ProgressCallback;
  concurrency?: number;
}): Promise<Array<{ name: string; problem: SessionProblem | undefined }>> {
  const onProgress = options.onProgress ?? noProgress;
  const names = await listSessionFiles(options.sessionsDir);
  let done = 0;
  onProgress({ phase: 'sessions', done, total: names.length });
  return mapLimit(names, { concurrency: options.concurrency ?? 32 }, async (name) => {
    let problem: SessionProblem | undefined;
    try {
      problem = checkSessionBytes(await readFile(path.join(options.sessionsDir, name)));
    } catch (error) {
      // Vanished between listing and reading: the server deleted the session.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') problem = undefined;
      else problem = { kind: 'encoding', message: `cannot be read (${(error as Error).message})` };
    }
    done += 1;
    onProgress({ phase: 'sessions', done, total: names.length });
    return { name, problem };
  });
}

/** A CSV file's problems as check reports them (the header, or `record N: ...`). */
function csvProblems(file: string, csv: RunsCsvCheck): CheckProblem[] {
  return csv.problems.map((problem) => ({
    file,
    line: problem.line,
    kind: problem.record === 0 ? 'csv:header' : 'csv:record',
    message: problem.record === 0 ? problem.message : `record ${problem.record}: ${problem.message}`,
  }));
}

/** Run every check on the data directory. Read-only; holds the data lock only to read runs.csv. */
export async function checkData(options: { dataDir: string; onProgress?: ProgressCallback; now?: () => Date }): Promise<CheckReport> {
  const paths = dataPaths(options.dataDir);
  const onProgress = options.onProgress ?? noProgress;
  await assertDataDir(paths.dataDir);
  const problems: CheckProblem[] = [];
  const warnings: string[] = [];

  const sessionResults = await checkSessions({ sessionsDir: paths.sessionsDir, onProgress });
  const invalidFiles: string[] = [];
  for (const { name, problem } of sessionResults) {
    if (!problem) continue;
    invalidFiles.push(name);
    problems.push({
      file: `sessions/${name}`,
      ...(problem.line === undefined ? {} : { line: problem.line }),
      kind: `session:${problem.kind}`,
      message: problem.message,
    });
  }

  onProgress({ phase: 'runs.csv', done: 0, total: 1 });
  // Under the data lock, so an append in flight is never mistaken for a torn record.
  const { csvBytes, scoresBytes } = await withRecoveryLock(paths.dataDir, async () => ({
    csvBytes: await readIfExists(paths.runsCsv),
    scoresBytes: await readIfExists(paths.scoresCsv),
  }));
  let csv: RunsCsvCheck | undefined;
  if (csvBytes === undefined) {
    warnings.push('runs.csv does not exist (the server creates it at start-up)');
  } else {
    csv = checkRunsCsvBytes(csvBytes);
    warnings.push(...csv.warnings);
    problems.push(...csvProblems('runs.csv', csv));
  }
  onProgress({ phase: 'runs.csv', done: 1, total: 1 });

  // A lab from before evaluations has no scores.csv yet: the server creates it at start-up.
  const scores = scoresBytes === undefined ? undefined : checkScoresCsvBytes(scoresBytes);
  if (scores) {
    warnings.push(...scores.warnings);
    problems.push(...csvProblems('scores.csv', scores));
  }

  const agentsBytes = await readIfExists(paths.agentsJson);
  const agents = agentsBytes === undefined ? undefined : checkAgentsBytes(agentsBytes);
  if (agents?.problem) problems.push({ file: 'agents.json', kind: 'agents', message: agents.problem.message });
  if (agents && agents.invalidEntries > 0) {
    warnings.push(`agents.json has ${agents.invalidEntries} entries the lab cannot read (they are kept, but not listed)`);
  }

  const revokedBytes = await readIfExists(paths.revokedSessionsJson);
  const revoked = revokedBytes === undefined ? undefined : checkRevokedSessionsBytes(revokedBytes);
  if (revoked?.problem) {
    problems.push({ file: 'revoked-sessions.json', kind: 'revoked-sessions', message: `${revoked.problem.message}: logouts are not enforced until it is restored` });
  }
  const now = (options.now ?? (() => new Date()))().getTime();

  return {
    dataDir: paths.dataDir,
    ok: problems.length === 0,
    sessions: {
      checked: sessionResults.length,
      valid: sessionResults.length - invalidFiles.length,
      invalid: invalidFiles.length,
      invalidFiles,
    },
    runsCsv: {
      exists: csvBytes !== undefined,
      headerOk: csv?.headerOk ?? false,
      rowsChecked: csv?.rowsChecked ?? 0,
      damagedRows: csv?.damagedRows ?? 0,
    },
    scoresCsv: {
      exists: scoresBytes !== undefined,
      headerOk: scores?.headerOk ?? false,
      rowsChecked: scores?.rowsChecked ?? 0,
      damagedRows: scores?.damagedRows ?? 0,
    },
    agents: { exists: agentsBytes !== undefined, ok: agents?.problem === undefined, count: agents?.agents ?? 0 },
    revokedSessions: { exists: revokedBytes !== undefined, ok: revoked?.problem === undefined, count: unexpiredRevocations(revoked?.entries ?? [], now).length },
    problems,
    warnings,
  };
}
