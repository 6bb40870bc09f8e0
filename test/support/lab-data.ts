import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';

/** The rows of `<dataDir>/runs.csv`, keyed by the header. */
export async function runsCsvRows(dataDir: string): Promise<Record<string, string>[]> {
  return parse(await readFile(path.join(dataDir, 'runs.csv'), 'utf8'), { columns: true });
}

/** Poll `probe` every 20 ms until it gives a value (not undefined); throws after `timeoutMs`. */
export async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
