import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { BatchError, LabClient } from '../../batch/index.js';
import type { LabConfig } from '../../config/config.js';
import { EvalFileError, parseEvalText } from '../../domain/eval-file.js';
import { findRegressions, verdictsOf, type GateVerdict } from '../../evals/baseline.js';
import { formatJunit } from '../../evals/junit-report.js';
import { newExperimentId } from '../../runner/ids.js';
import { positiveInt, progressReporter } from './batch.js';

/**
 * `agent-lab eval FILE`: every case of an eval file on every agent, through a running lab
 * (`POST /api/evals`, which runs, scores and judges), with progress, a per-agent table,
 * `--junit` for CI and a `--baseline` regression gate. The same `--experiment` resumes: the
 * lab skips agent × case × repeat already scored. Exit 0 every assertion passed, 1 any failed
 * (or fell below the baseline's pass rate), 2 bad usage, 130 interrupted.
 */

interface EvalCommandOptions {
  agents?: string;
  repeat?: number;
  experiment?: string;
  baseline?: string;
  junit?: string;
  json?: boolean;
  url?: string;
  token?: string;
  concurrency: number;
}

/** The fields of the lab's eval events the CLI reads. */
const resultSchema = z.object({
  agent_id: z.string(),
  agent_name: z.string(),
  model: z.string(),
  case: z.string(),
  repeat: z.number(),
  run_id: z.string(),
  resumed: z.boolean(),
  passed: z.boolean(),
  latency_ms: z.number(),
  cost_usd: z.number().nullable(),
  error: z.string(),
  assertions: z.array(z.object({ scorer: z.string(), kind: z.string(), pass: z.boolean(), value: z.number().nullable(), reason: z.string() })),
});
type UnitResult = z.output<typeof resultSchema>;

const entrySchema = z.object({
  rank: z.number(),
  agent_id: z.string(),
  agent_name: z.string(),
  model: z.string(),
  runs: z.number(),
  pass_rate: z.object({ passed: z.number(), total: z.number(), rate: z.number().nullable(), low: z.number().nullable(), high: z.number().nullable() }),
  judge_score: z.object({ mean: z.number().nullable(), count: z.number(), errors: z.number() }),
  win_rate: z.object({ rate: z.number().nullable(), comparisons: z.number() }),
  bradley_terry: z.object({ rating: z.number(), low: z.number(), high: z.number() }).nullable(),
  latency_ms_p50: z.number().nullable(),
  cost_usd: z.object({ total: z.number(), unpriced_runs: z.number() }),
});
type Entry = z.output<typeof entrySchema>;

const endSchema = z.object({
  experiment_id: z.string(),
  units: z.number(),
  passed_units: z.number(),
  failed_units: z.number(),
  resumed_units: z.number(),
  failed_assertions: z.number(),
  pairwise: z.number(),
  disagreements: z.number(),
  interrupted: z.boolean(),
  leaderboard: z.object({ entries: z.array(entrySchema), judges: z.array(z.object({ judge: z.string(), pairwise: z.number(), disagreements: z.number() })) }),
});

const percent = (value: number | null) => (value === null ? '—' : `${(value * 100).toFixed(0)}%`);

