/**
 * Checks that a path names a readable GGUF file before anything tries to load it, so a wrong
 * `LOCAL_MODEL_PATH` fails with a sentence a user can act on instead of a native error.
 */
import { open, stat } from 'node:fs/promises';
import { LabError } from '../../domain/errors.js';

const GGUF_MAGIC = 'GGUF';

/** A GGUF file that exists, is readable and starts with the GGUF magic bytes. */
export interface GgufFile {
  path: string;
  sizeBytes: number;
}

/** Throws a LabError (`provider:local_model`) when `path` is missing, not a file, or not GGUF. */
export async function checkGgufFile(path: string): Promise<GgufFile> {
  const stats = await stat(path).catch((error: unknown) => {
    throw new LabError('provider:local_model', `Local model file not found: ${path}`, { cause: error });
  });
  if (!stats.isFile()) throw new LabError('provider:local_model', `Local model path is not a file: ${path}`);
  const magic = Buffer.alloc(4);
  const handle = await open(path, 'r').catch((error: unknown) => {
    throw new LabError('provider:local_model', `Local model file cannot be read: ${path}`, { cause: error });
  });
  try {
    const { bytesRead } = await handle.read(magic, 0, 4, 0);
    if (bytesRead < 4 || magic.toString('latin1') !== GGUF_MAGIC) {
      throw new LabError('provider:local_model', `Local model file is not a GGUF model (no GGUF header): ${path}`);
    }
  } finally {
    await handle.close();
  }
  return { path, sizeBytes: stats.size };
}
