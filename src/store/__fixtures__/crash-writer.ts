/**
 * Child process for the kill -9 test: appends runs, saves sessions and appends a score per
 * run in a loop, from several concurrent workers, and prints each run id once it is
 * recorded in all three. It loads
 * first and starts only when it reads a line on stdin, so the test can start the next one early.
 */
import { once } from 'node:events';
import { RunsCsv } from '../runs-csv.js';
import { ScoresCsv } from '../scores-csv.js';
import { SessionStore } from '../session-store.js';
import { sampleRun } from '../test-support.js';

const [dataDir] = process.argv.slice(2) as [string];
await once(process.stdin, 'data');
const runs = new RunsCsv({ dataDir });
const sessions = new SessionStore({ dataDir });
await runs.init();
const scores = new ScoresCsv({ dataDir });
await scores.init();

let counter = 0;
async function worker(index: number): Promise<never> {
  const session = await sessions.create({ name: `worker ${index}`, model_id: 'm' });
  for (;;) {
    counter += 1;
    const run = sampleRun({
      run_id: `${process.pid}-${index}-${counter}`,
      session_id: session.id,
      run_notes: `notes, "quoted"\r\nline ${'é😀,'.repeat(counter % 300)}`,
    });
    await runs.append(run);
    await sessions.appendTurn({
      sessionId: session.id,
      entries: [
        { role: 'user', content: `question ${counter}` },
        { role: 'assistant', content: 'answer '.repeat(counter % 200), run_id: run.run_id },
      ],
      run,
    });
    await scores.append([
      {
        ts: run.ts, score_id: `score-${run.run_id}`, run_id: run.run_id, experiment_id: 'exp', agent_id: run.agent_id, model: run.model,
        scorer: 'icontains:é', kind: 'check', value: 1, pass: true, reason: `contains "é"\r\n${'😀,'.repeat(counter % 100)}`,
        judge_run_id: '', opponent_run_id: '', eval_case: 'case', rater: '',
      },
    ]);
    process.stdout.write(`${run.run_id}\n`);
  }
}

await Promise.all([0, 1, 2].map(worker));
