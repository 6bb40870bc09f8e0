import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, link, mkdir, open, rename, rm, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { fsyncDirectory } from '../store/index.js';

/** Small file helpers the recovery tools share: checksums, durable copies, unique names. */

/** SHA-256 of bytes, hex. */
export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** SHA-256 of a file, streamed (hex). */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Write bytes to a new file (fails if it exists) and fsync it. */
export async function writeNewFile(file: string, bytes: Uint8Array): Promise<void> {
  const handle = await open(file, 'wx', 0o644);
  let ok = false;
  try {
    await handle.writeFile(bytes);
    await handle.sync();
    ok = true;
  } finally {
    await handle.close();
    if (!ok) await unlink(file).catch(() => undefined);
  }
}

/** Move a file; across file systems, copy then remove (the copy is fsynced first). */
export async function moveFile(from: string, to: string): Promise<void> {
  await mkdir(path.dirname(to), { recursive: true });
  try {
    await rename(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    await copyFile(from, to);
    const handle = await open(to, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await unlink(from);
  }
}

/** Hard-link `from` to `to`, or copy when links are not possible (another file system). */
export async function linkOrCopy(from: string, to: string): Promise<'linked' | 'copied'> {
  try {
    await link(from, to);
    return 'linked';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'EMLINK' && code !== 'ENOTSUP') throw error;
    await copyFile(from, to);
    return 'copied';
  }
}

/** True when `file` exists. */
export async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/**
 * Create a new directory named by a UTC stamp inside `parent`; if the name is taken (two
 * runs in one second), the next free second's name is used.
 */
export async function makeStampedDirectory(options: {
  parent: string;
  date: Date;
  format: (date: Date) => string;
  prefix?: string;
}): Promise<{ directory: string; name: string; date: Date }> {
  await mkdir(options.parent, { recursive: true });
  let date = options.date;
  for (let attempt = 0; attempt < 120; attempt += 1) {
    const name = `${options.prefix ?? ''}${options.format(date)}`;
    const directory = path.join(options.parent, name);
    try {
      await mkdir(directory);
      return { directory, name, date };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      date = new Date(date.getTime() + 1000);
    }
  }
  throw new Error(`Could not find a free directory name in ${options.parent}`);
}

/** Remove a directory tree this tool created (a temporary snapshot), never throwing. */
export async function removeTree(directory: string): Promise<void> {
  await rm(directory, { recursive: true, force: true }).catch(() => undefined);
}

export { fsyncDirectory };
