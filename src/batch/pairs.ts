import type { BatchPrompt } from './prompt-file.js';
import type { BatchRun, LabAgent } from './lab-client.js';

/**
 * A batch is every (agent, prompt, repeat) pair. Each run carries the stable key
 * `batch:<prompt#>:<repeat#>` in `run_notes` (with the agent id in its own column), so a
 * resumed batch knows which pairs already finished.
 */

export interface BatchPair {
  agent: LabAgent;
  prompt: BatchPrompt;
  repeat: number;
  /** `batch:<prompt#>:<repeat#>` */
  key: string;
}

export function pairKey(options: { promptNumber: number; repeat: number }): string {
  return `batch:${options.promptNumber}:${options.repeat}`;
}

const KEY_PATTERN = /^batch:(\d+):(\d+)$/;

/** The pair a recorded run belongs to (`<agent id> batch:<p>:<r>`), or undefined for other runs. */
export function pairIdOfRun(run: Pick<BatchRun, 'agent_id' | 'run_notes'>): string | undefined {
  return KEY_PATTERN.test(run.run_notes) ? `${run.agent_id} ${run.run_notes}` : undefined;
}

export function pairId(pair: Pick<BatchPair, 'agent' | 'key'>): string {
  return `${pair.agent.id} ${pair.key}`;
}

/** A run that finished cleanly: neither aborted nor failed. */
export function finishedCleanly(run: Pick<BatchRun, 'aborted' | 'error'>): boolean {
  return !run.aborted && run.error === '';
}

/** Every pair, prompt-major (each prompt goes to every agent before the next prompt), minus those already finished cleanly. */
export function planPairs(options: { prompts: BatchPrompt[]; agents: LabAgent[]; repeat: number; recorded: BatchRun[] }): { pending: BatchPair[]; done: number; total: number } {
  const finished = new Set(options.recorded.filter(finishedCleanly).map(pairIdOfRun).filter((id): id is string => id !== undefined));
  const pending: BatchPair[] = [];
  let total = 0;
  for (let repeat = 1; repeat <= options.repeat; repeat++) {
    for (const prompt of options.prompts) {
      for (const agent of options.agents) {
        total += 1;
        const pair = { agent, prompt, repeat, key: pairKey({ promptNumber: prompt.number, repeat }) };
        if (!finished.has(pairId(pair))) pending.push(pair);
      }
    }
  }
  return { pending, done: total - pending.length, total };
}
