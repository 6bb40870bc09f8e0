import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import cliProgress from 'cli-progress';
import type { LabConfig } from '../../config/config.js';
import {
  BatchError,
  formatSummaryTable,
  LabClient,
  planPairs,
  readPromptFile,
  runBatch,
  summariseByAgent,
  type BadLinePolicy,
  type BatchProgress,
  type LabAgent,
} from '../../batch/index.js';
import { newExperimentId } from '../../runner/ids.js';

/**
 * `agent-lab batch --prompts FILE --agents a,b,c`: every prompt on every agent through a
 * running lab's HTTP API, recorded under one experiment id. Ctrl-C stops (pairs in flight
 * are recorded as aborted); running it again with the same `--experiment` resumes, skipping
 * the pairs that already finished cleanly. Exit codes: 0 every pair ran cleanly, 1 some
 * pair failed or the lab stopped the batch, 2 bad input, 130 interrupted.
 */

interface BatchCommandOptions {
  prompts: string;
  agents: string;
  repeat: number;
  concurrency: number;
  experiment?: string;
  url?: string;
  token?: string;
  onBadLine: BadLinePolicy;
  json?: boolean;
}

/** A commander parser for a whole number from 1 to `max`. Shared with `eval`. */
export function positiveInt(max: number) {
  return (value: string): number => {
    const number = Number(value);
    if (!Number.isInteger(number) || number < 1 || number > max) throw new InvalidArgumentError(`must be a whole number from 1 to ${max}.`);
    return number;
  };
}

/** `a,b,c` → agents, each by id or else by (unique) name. */
export function resolveAgents(options: { wanted: string[]; agents: LabAgent[] }): LabAgent[] {
  const resolved: LabAgent[] = [];
  for (const wanted of options.wanted) {
    const byId = options.agents.find((agent) => agent.id === wanted);
    const byName = options.agents.filter((agent) => agent.name === wanted);
    const agent = byId ?? (byName.length === 1 ? byName[0] : undefined);
    if (!agent && byName.length > 1) {
      throw new BatchError('batch:bad_agents', `The agent name "${wanted}" matches ${byName.length} agents (ids ${byName.map((item) => item.id).join(', ')}); give its id instead.`);
    }
    if (!agent) {
      const known = options.agents.map((item) => `${item.name} (${item.id})`).slice(0, 20);
      throw new BatchError('batch:bad_agents', `No agent "${wanted}" in the lab. Known agents: ${known.join(', ') || 'none'}.`);
    }
    if (!resolved.some((item) => item.id === agent.id)) resolved.push(agent);
  }
  return resolved;
}


