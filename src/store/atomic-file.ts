import { randomBytes } from 'node:crypto';
import { open, readFile, readdir, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';

/**
 * Crash-safe whole-file writes: a reader (or `python -m json.tool`) sees either the old
 * content or the new, never a mix, even after `kill -9` or power loss mid-write.
 */

/** Temporary files are hidden and end in `.tmp`, so `*.json` globs and `ls | tail` never see them. */
const TEMP_SUFFIX = '.tmp';

/** A file's content could not be parsed: it exists but is damaged. */
export class DamagedFileError extends Error {
  override readonly name = 'DamagedFileError';
  readonly file: string;

  constructor(file: string, reason: string, options: { cause?: unknown } = {}) {
    super(`${file} is damaged: ${reason}`, { cause: options.cause });
    this.file = file;
  }
}

/** The hidden temporary name used for `file` (same directory, so the rename is atomic). */
export function temporaryPathFor(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`);
}

/** fsync a directory so a rename or unlink in it survives power loss. */
export async function fsyncDirectory(directory: string): Promise<void> {
  await fsyncPath(directory);
}

/** fsync a file or directory by path (opened read-only, which Linux allows for fsync). */
export async function fsyncPath(entry: string): Promise<void> {
  const handle = await open(entry, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Replace `file` with `content` atomically: write a temporary file beside it, fsync it,
 * rename it over `file`, fsync the directory. `durable: false` skips the fsyncs (for
 * files that only matter while the machine is up, such as lock owner notes).
 * `syncDirectory: false` skips only the directory fsync, for a caller that writes several
 * files into one directory and fsyncs it once afterwards (the rename is durable only then).
 */
export async function writeFileAtomic(
  file: string,
  content: string | Uint8Array,
  options: { durable?: boolean; syncDirectory?: boolean } = {},
): Promise<void> {
  const durable = options.durable ?? true;
  const temporary = temporaryPathFor(file);
  let renamed = false;
  try {
    const handle = await open(temporary, 'wx', 0o644);
    try {
      await handle.writeFile(content);
      if (durable) await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, file);
    renamed = true;
    if (durable && (options.syncDirectory ?? true)) await fsyncDirectory(path.dirname(file));
  } finally {
    if (!renamed) await unlink(temporary).catch(ignoreMissing);
  }
}

/** Write `value` as pretty-printed JSON (with a final newline), atomically and durably. */
export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Read and parse a JSON file. A missing file rejects with the fs error (`code: 'ENOENT'`);
 * a file that is not valid JSON rejects with DamagedFileError.
 */
export async function readJsonFile(file: string): Promise<unknown> {
  const text = await readFile(file, 'utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new DamagedFileError(file, `not valid JSON (${(error as Error).message})`, { cause: error });
  }
}

/**
 * Remove temporary files this module left behind in `directory` (a process killed
 * mid-write leaves one), if older than `olderThanMs`. Returns the names removed.
 */
export async function removeStaleTemporaryFiles(
  directory: string,
  options: { olderThanMs?: number } = {},
): Promise<string[]> {
  const olderThanMs = options.olderThanMs ?? 60_000;
  const names = await readdir(directory).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [] as string[];
    throw error;
  });
  const removed: string[] = [];
  for (const name of names) {
    if (!/^\..+\.[0-9a-f]{12}\.tmp$/.test(name)) continue;
    const full = path.join(directory, name);
    let info;
    try {
      info = await stat(full);
    } catch (error) {
      ignoreMissing(error);
      continue;
    }
    if (Date.now() - info.mtimeMs < olderThanMs) continue;
    await unlink(full).catch(ignoreMissing);
    removed.push(name);
  }
  return removed;
}

/** Swallow ENOENT only: the file being gone already is the outcome we wanted. */
export function ignoreMissing(error: unknown): void {
  if ((error as NodeJS.ErrnoException | undefined)?.code !== 'ENOENT') throw error;
}
