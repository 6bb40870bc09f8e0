import { useEffect, useRef, useState } from 'react';
import { exchangeSpan } from '../../../src/domain/exchange.js';
import { api } from '../api/client.js';
import type { ScoreRecord } from '../api/eval-types.js';
import type { RunRecord, Session, TranscriptEntry } from '../api/types.js';
import { MarkdownView } from '../chat/markdown-view.js';
import { formatCost, formatDateTime, formatMs, formatNumber } from '../lib/format.js';
import { Icon } from '../components/icons.js';
import { runStatus } from './run-status.js';

/** The entries of one run's exchange: the user message before its answer, tool turns, the answer. */
export function exchangeOf(transcript: TranscriptEntry[], runId: string): TranscriptEntry[] {
  const span = exchangeSpan(transcript, runId);
  return span ? transcript.slice(span.start, span.end) : [];
}

function show(value: unknown): string {
  if (value === undefined || value === null || value === '') return '—';
  if (typeof value === 'string') {
    try {
      return JSON.stringify(JSON.parse(value), null, 2);
    } catch {
      return value;
    }
  }
  return JSON.stringify(value, null, 2);
}

/** request → first token → last token, to scale. */
function TimingBar({ run }: { run: RunRecord }) {
  const total = Math.max(run.latency_ms, 1);
  const ttft = run.ttft_ms ?? null;
  const waiting = ttft === null ? 100 : Math.min(100, (ttft / total) * 100);
  return (
    <figure className="timing" data-testid="run-timing">
      <div className="timing-bar" aria-hidden="true">
        <span className="timing-wait" style={{ width: `${waiting}%` }} />
        <span className="timing-stream" style={{ width: `${100 - waiting}%` }} />
      </div>
      <figcaption className="timing-legend">
        <span>request 0 ms</span>
        <span>→ first token {formatMs(ttft)}</span>
        <span>→ last token {formatMs(run.latency_ms)}</span>
      </figcaption>
    </figure>
  );
}

/** A run's detail: transcript, tool calls, timing, tokens, cost, scores with reasons, the agent config. */
export function RunDetail(props: { run: RunRecord; scores: ScoreRecord[]; onClose: () => void }) {
  const { run, scores, onClose } = props;
  const [session, setSession] = useState<Session | null>(null);
  const [error, setError] = useState<string | null>(null);
  const closeButton = useRef<HTMLButtonElement | null>(null);

  useEffect(() => {
    closeButton.current?.focus();
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);

  useEffect(() => {
    setSession(null);
    setError(null);
    if (!run.session_id) return;
    let cancelled = false;
    api
      .getSession(run.session_id)
      .then((loaded) => !cancelled && setSession(loaded))
      .catch((caught: unknown) => !cancelled && setError(caught instanceof Error ? caught.message : String(caught)));
    return () => {
      cancelled = true;
    };
  }, [run.session_id]);

  const exchange = session ? exchangeOf(session.transcript ?? [], run.run_id) : [];
  const status = runStatus(run);
  return (
    <aside className="sheet run-detail" role="dialog" aria-modal="false" aria-labelledby="run-detail-title" data-testid="run-detail" data-run-id={run.run_id}>
      <header className="sheet-head">
        <div>
          <h2 id="run-detail-title">Run detail</h2>
          <p className="muted small mono">{run.run_id}</p>
        </div>
        <span className="spacer" />
        <button type="button" ref={closeButton} className="small-button" onClick={onClose} aria-label="Close the run detail" data-testid="run-detail-close">
          <Icon name="close" />
        </button>
      </header>
      <div className="sheet-body">
        <p>
          <strong>{run.agent_name || 'agent'}</strong> · <span className="mono">{run.model}</span> · {formatDateTime(run.ts)}{' '}
          <span className={`pill pill-${status}`}>{status}</span>
        </p>
        {run.error && <p className="chat-error">{run.error}</p>}
        <h3>Timing</h3>
        <TimingBar run={run} />
        <dl className="detail-grid">
          <dt>TTFT</dt>
          <dd>{formatMs(run.ttft_ms)}</dd>
          <dt>Latency</dt>
          <dd>{formatMs(run.latency_ms)}</dd>
          <dt>Tokens/s</dt>
          <dd data-testid="run-detail-tps">{formatNumber(run.tokens_per_s)}</dd>
          <dt>Tokens</dt>
          <dd>
            {formatNumber(run.prompt_tokens)} prompt + {formatNumber(run.completion_tokens)} completion = {formatNumber(run.total_tokens)}
          </dd>
          <dt>Cost</dt>
          <dd data-testid="run-detail-cost">{formatCost(run.cost_usd)}</dd>
          <dt>Finish</dt>
          <dd>{run.finish_reason || '—'}</dd>
          <dt>Tags</dt>
          <dd>
            {[run.experiment_id && `experiment ${run.experiment_id}`, run.task_label && `task ${run.task_label}`, run.run_notes && `notes ${run.run_notes}`].filter(Boolean).join(' · ') || '—'}
          </dd>
        </dl>

        <h3>Scores</h3>
        {scores.length === 0 ? (
          <p className="muted">No scores yet.</p>
        ) : (
          <ul className="score-list" data-testid="run-detail-scores">
            {scores.map((score) => (
              <li key={score.score_id}>
                <span className="pill">{score.kind}</span> <strong>{score.value === null ? 'error' : score.value}</strong>
                {score.pass !== null && <span className={score.pass ? 'pill pill-ok' : 'pill pill-error'}>{score.pass ? 'pass' : 'fail'}</span>}{' '}
                <span className="muted small">{score.scorer}</span>
                {score.reason && <p className="score-reason">{score.reason}</p>}
              </li>
            ))}
          </ul>
        )}

        <h3>Transcript</h3>
        {error && <p className="field-error">{error}</p>}
        {!run.session_id && <p className="muted">This run has no session.</p>}
        {run.session_id && !session && !error && <p className="muted">Loading…</p>}
        {session && exchange.length === 0 && <p className="muted">This run’s answer is not in its session (replaced by a regenerate or retry).</p>}
        <div className="detail-transcript" data-testid="run-detail-transcript">
          {exchange.map((entry, index) =>
            entry.role === 'tool' ? (
              <details key={index} className="tool tool-done" open data-testid="run-detail-tool">
                <summary>
                  <span className="tool-name">{entry.name ?? 'tool'}</span>
                </summary>
                <div className="tool-body">
                  <div className="tool-label">Arguments</div>
                  <pre>{show((entry as TranscriptEntry & { args?: unknown }).args)}</pre>
                  <div className="tool-label">Result</div>
                  <pre>{show(entry.content)}</pre>
                </div>
              </details>
            ) : (
              <article key={index} className={`message message-${entry.role}`}>
                <header className="message-role">{entry.role === 'user' ? 'You' : 'Agent'}</header>
                {entry.role === 'user' ? <p className="plain-text">{entry.content}</p> : <MarkdownView text={entry.content} />}
              </article>
            ),
          )}
        </div>

        <h3>Agent config</h3>
        <pre className="config-snapshot" data-testid="run-detail-config">
          {session?.agent_config ? JSON.stringify(session.agent_config, null, 2) : '—'}
        </pre>
      </div>
    </aside>
  );
}