/** A progress reporter: a bar with ETA on a terminal, a line per 10 % otherwise (or nothing with --json). Shared with `eval`. */
export function progressReporter(options: { tty: boolean; quiet: boolean; label?: string; unit?: string }): { update: (progress: BatchProgress) => void; stop: () => void; log: (line: string) => void } {
  if (options.tty) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${options.label ?? 'batch'} [{bar}] {percentage}% | {value}/{total} ${options.unit ?? 'pairs'} | ok {ok} failed {failed} | in flight {inFlight}{waiting} | ETA {eta_formatted}`,
        stream: process.stderr,
        hideCursor: true,
        etaBuffer: 20,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update: (progress) => {
        const payload = { ok: progress.ok, failed: progress.failed, inFlight: progress.inFlight, waiting: progress.waitingMs > 0 ? ` | waiting ${Math.ceil(progress.waitingMs / 1000)} s` : '' };
        if (!started) {
          bar.start(progress.total, progress.done, payload);
          started = true;
        } else bar.update(progress.done, payload);
      },
      stop: () => started && bar.stop(),
      log: (line) => {
        // clear the bar's line, print, and let the bar redraw below
        process.stderr.write(started ? `\r\x1b[K${line}\n` : `${line}\n`);
        if (started) bar.render();
      },
    };
  }
  let lastStep = -1;
  return {
    update: (progress) => {
      if (options.quiet || progress.total === 0) return;
      const step = Math.floor((progress.done / progress.total) * 10);
      if (step === lastStep) return;
      lastStep = step;
      console.error(`${options.label ?? 'batch'}: ${progress.done}/${progress.total} ${options.unit ?? 'pairs'} (ok ${progress.ok}, failed ${progress.failed})`);
    },
    stop: () => {},
    log: (line) => console.error(line),
  };
}

async function runBatchCommand(options: BatchCommandOptions, context: { loadConfig: () => LabConfig }): Promise<number> {
  const wanted = options.agents.split(',').map((name) => name.trim()).filter(Boolean);
  if (wanted.length === 0) throw new BatchError('batch:bad_agents', '--agents needs at least one agent id or name (comma-separated).');
  const file = await readPromptFile({ path: options.prompts, onBadLine: options.onBadLine });
  for (const bad of file.skipped) console.error(`batch: skipped ${options.prompts}, line ${bad.line}: ${bad.reason}`);

  const config = options.url && options.token ? undefined : context.loadConfig();
  const client = new LabClient({ baseUrl: options.url ?? config?.publicUrl ?? 'http://127.0.0.1:7860', token: options.token ?? config?.labAuthToken });
  const agents = resolveAgents({ wanted, agents: await client.listAgents() });
  const experimentId = options.experiment ?? newExperimentId('batch');
  const recorded = await client.listRuns(experimentId);
  const plan = planPairs({ prompts: file.prompts, agents, repeat: options.repeat, recorded });
  const resumeHint = `resume with: agent-lab batch --prompts ${options.prompts} --agents ${options.agents} --repeat ${options.repeat} --experiment ${experimentId}`;
  console.error(
    `batch ${experimentId}: ${file.prompts.length} prompt(s) × ${agents.length} agent(s) × ${options.repeat} = ${plan.total} pairs` +
      (plan.done > 0 ? `; ${plan.done} already finished, ${plan.pending.length} to run` : '') +
      ` (concurrency ${options.concurrency}, lab ${client.baseUrl})`,
  );

  const interrupt = new AbortController();
  const reporter = progressReporter({ tty: Boolean(process.stderr.isTTY) && !options.json, quiet: Boolean(options.json) });
  const onSigint = () => {
    if (interrupt.signal.aborted) {
      console.error('batch: interrupted again; exiting now.');
      process.exit(130);
    }
    reporter.log('batch: interrupted; stopping the pairs in flight (recorded as aborted). Ctrl-C again to quit at once.');
    interrupt.abort(new DOMException('interrupted', 'AbortError'));
  };
  process.on('SIGINT', onSigint);
  let report;
  try {
    report = await runBatch({
      client,
      pairs: plan.pending,
      experimentId,
      concurrency: options.concurrency,
      signal: interrupt.signal,
      alreadyDone: plan.done,
      onProgress: reporter.update,
      onNotice: (message) => reporter.log(`batch: ${message}`),
    });
  } finally {
    reporter.stop();
    process.off('SIGINT', onSigint);
  }

  // The lab records an aborted run a moment after the connection closes.
  if (report.interrupted) await new Promise((resolve) => setTimeout(resolve, 300));
  let runs = report.results.flatMap((result) => (result.run ? [result.run] : []));
  try {
    runs = await client.listRuns(experimentId);
  } catch (error) {
    console.error(`batch: the summary covers this invocation only (${(error as Error).message})`);
  }
  const summary = summariseByAgent({ runs: runs.filter((run) => agents.some((agent) => agent.id === run.agent_id)), agents });
  const count = (status: string) => report.results.filter((result) => result.status === status).length;
  const outcome = {
    experiment_id: experimentId,
    total_pairs: plan.total,
    already_done: plan.done,
    ok: count('ok'),
    failed: count('failed'),
    aborted: count('aborted'),
    not_started: report.notStarted,
    deferrals: report.deferrals,
    interrupted: report.interrupted,
    stopped_by: report.stoppedBy?.message ?? null,
    skipped_lines: file.skipped,
    failures: report.results.filter((result) => result.status === 'failed').map((result) => ({ agent: result.pair.agent.name, pair: result.pair.key, message: result.message })),
    agents: summary,
  };
  const complete = !report.interrupted && !report.stoppedBy && outcome.failed === 0 && outcome.not_started === 0;
  if (options.json) {
    console.log(JSON.stringify(outcome, null, 2));
  } else {
    for (const failure of outcome.failures.slice(0, 20)) console.error(`batch: failed ${failure.agent} ${failure.pair}: ${failure.message}`);
    console.log(formatSummaryTable(summary));
    console.log(
      `\nExperiment ${experimentId}: ${outcome.ok} pair(s) ran cleanly now, ${plan.done} earlier; ${outcome.failed} failed, ${outcome.aborted} aborted, ${outcome.not_started} not started.`,
    );
    if (report.stoppedBy) console.error(`batch: stopped: ${report.stoppedBy.message}`);
    if (!complete) console.log(resumeHint);
  }
  if (report.interrupted) return 130;
  return complete ? 0 : 1;
}

export function register(program: Command, context: { loadConfig: () => LabConfig }): void {
  program
    .command('batch')
    .description('run every prompt of a file on every agent through a running lab, recorded under one experiment (resumable)')
    .requiredOption('--prompts <file>', 'JSON Lines ({"prompt": "...", "task_label": "..."} per line) or CSV with a prompt column')
    .requiredOption('--agents <list>', 'comma-separated agent ids or names')
    .option('--repeat <n>', 'runs of each prompt on each agent', positiveInt(1000), 1)
    .option('--concurrency <k>', 'pairs in flight at once', positiveInt(64), 4)
    .option('--experiment <id>', 'experiment id (default: a new batch-<uuidv7>, unique forever); give an earlier one to resume it')
    .option('--url <url>', 'the lab (default: PUBLIC_URL or http://HOST:PORT)')
    .option('--token <token>', 'the lab token (default: LAB_AUTH_TOKEN)')
    .addOption(new Option('--on-bad-line <policy>', 'a malformed line in the prompt file: skip it, or stop before running anything').choices(['skip', 'stop']).default('stop'))
    .option('--json', 'print the outcome and the per-agent summary as JSON')
    .addHelpText('after', '\nExit codes: 0 every pair ran cleanly, 1 some pair failed or the lab stopped the batch, 2 bad input, 130 interrupted (Ctrl-C).')
    .action(async (options: BatchCommandOptions) => {
      try {
        process.exitCode = await runBatchCommand(options, context);
      } catch (error) {
        if (!(error instanceof BatchError)) throw error;
        if (options.json) console.log(JSON.stringify({ error: { code: error.code, message: error.message } }, null, 2));
        console.error(`agent-lab batch: ${error.message}`);
        process.exitCode = error.isInputError ? 2 : 1;
      }
    });
}
