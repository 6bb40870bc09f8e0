import type { Session } from '../domain/session.js';

/** What a check or a judge needs from a run's session: the question, the answer and the tool calls. */
export interface RunAnswer {
  question: string;
  answer: string;
  tool_calls: Array<{ name: string; args: unknown }>;
}

/**
 * The turn of `runId` in a session transcript: the assistant entry naming the run, the user
 * message before it and the tool turns between them. Undefined when the transcript has no
 * such entry (a session edited or removed by hand).
 */
export function findRunAnswer(session: Pick<Session, 'transcript'>, runId: string): RunAnswer | undefined {
  const { transcript } = session;
  const index = transcript.findIndex((entry) => entry.role === 'assistant' && entry.run_id === runId);
  if (index < 0) return undefined;
  let question = '';
  const toolCalls: RunAnswer['tool_calls'] = [];
  for (let cursor = index - 1; cursor >= 0; cursor -= 1) {
    const entry = transcript[cursor]!;
    if (entry.role === 'user') {
      question = entry.content;
      break;
    }
    if (entry.role === 'tool' && typeof entry.name === 'string') toolCalls.unshift({ name: entry.name, args: entry.args ?? '{}' });
  }
  return { question, answer: transcript[index]!.content, tool_calls: toolCalls };
}
