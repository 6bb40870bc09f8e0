/**
 * One run's exchange in a transcript — the user message that asked, any tool turns, and the
 * answer carrying the run id — found and replaced (retry, regenerate, edit and resend). Pure
 * and dependency-free: the UI shares it with the server.
 */

/** The fields of a transcript entry the exchange is found by. */
export interface ExchangeEntry {
  role: string;
  run_id?: string | null | undefined;
}

/**
 * Where one run's exchange sits in a transcript: from the user message that asked for it to
 * the assistant answer carrying `runId` (tool turns between included). `end` is exclusive.
 * Undefined when the transcript has no answer from that run.
 */
export function exchangeSpan(transcript: readonly ExchangeEntry[], runId: string): { start: number; end: number } | undefined {
  const answer = transcript.findIndex((entry) => entry.role === 'assistant' && entry.run_id === runId);
  if (answer < 0) return undefined;
  let start = answer;
  while (start > 0 && transcript[start]?.role !== 'user') start -= 1;
  if (transcript[start]?.role !== 'user') start = answer;
  return { start, end: answer + 1 };
}

/** The transcript with one run's exchange replaced by `entries` (in the same place). */
export function replaceExchange<Entry extends ExchangeEntry>(options: { transcript: Entry[]; runId: string; entries: Entry[] }): Entry[] {
  const span = exchangeSpan(options.transcript, options.runId);
  if (!span) return [...options.transcript, ...options.entries];
  return [...options.transcript.slice(0, span.start), ...options.entries, ...options.transcript.slice(span.end)];
}
