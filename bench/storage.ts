import { constants } from 'node:fs';
import { mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { parse } from 'csv-parse/sync';
import { RUN_COLUMNS, runToCsvFields } from '../src/domain/run.js';
import { encodeCsvRecord, encodeCsvRecords, RunsCsv, SessionStore } from '../src/store/index.js';
import { sampleRun, temporaryDataDir } from '../src/store/test-support.js';
import { runRecoveryBench } from './recovery.js';
import { count, goalCell, ms, ratio, span, type Row, type SectionReport } from './support/report.js';
import { percentile, timed } from './support/stats.js';

/**
 * Storage: runs.csv rows/s with 100 runs finishing at once (every row fsynced) through
 * RunsCsv.append vs a plain appendFile+fsync; session save p50/p95 over a 200-turn session
 * (SessionStore.appendTurn) vs writing the same bytes; `check` and `backup` over 10,000
 * sessions (bench/recovery.ts).
 */

const ANSWER = 'The quick brown fox jumps over the lazy dog. '.repeat(12);

/** One plain append of `line` with fsync, no lock: what a minimal durable logger does. */
async function plainAppend(file: string, line: string): Promise<void> {
  const handle = await open(file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT);
  try {
    await handle.write(line);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function runsCsvRates(options: { concurrent: number; rounds: number }): Promise<{ lab: number[]; plain: number[]; plainSerial: number[] }> {
  const { dataDir, cleanup } = await temporaryDataDir();
  const lab: number[] = [];
  const plain: number[] = [];
  const plainSerial: number[] = [];
  try {
    const csv = new RunsCsv({ dataDir });
    await csv.init();
    const plainFile = path.join(dataDir, 'plain.csv');
    const line = `${JSON.stringify(sampleRun()).replace(/[{}"]/g, '')}\n`;
    await csv.append(sampleRun({ run_id: 'warm-up' }));
    await plainAppend(plainFile, line);
    for (let round = 0; round < options.rounds; round++) {
      const labRound = await timed(() => Promise.all(Array.from({ length: options.concurrent }, (_, index) => csv.append(sampleRun({ run_id: `r${round}-${index}` })))));
      lab.push(options.concurrent / (labRound.ms / 1000));
      const plainRound = await timed(() => Promise.all(Array.from({ length: options.concurrent }, () => plainAppend(plainFile, line))));
      plain.push(options.concurrent / (plainRound.ms / 1000));
      const serialRound = await timed(async () => {
        for (let index = 0; index < options.concurrent; index++) await plainAppend(plainFile, line);
      });
      plainSerial.push(options.concurrent / (serialRound.ms / 1000));
    }
    const rows = (await csv.read()).rows.length;
    if (rows !== 1 + options.rounds * options.concurrent) throw new Error(`runs.csv has ${rows} rows, expected ${1 + options.rounds * options.concurrent}`);
  } finally {
    await cleanup();
  }
  return { lab, plain, plainSerial };
}

/**
 * A large runs.csv (every 7th row with a quoted multi-line note, a torn last record): the
 * start-up scan (`RunsCsv.init`, torn-record repair) and a whole read through the row schema,
 * each beside a bare csv-parse of the same bytes (the codec's floor).
 */
async function runsCsvScans(options: { rows: number; times: number }): Promise<{ init: number[]; read: number[]; parse: number[]; bytes: number }> {
  const { dataDir, cleanup } = await temporaryDataDir();
  const init: number[] = [];
  const read: number[] = [];
  const parseTimes: number[] = [];
  try {
    const store = new RunsCsv({ dataDir });
    await store.init();
    const body = encodeCsvRecords(
      Array.from({ length: options.rows }, (_, index) => runToCsvFields(sampleRun({ run_id: `r${index}`, run_notes: index % 7 === 0 ? 'a, "quoted"\nnote' : 'plain' }))),
    );
    const whole = Buffer.from(encodeCsvRecord([...RUN_COLUMNS]) + body);
    const torn = Buffer.concat([whole, Buffer.from('2026-01-01T00:00:00Z,torn,"x')]);
    for (let time = 0; time < options.times; time++) {
      await writeFile(store.path, torn);
      init.push((await timed(() => new RunsCsv({ dataDir }).init())).ms);
      read.push((await timed(() => new RunsCsv({ dataDir }).read())).ms);
      parseTimes.push((await timed(async () => parse(whole, { relax_column_count: true }))).ms);
    }
    return { init, read, parse: parseTimes, bytes: whole.length };
  } finally {
    await cleanup();
  }
}

async function sessionSaves(turns: number): Promise<{ lab: number[]; plain: number[]; atomic: number[]; finalBytes: number }> {
  const { dataDir, cleanup } = await temporaryDataDir();
  const lab: number[] = [];
  const plain: number[] = [];
  const atomic: number[] = [];
  let finalBytes = 0;
  try {
    const sessions = new SessionStore({ dataDir });
    await mkdir(sessions.directory, { recursive: true });
    const sessionId = uuidv7();
    const file = path.join(sessions.directory, `${sessionId}.json`);
    const plainFile = path.join(dataDir, 'plain.json');
    for (let turn = 0; turn < turns; turn++) {
      const ts = new Date().toISOString();
      const runId = uuidv7();
      const saved = await timed(() =>
        sessions.appendTurn({
          sessionId,
          ...(turn === 0 ? { createIfMissing: { name: 'bench', agent_config: { model: 'openai/gpt-4o-mini' }, model_id: 'openai/gpt-4o-mini' } } : {}),
          entries: [
            { role: 'user', content: `Question ${turn}: how does this work?`, ts },
            { role: 'assistant', content: ANSWER, ts, run_id: runId },
          ],
          run: { ...sampleRun({ run_id: runId, session_id: sessionId }) },
        }),
      );
      lab.push(saved.ms);
      // Baselines on the very bytes the store just wrote.
      const bytes = await readFile(file);
      finalBytes = bytes.length;
      plain.push((await timed(() => writeFile(plainFile, bytes))).ms);
      atomic.push(
        (
          await timed(async () => {
            const temporary = `${plainFile}.tmp`;
            const handle = await open(temporary, 'w');
            try {
              await handle.writeFile(bytes);
              await handle.sync();
            } finally {
              await handle.close();
            }
            await rename(temporary, plainFile);
          })
        ).ms,
      );
    }
    await rm(plainFile, { force: true });
  } finally {
    await cleanup();
  }
  return { lab, plain, atomic, finalBytes };
}

export async function runStorageBench(options: { concurrent?: number; rounds?: number; turns?: number; sessions?: number; csvRows?: number } = {}): Promise<SectionReport> {
  const concurrent = options.concurrent ?? 100;
  const turns = options.turns ?? 200;
  const sessionCount = options.sessions ?? 10_000;
  const csv = await runsCsvRates({ concurrent, rounds: options.rounds ?? 3 });
  const scanRows = options.csvRows ?? 50_000;
  const scans = await runsCsvScans({ rows: scanRows, times: 3 });
  console.log(`  storage: runs.csv of ${scanRows} rows: start-up ${percentile(scans.init, 50).toFixed(0)} ms, read ${percentile(scans.read, 50).toFixed(0)} ms, csv-parse ${percentile(scans.parse, 50).toFixed(0)} ms`);
  const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
  console.log(`  storage: runs.csv ${mean(csv.lab).toFixed(0)} rows/s vs plain ${mean(csv.plain).toFixed(0)} rows/s`);
  const saves = await sessionSaves(turns);
  console.log(`  storage: session save p50 ${percentile(saves.lab, 50).toFixed(2)} ms vs writeFile ${percentile(saves.plain, 50).toFixed(2)} ms`);
  console.log(`  storage: recovery bench over ${sessionCount} sessions (about a minute)...`);
  const recovery = await runRecoveryBench({ sessions: sessionCount });

  const rows: Row[] = [
    {
      figure: `runs.csv rows/s, ${concurrent} runs finishing at once (RunsCsv.append, fsync each)`,
      value: count(mean(csv.lab)),
      baseline: `${count(mean(csv.plain))} (plain append+fsync, concurrent)`,
      ratio: ratio(mean(csv.lab), mean(csv.plain)),
      goal: '',
      range: `${span(csv.lab, (v) => count(v))} vs ${span(csv.plain, (v) => count(v))}`,
    },
    {
      figure: 'runs.csv rows/s vs one-at-a-time plain append+fsync',
      value: count(mean(csv.lab)),
      baseline: `${count(mean(csv.plainSerial))} (plain, serialised)`,
      ratio: ratio(mean(csv.lab), mean(csv.plainSerial)),
      goal: '',
      range: span(csv.plainSerial, (v) => count(v)),
    },
    {
      figure: `runs.csv start-up scan, ${count(scanRows)} rows (${(scans.bytes / 2 ** 20).toFixed(1)} MiB) with a torn last record (RunsCsv.init)`,
      value: ms(percentile(scans.init, 50), 0),
      baseline: `${ms(percentile(scans.parse, 50), 0)} (bare csv-parse of the same bytes)`,
      ratio: ratio(percentile(scans.init, 50), percentile(scans.parse, 50)),
      goal: '',
      range: span(scans.init, (v) => ms(v, 0)),
    },
    {
      figure: `runs.csv whole read, ${count(scanRows)} rows, through the row schema (RunsCsv.read, uncached)`,
      value: ms(percentile(scans.read, 50), 0),
      baseline: `${ms(percentile(scans.parse, 50), 0)} (bare csv-parse of the same bytes)`,
      ratio: ratio(percentile(scans.read, 50), percentile(scans.parse, 50)),
      goal: '',
      range: span(scans.read, (v) => ms(v, 0)),
    },
  ];
  for (const p of [50, 95]) {
    rows.push({
      figure: `session save p${p}, ${turns}-turn session (appendTurn: lock, read, validate, atomic write + fsync)`,
      value: ms(percentile(saves.lab, p), 2),
      baseline: `${ms(percentile(saves.plain, p), 2)} (writeFile of the same bytes)`,
      ratio: ratio(percentile(saves.lab, p), percentile(saves.plain, p)),
      goal: '',
      range: '',
    });
    rows.push({
      figure: `session save p${p} vs a bare atomic write`,
      value: ms(percentile(saves.lab, p), 2),
      baseline: `${ms(percentile(saves.atomic, p), 2)} (temp file, fsync, rename)`,
      ratio: ratio(percentile(saves.lab, p), percentile(saves.atomic, p)),
      goal: '',
      range: '',
    });
  }
  rows.push(
    {
      figure: `\`check\` over ${count(recovery.sessions)} sessions (${(recovery.dataBytes / 2 ** 20).toFixed(0)} MiB)`,
      value: `${count(recovery.check.sessionsPerSecond)} sessions/s (${ms(recovery.check.ms, 0)})`,
      baseline: `${ms(recovery.check.baselineMs, 0)} (read + JSON.parse every file)`,
      ratio: `${recovery.check.ratioToBaseline.toFixed(2)}×`,
      goal: '',
      range: '',
    },
    {
      figure: `\`backup\` of ${count(recovery.sessions)} sessions`,
      value: `${(recovery.backup.ms / 1000).toFixed(1)} s`,
      baseline: `${(recovery.backup.baselineCopyMs / 1000).toFixed(1)} s (plain recursive copy)`,
      ratio: `${recovery.backup.ratioToBaseline.toFixed(2)}×`,
      goal: '',
      range: '',
    },
    {
      figure: 'incremental `backup` right after (nothing changed)',
      value: `${(recovery.incrementalBackup.ms / 1000).toFixed(1)} s (${count(recovery.incrementalBackup.linked)} hard-linked)`,
      baseline: `${(recovery.backup.ms / 1000).toFixed(1)} s (the full backup)`,
      ratio: `${recovery.incrementalBackup.ratioToFullBackup.toFixed(2)}×`,
      goal: '',
      range: '',
    },
  );
  return {
    id: 'storage',
    title: '3. Storage',
    method:
      `In-process, on the machine's disk (\`os.tmpdir()\`). runs.csv: ${options.rounds ?? 3} rounds of ${concurrent} concurrent \`RunsCsv.append\` (data lock, header check, one write, fsync), ` +
      `each beside ${concurrent} concurrent plain O_APPEND write+fsync and ${concurrent} one-at-a-time ones. Session: ${turns} \`SessionStore.appendTurn\` calls on one session ` +
      `(${(saves.finalBytes / 1024).toFixed(0)} KiB at the end), each beside a \`writeFile\` and a temp+fsync+rename of the same bytes. Recovery: \`bench/recovery.ts\`.`,
    rows,
    notes: ['fsync time depends on the disk and on what else writes to it; these rows are the noisiest on a shared machine.'],
    goals: [],
  };
}
