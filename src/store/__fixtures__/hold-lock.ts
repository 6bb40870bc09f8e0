/**
 * Child process for data-lock tests: `hold-lock.ts <dataDir> hold` takes the data lock,
 * prints `locked` and keeps it until killed; `hold-lock.ts <dataDir> count <n>` adds 1 to
 * `<dataDir>/counter` n times, each a slow read-modify-write under the lock.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { withDataLock } from '../data-lock.js';

const [dataDir, mode, times] = process.argv.slice(2) as [string, string, string | undefined];

if (mode === 'hold') {
  await withDataLock(dataDir, async () => {
    process.stdout.write('locked\n');
    await new Promise(() => setInterval(() => {}, 1000));
  });
} else {
  const counter = path.join(dataDir, 'counter');
  for (let index = 0; index < Number(times); index += 1) {
    await withDataLock(dataDir, async () => {
      const value = Number(await readFile(counter, 'utf8').catch(() => '0'));
      await new Promise((resolve) => setTimeout(resolve, 2));
      await writeFile(counter, String(value + 1));
    });
  }
}