/** The per-agent table: pass rate (95 % interval), judge mean, win rate, p50 latency, cost. */
export function formatEvalTable(entries: readonly Entry[]): string {
  const header = ['#', 'agent', 'model', 'pass rate (95% CI)', 'judge mean', 'win rate', 'BT rating', 'p50 latency', 'cost'];
  const rows = entries.map((entry) => [
    String(entry.rank),
    entry.agent_name,
    entry.model,
    entry.pass_rate.rate === null ? '—' : `${percent(entry.pass_rate.rate)} (${percent(entry.pass_rate.low)}–${percent(entry.pass_rate.high)}) ${entry.pass_rate.passed}/${entry.pass_rate.total}`,
    entry.judge_score.mean === null ? '—' : entry.judge_score.mean.toFixed(2) + (entry.judge_score.errors > 0 ? ` (${entry.judge_score.errors} judge errors)` : ''),
    entry.win_rate.comparisons === 0 ? '—' : percent(entry.win_rate.rate),
    entry.bradley_terry ? `${entry.bradley_terry.rating.toFixed(0)} (${entry.bradley_terry.low.toFixed(0)}–${entry.bradley_terry.high.toFixed(0)})` : '—',
    entry.latency_ms_p50 === null ? '—' : `${Math.round(entry.latency_ms_p50)} ms`,
    `$${entry.cost_usd.total.toFixed(6)}${entry.cost_usd.unpriced_runs > 0 ? ` + ${entry.cost_usd.unpriced_runs} unpriced` : ''}`,
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd();
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

async function runEvalCommand(file: string, options: EvalCommandOptions, context: { loadConfig: () => LabConfig }): Promise<number> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new EvalFileError(file, [`cannot read the file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`], { cause: error });
  }
  const evalFile = parseEvalText(text, path.basename(file));
  const agents = options.agents?.split(',').map((name) => name.trim()).filter(Boolean);
  if (options.agents !== undefined && (!agents || agents.length === 0)) throw new EvalFileError('--agents', ['needs at least one agent id or name (comma-separated)']);
  if (!agents && !evalFile.agents) throw new EvalFileError(file, ['agents: name the agents to evaluate (in the file, or with --agents)']);

  const config = options.url && options.token ? undefined : context.loadConfig();
  const client = new LabClient({ baseUrl: options.url ?? config?.publicUrl ?? 'http://127.0.0.1:7860', token: options.token ?? config?.labAuthToken });
  const experimentId = options.experiment ?? newExperimentId('eval');
  const body = { ...evalFile, ...(agents ? { agents } : {}), ...(options.repeat ? { repeat: options.repeat } : {}), experiment_id: experimentId, concurrency: options.concurrency };

  let baseline: GateVerdict[] | undefined;
  if (options.baseline) {
    baseline = verdictsOf(await client.listScores(options.baseline));
    if (baseline.length === 0) throw new EvalFileError('--baseline', [`the experiment "${options.baseline}" has no eval scores to compare with`]);
  }

  const quiet = Boolean(options.json);
  const reporter = progressReporter({ tty: Boolean(process.stderr.isTTY) && !quiet, quiet, label: 'eval', unit: 'runs' });
  const interrupt = new AbortController();
  const onSigint = () => {
    if (interrupt.signal.aborted) process.exit(130);
    reporter.log('eval: interrupted; stopping the runs in flight (recorded as aborted). Ctrl-C again to quit at once.');
    interrupt.abort(new DOMException('interrupted', 'AbortError'));
  };
  process.on('SIGINT', onSigint);
  const results: UnitResult[] = [];
  let end: z.output<typeof endSchema> | undefined;
  let endJson: unknown;
  let streamError: string | undefined;
  let outcome;
  try {
    if (!quiet) console.error(`eval ${evalFile.name}: experiment ${experimentId} (lab ${client.baseUrl})`);
    outcome = await client.postEventStream({
      path: '/api/evals',
      body,
      signal: interrupt.signal,
      onEvent: (event, data) => {
        const json = safeJson(data);
        if (event === 'result') {
          const parsed = resultSchema.safeParse(json);
          if (parsed.success) {
            results.push(parsed.data);
            if (!parsed.data.passed && !quiet) {
              const failed = parsed.data.assertions.filter((assertion) => !assertion.pass).map((assertion) => `${assertion.scorer}: ${assertion.reason}`);
              reporter.log(`eval: FAIL ${parsed.data.agent_name} ${parsed.data.case} #${parsed.data.repeat}: ${parsed.data.error || failed.join('; ')}`);
            }
          }
        } else if (event === 'progress') {
          const parsed = z.object({ done: z.number(), total: z.number() }).safeParse(json);
          if (parsed.success) {
            const failed = results.filter((result) => !result.passed).length;
            reporter.update({ ...parsed.data, ok: results.length - failed, failed, inFlight: 0, waitingMs: 0 });
          }
        } else if (event === 'eval-end') {
          const parsed = endSchema.safeParse(json);
          if (parsed.success) {
            end = parsed.data;
            endJson = json;
          }
        } else if (event === 'error') {
          streamError = z.object({ message: z.string() }).safeParse(json).data?.message ?? data;
        }
      },
    });
  } finally {
    reporter.stop();
    process.off('SIGINT', onSigint);
  }
  const resumeHint = `resume with: agent-lab eval ${file} --experiment ${experimentId}${options.agents ? ` --agents ${options.agents}` : ''}${options.repeat ? ` --repeat ${options.repeat}` : ''}`;
  if (outcome.kind === 'http-error') {
    const message = `the lab refused the eval (HTTP ${outcome.status} ${outcome.code}): ${outcome.message}`;
    // The lab's 4xx for a file or an agent is bad usage; anything else stopped the eval.
    if (outcome.status === 400 || outcome.status === 404) throw new EvalFileError(file, [message]);
    throw new BatchError('batch:lab_refused', message);
  }
  if (outcome.kind === 'network-error') throw new BatchError('batch:lab_unreachable', `the connection to the lab failed: ${outcome.message}. ${resumeHint}`);
  if (outcome.kind === 'aborted') {
    console.error(`eval: interrupted. ${resumeHint}`);
    return 130;
  }
  if (!end) throw new BatchError('batch:lab_refused', `the eval stopped before it finished${streamError ? `: ${streamError}` : ''}. ${resumeHint}`);

  const regressions = baseline ? findRegressions({ current: verdictsOf(results.flatMap((result) => result.assertions.map((assertion) => ({ agent_id: result.agent_id, eval_case: result.case, kind: assertion.kind, pass: assertion.pass, value: assertion.value })))), baseline }) : [];
  const names = new Map(results.map((result) => [result.agent_id, result.agent_name]));
  if (options.junit) {
    await writeFile(options.junit, formatJunit({ name: evalFile.name, experimentId, units: results }));
  }
  const failed = end.failed_units > 0 || end.failed_assertions > 0 || regressions.length > 0;
  if (options.json) {
    console.log(JSON.stringify({ ...(endJson as object), regressions, results }, null, 2));
  } else {
    console.log(formatEvalTable(end.leaderboard.entries));
    for (const judge of end.leaderboard.judges.filter((entry) => entry.pairwise > 0)) {
      console.log(`judge ${judge.judge}: ${judge.disagreements} of ${judge.pairwise} pairwise verdicts disagreed between the two orders (counted as ties)`);
    }
    for (const regression of regressions) {
      console.log(`below baseline: ${names.get(regression.agent_id) ?? regression.agent_id} on ${regression.eval_case}: ${percent(regression.rate)} < ${percent(regression.baseline)} in ${options.baseline}`);
    }
    console.log(
      `\nExperiment ${experimentId}: ${end.passed_units} of ${end.units} run(s) passed every assertion` +
        (end.resumed_units > 0 ? ` (${end.resumed_units} from earlier)` : '') +
        `; ${end.failed_assertions} assertion(s) failed.` +
        (options.junit ? ` JUnit: ${options.junit}` : ''),
    );
  }
  return failed ? 1 : 0;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined; // not JSON: the event is ignored by its schema
  }
}

