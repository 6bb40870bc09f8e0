import { useCallback, useMemo, useRef, useState } from 'react';
import { api, ApiError } from '../api/client.js';
import { streamChat } from '../api/chat-stream.js';
import type { ChatEvent, ChatRequest, RunRecord, RunTags, Session } from '../api/types.js';
import { LiveMessageStore } from './live-message-store.js';
import { errorFromRecord, nextKey, transcriptToTurns, type Turn, type TurnError } from './turn.js';

/**
 * One conversation in the browser: the finished turns (React state, changed once per
 * message), the answer being streamed (a LiveMessageStore, painted once per frame), Stop,
 * and the latest run's outcome.
 */

export type RunOutcome = 'streaming' | 'done' | 'aborted' | 'error';

export interface LatestRun {
  runId: string | null;
  outcome: RunOutcome;
  /** The recorded run, once the lab has sent or stored it. */
  run: RunRecord | null;
}

interface ActiveRun {
  controller: AbortController;
  runId: string | null;
  finished: boolean;
  error: TurnError | null;
  gotRunEnd: boolean;
  model: string | null;
}

/** The exchange a retry, regenerate or edit replaces: its two turns, and the run the lab recorded for it. */
export interface ReplaceExchange {
  userKey: string | undefined;
  answerKey: string;
  runId: string | undefined;
}

export interface ChatState {
  turns: Turn[];
  live: LiveMessageStore;
  streaming: boolean;
  sessionId: string | null;
  latest: LatestRun | null;
  /** Send a message; with `replace`, that exchange (the last user turn and its answer) is replaced in place. */
  send: (message: string, options?: { replace?: ReplaceExchange }) => Promise<void>;
  stop: () => void;
  newSession: () => void;
  loadSession: (session: Session) => void;
  setSessionId: (id: string) => void;
}

/** What the user should do about an error, by its code. */
export function adviceFor(error: TurnError): string {
  const code = error.code;
  if (code === 'provider:auth') return 'The provider rejected the API key: set OPENROUTER_API_KEY in .env and restart the lab, or pick a local model.';
  if (code === 'provider:credits') return 'The provider account is out of credits: add credits, or pick a free or local model.';
  if (code === 'provider:moderation') return 'The provider refused this input on moderation grounds: rephrase the message.';
  if (code === 'provider:circuit_open') return 'This model failed repeatedly, so the lab paused calls to it: wait a minute or pick another model.';
  if (code.startsWith('provider:rate_limit') || code.startsWith('rate_limit')) return 'Too many requests: wait a few seconds, then retry.';
  if (code.startsWith('read_only')) return 'The lab is in read-only mode: an operator must remove the READ_ONLY_MODE flag before new runs can be recorded.';
  if (code.startsWith('maintenance')) return 'The lab is under maintenance: try again once it is back.';
  if (code.startsWith('bad_request')) return 'The lab refused the request: check the agent configuration on the left.';
  if (code.startsWith('not_found:session')) return 'That session no longer exists: start a new one.';
  if (code.startsWith('not_found:agent')) return 'That agent no longer exists: save the agent again.';
  if (code.startsWith('network')) return 'The lab could not be reached: check that it is running, then retry.';
  if (code === 'provider:local_model') return 'The local model failed: check LOCAL_MODEL_PATH, or pick another model.';
  return error.retryable ? 'This may be temporary: retry.' : 'Check the agent configuration and the lab logs.';
}

/** A recorded run's outcome, as the lab recorded it. */
export function outcomeOf(record: Pick<RunRecord, 'aborted' | 'error'>): Exclude<RunOutcome, 'streaming'> {
  return record.aborted ? 'aborted' : record.error ? 'error' : 'done';
}

function toTurnError(error: unknown): TurnError {
  if (error instanceof ApiError) return { code: error.code, message: error.message, retryable: error.retryable };
  return { code: 'client:error', message: error instanceof Error ? error.message : String(error), retryable: true };
}

