import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Test helpers for the store's tests (not part of the store's API). */

/** A fresh temporary data directory; `cleanup` removes it. */
export async function temporaryDataDir(): Promise<{ dataDir: string; cleanup: () => Promise<void> }> {
  const root = await mkdtemp(path.join(tmpdir(), 'agent-lab-store-'));
  return { dataDir: path.join(root, 'data'), cleanup: () => rm(root, { recursive: true, force: true }) };
}

/** The tests' sample run record (src/domain/sample-run.ts). */
export { sampleRun } from '../domain/sample-run.js';
