import type { RunRecord, WebStatus } from '../domain/run.js';

/** The events of one run, as streamed to the client (docs/api.md "Chat"). */
export type RunEvent =
  | { event: 'run-start'; data: { run_id: string; session_id: string; agent_id: string; model: string; bakeoff_id?: string } }
  | { event: 'text-delta'; data: { delta: string } }
  | { event: 'tool-call'; data: { id: string; name: string; args: unknown } }
  | { event: 'tool-result'; data: { id: string; name: string; result: string; web_status: WebStatus } }
  | { event: 'run-end'; data: { run: RunRecord } }
  | { event: 'error'; data: { code: string; message: string; retryable: boolean } };

export type RunEventName = RunEvent['event'];
