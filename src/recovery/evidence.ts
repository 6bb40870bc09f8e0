import { rename, stat } from 'node:fs/promises';
import path from 'node:path';
import { create as createTar } from 'tar';
import { DATA_LOCK_NAME } from '../store/index.js';
import { assertDataDir } from './check.js';
import { removeTree } from './file-utils.js';
import { withRecoveryLock } from './lock.js';
import { noProgress, type ProgressCallback } from './progress.js';
import { fromFileSystemError } from './recovery-error.js';
import { formatStamp } from './timestamp.js';

/**
 * `snapshot`: `evidence-<YYYYMMDD_HHMMSS>.tar.gz` of the data directory and the log files,
 * for forensics. Inside, the data directory is `data/` and the logs `logs/<name>`, wherever
 * they live. Taken under the data lock, so no write is half done inside it; written under a
 * temporary name and renamed, so a failed run leaves no partial tarball.
 */

export interface EvidenceResult {
  file: string;
  bytes: number;
  entries: number;
  /** Log files included (absolute paths). */
  logs: string[];
}

export async function createEvidenceSnapshot(options: {
  dataDir: string;
  /** Log files to include when they exist (LOG_FILE, ACCESS_LOG). */
  logFiles: string[];
  /** Where the tarball goes; the working directory by default. */
  outputDir?: string;
  now?: () => Date;
  onProgress?: ProgressCallback;
}): Promise<EvidenceResult> {
  const dataDir = path.resolve(options.dataDir);
  const outputDir = path.resolve(options.outputDir ?? process.cwd());
  const onProgress = options.onProgress ?? noProgress;
  await assertDataDir(dataDir);
  const logs: string[] = [];
  for (const file of options.logFiles) {
    const info = await stat(file).catch(() => undefined);
    if (info?.isFile() && !logs.includes(path.resolve(file))) logs.push(path.resolve(file));
  }
  const lockPath = path.join(dataDir, DATA_LOCK_NAME);

  return withRecoveryLock(dataDir, async () => {
    let date = (options.now ?? (() => new Date()))();
    let name = `evidence-${formatStamp(date)}.tar.gz`;
    while (await stat(path.join(outputDir, name)).then(() => true, () => false)) {
      date = new Date(date.getTime() + 1000);
      name = `evidence-${formatStamp(date)}.tar.gz`;
    }
    const temporary = path.join(outputDir, `.${name}.${process.pid}.tmp`);
    let entries = 0;
    try {
      await createTar(
        {
          gzip: true,
          file: temporary,
          cwd: path.dirname(dataDir),
          portable: true,
          filter: (entryPath) => {
            const absolute = path.resolve(path.dirname(dataDir), entryPath);
            // The lock and its notes (`.agent-lab.lock*`) are the tools' own, not evidence.
            return !(path.dirname(absolute) === dataDir && path.basename(absolute).startsWith(DATA_LOCK_NAME)) && !absolute.startsWith(`${lockPath}${path.sep}`);
          },
          onWriteEntry: (entry) => {
            const absolute = path.resolve(entry.absolute);
            if (logs.includes(absolute)) {
              entry.path = `logs/${path.basename(absolute)}`;
            } else {
              const relative = path.relative(dataDir, absolute);
              entry.path = relative === '' ? 'data/' : `data/${relative.split(path.sep).join('/')}${entry.type === 'Directory' ? '/' : ''}`;
            }
            entries += 1;
            onProgress({ phase: 'snapshot', done: entries, total: 0 });
          },
        },
        [path.basename(dataDir), ...logs],
      );
      await rename(temporary, path.join(outputDir, name));
    } catch (error) {
      await removeTree(temporary);
      throw fromFileSystemError(error, { action: 'write the evidence tarball in', path: outputDir });
    }
    const info = await stat(path.join(outputDir, name));
    return { file: path.join(outputDir, name), bytes: info.size, entries, logs };
  });
}