export function register(program: Command, context: { loadConfig: () => LabConfig }): void {
  program
    .command('eval')
    .description('run an eval file (YAML or JSONL) on agents through a running lab: checks, judges, a per-agent table (resumable)')
    .argument('<file>', 'the eval file (.yaml/.yml, .jsonl, or .json)')
    .option('--agents <list>', "comma-separated agent ids or names (overrides the file's agents)")
    .option('--repeat <n>', 'runs of each case on each agent (overrides the file)', positiveInt(100))
    .option('--experiment <id>', 'experiment id (default: eval-<UUIDv7>); give an earlier one to resume it')
    .option('--baseline <experiment>', "fail when any agent's pass rate on any case falls below this experiment's")
    .option('--junit <file>', 'write JUnit XML (one testcase per agent × case × repeat)')
    .option('--json', 'print the summary, the leaderboard and every result as JSON')
    .option('--url <url>', 'the lab (default: PUBLIC_URL or http://HOST:PORT)')
    .option('--token <token>', 'the lab token (default: LAB_AUTH_TOKEN)')
    .option('--concurrency <k>', 'runs in flight at once', positiveInt(16), 4)
    .addHelpText('after', '\nExit codes: 0 every assertion passed, 1 any failed or fell below --baseline, 2 bad usage (file, flags, unknown agent), 130 interrupted.')
    .action(async (file: string, options: EvalCommandOptions) => {
      try {
        process.exitCode = await runEvalCommand(file, options, context);
      } catch (error) {
        if (!(error instanceof EvalFileError) && !(error instanceof BatchError)) throw error;
        if (options.json) console.log(JSON.stringify({ error: { code: error.code, message: error.message } }, null, 2));
        console.error(`agent-lab eval: ${error.message}`);
        process.exitCode = error instanceof EvalFileError || error.isInputError ? 2 : 1;
      }
    });
}
