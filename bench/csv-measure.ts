import { readFile, writeFile } from 'node:fs/promises';
import { stringify } from 'csv-stringify/sync';
import { parse } from 'csv-parse/sync';
import { RUN_COLUMNS, runToCsvFields } from '../src/domain/run.js';
import { RunsCsv } from '../src/store/index.js';
import { checkRunsCsvBytes } from '../src/recovery/runs-csv-check.js';
import { sampleRun, temporaryDataDir } from '../src/store/test-support.js';

const rows = Number(process.argv[2] ?? 50_000);
const { dataDir, cleanup } = await temporaryDataDir();
const store = new RunsCsv({ dataDir });
await store.init();
const body = Array.from({ length: rows }, (_, index) => stringify([runToCsvFields(sampleRun({ run_id: `r${index}`, run_notes: index % 7 === 0 ? 'a, "quoted"\nnote' : 'plain' }))])).join('');
await writeFile(store.path, stringify([[...RUN_COLUMNS]]) + body + '2026-01-01T00:00:00Z,torn,"x');
const bytes = await readFile(store.path);
const time = async (label: string, fn: () => Promise<unknown> | unknown, times = 5) => {
  const samples: number[] = [];
  for (let i = 0; i < times; i++) {
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  console.log(`${label}: median ${samples[Math.floor(times / 2)]!.toFixed(1)} ms`);
};
await time('init (torn repair) ', async () => {
  await writeFile(store.path, bytes);
  await new RunsCsv({ dataDir }).init();
});
await time('read (fresh store)  ', () => new RunsCsv({ dataDir }).read());
await time('check bytes         ', () => checkRunsCsvBytes(bytes));
const complete = bytes.subarray(0, bytes.lastIndexOf(0x0a) + 1);
await time('csv-parse baseline  ', () => parse(complete, { relax_column_count: true }));
await time('csv-parse info+raw  ', () => parse(complete, { relax_column_count: true, info: true, raw: true }));
await cleanup();