export function useChat(options: {
  /** The agent this message runs as (and its unsaved settings, sent with the request). */
  agentForRequest: () => Promise<Pick<ChatRequest, 'agent_id' | 'agent'>>;
  getTags: () => RunTags;
  onRunRecorded: (run: RunRecord) => void;
  announce: (message: string) => void;
}): ChatState {
  const live = useMemo(() => new LiveMessageStore(), []);
  const [turns, setTurns] = useState<Turn[]>([]);
  const [streaming, setStreaming] = useState(false);
  const [sessionId, setSessionIdState] = useState<string | null>(null);
  const [latest, setLatest] = useState<LatestRun | null>(null);
  const sessionRef = useRef<string | null>(null);
  const active = useRef<ActiveRun | null>(null);
  const callbacks = useRef(options);
  callbacks.current = options;

  const setSessionId = useCallback((id: string | null) => {
    sessionRef.current = id;
    setSessionIdState(id);
  }, []);

  const finish = useCallback(
    (run: ActiveRun, outcome: Exclude<RunOutcome, 'streaming'>, record: RunRecord | null) => {
      if (run.finished) return;
      run.finished = true;
      const parts = live.finish();
      const turn: Turn = {
        key: nextKey('turn'),
        role: 'assistant',
        parts,
        runId: run.runId ?? record?.run_id,
        state: outcome,
        error: outcome === 'error' ? (run.error ?? errorFromRecord(record?.error || 'The run failed.')) : undefined,
        run: record ?? (run.model ? { model: run.model } : undefined),
      };
      setTurns((list) => [...list, turn]);
      setLatest({ runId: run.runId, outcome, run: record });
      if (active.current === run) active.current = null;
      setStreaming(false);
    },
    [live],
  );

  /**
   * After Stop, fetch the lab's record of the run and trust it: a Stop that landed after the
   * answer finished is recorded as finished (aborted=false), and the turn then says so
   * instead of "stopped"; the record also gives the answer its footer.
   */
  const fetchRecordedRun = useCallback(async (runId: string) => {
    for (const delay of [150, 400, 1000, 2000, 4000]) {
      await new Promise((resolve) => setTimeout(resolve, delay));
      // The run was recorded moments ago: it is among the newest, so only those are fetched.
      const runs = await api.listRuns({ limit: '500' }).catch(() => [] as RunRecord[]);
      const record = runs.find((candidate) => candidate.run_id === runId);
      if (record) {
        const outcome = outcomeOf(record);
        setLatest((current) => (current?.runId === runId ? { ...current, outcome, run: record } : current));
        setTurns((list) =>
          list.map((turn) =>
            turn.role === 'assistant' && turn.runId === runId
              ? { ...turn, run: record, state: outcome, error: outcome === 'error' ? errorFromRecord(record.error) : undefined }
              : turn,
          ),
        );
        callbacks.current.onRunRecorded(record);
        return;
      }
    }
  }, []);

  const send = useCallback(
    async (message: string, sendOptions: { replace?: ReplaceExchange } = {}) => {
      if (active.current || message.trim() === '') return;
      const run: ActiveRun = { controller: new AbortController(), runId: null, finished: false, error: null, gotRunEnd: false, model: null };
      active.current = run;
      const replace = sendOptions.replace;
      const userTurn: Turn = { key: nextKey('turn'), role: 'user', parts: [{ kind: 'text', text: message }], state: 'done', ts: new Date().toISOString() };
      setTurns((list) => [...(replace ? list.filter((turn) => turn.key !== replace.userKey && turn.key !== replace.answerKey) : list), userTurn]);
      live.start();
      setStreaming(true);
      setLatest({ runId: null, outcome: 'streaming', run: null });
      callbacks.current.announce('Sending…');

      const onEvent = (event: ChatEvent): void => {
        if (run.finished) return;
        switch (event.type) {
          case 'run-start':
            run.runId = event.run_id;
            run.model = event.model;
            live.setRunId(event.run_id);
            setSessionId(event.session_id);
            setLatest({ runId: event.run_id, outcome: 'streaming', run: null });
            callbacks.current.announce(`Streaming the answer from ${event.model}.`);
            break;
          case 'text-delta':
            live.appendText(event.delta);
            break;
          case 'tool-call':
            live.addToolCall({ id: event.id, name: event.name, args: event.args });
            break;
          case 'tool-result':
            live.addToolResult({ id: event.id, name: event.name, result: event.result, webStatus: event.web_status ?? null });
            break;
          case 'error':
            run.error = { code: event.code, message: event.message, retryable: event.retryable };
            break;
          case 'run-end': {
            run.gotRunEnd = true;
            const record = event.run;
            if (record.run_id) run.runId = record.run_id;
            if (!run.error && record.error && !record.aborted) run.error = errorFromRecord(record.error);
            const outcome = record.aborted ? 'aborted' : run.error ? 'error' : 'done';
            finish(run, outcome, record);
            callbacks.current.onRunRecorded(record);
            callbacks.current.announce(
              outcome === 'done' ? `Answer complete in ${Math.round(record.latency_ms)} ms.` : outcome === 'aborted' ? 'The run was stopped.' : `The run failed: ${run.error?.message ?? ''}`,
            );
            break;
          }
        }
      };

      try {
        const request = {
          ...(await callbacks.current.agentForRequest()),
          ...(sessionRef.current ? { session_id: sessionRef.current } : {}),
          message,
          tags: callbacks.current.getTags(),
          stream: true as const,
          // The lab replaces the exchange in the session only when it recorded one (a run that failed before it started left none).
          ...(replace?.runId && sessionRef.current ? { replace_run_id: replace.runId } : {}),
        };
        await streamChat({ request, signal: run.controller.signal, onEvent });
        if (!run.finished) {
          if (!run.error) run.error = { code: 'network:stream', message: 'The connection closed before the answer finished.', retryable: true };
          finish(run, 'error', null);
          callbacks.current.announce(`The run failed: ${run.error.message}`);
        }
      } catch (caught) {
        if (run.controller.signal.aborted) return; // Stop already finished the turn
        run.error = toTurnError(caught);
        finish(run, 'error', null);
        callbacks.current.announce(`The run failed: ${run.error.message}`);
      }
    },
    [finish, live, setSessionId],
  );

  const stop = useCallback(() => {
    const run = active.current;
    if (!run || run.finished) return;
    const runId = run.runId;
    // Both: closing the stream stops the run at once; cancel covers a proxy that holds the socket open.
    if (runId) api.cancelRun(runId).catch((caught: unknown) => console.info('Agent Lab: cancel after Stop', caught));
    run.controller.abort();
    finish(run, 'aborted', null);
    callbacks.current.announce('Stopped.');
    if (runId) void fetchRecordedRun(runId);
  }, [fetchRecordedRun, finish]);

  const newSession = useCallback(() => {
    stop();
    setTurns([]);
    setSessionId(null);
    setLatest(null);
    callbacks.current.announce('New session: the transcript is empty, the agent config is kept.');
  }, [setSessionId, stop]);

  const loadSession = useCallback(
    (session: Session) => {
      stop();
      setTurns(transcriptToTurns(session.transcript ?? [], session.runs ?? []));
      setSessionId(session.id);
      const lastRun = session.runs?.[session.runs.length - 1] as RunRecord | undefined;
      setLatest(lastRun ? { runId: lastRun.run_id ?? null, outcome: outcomeOf(lastRun), run: lastRun } : null);
    },
    [setSessionId, stop],
  );

  return { turns, live, streaming, sessionId, latest, send, stop, newSession, loadSession, setSessionId };
}
