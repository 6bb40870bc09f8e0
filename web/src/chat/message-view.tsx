import { memo, useState } from 'react';
import { api } from '../api/client.js';
import { formatCost, formatMs, formatNumber } from '../lib/format.js';
import { notifyLabChanged } from '../state/lab-events.js';
import { Icon } from '../components/icons.js';
import { MarkdownView } from './markdown-view.js';
import { ToolPartView } from './tool-part-view.js';
import { turnText, type Part, type Turn } from './turn.js';
import { adviceFor } from './use-chat.js';

export function PartsView({ parts }: { parts: Part[] }) {
  return (
    <>
      {parts.map((part, index) =>
        part.kind === 'text' ? <MarkdownView key={index} text={part.text} /> : <ToolPartView key={part.id + index} part={part} />,
      )}
    </>
  );
}

/** What a finished turn can do; undefined actions are not offered on that turn. */
export interface TurnActions {
  onRetry?: (() => void) | undefined;
  onRegenerate?: (() => void) | undefined;
  onEditResend?: ((text: string) => void) | undefined;
  onDetails?: (() => void) | undefined;
  /** The person's rating already saved for this answer (1 up, 0 down). */
  rated?: number | null | undefined;
}

/** The quiet footer of an answer: TTFT · tokens/s · tokens · cost ("—" and "unpriced" when not known). */
function AnswerFooter({ turn }: { turn: Turn }) {
  const run = turn.run;
  if (!run || run.latency_ms === undefined) return null;
  if (turn.state === 'error' && !run.completion_tokens) return null; // nothing came back: the error card says it all
  return (
    <p className="answer-footer" data-testid="answer-footer">
      <span title="time to first token" data-testid="answer-ttft">{formatMs(run.ttft_ms)}</span>
      <span aria-hidden="true"> · </span>
      <span title="tokens per second after the first token" data-testid="answer-tps">{run.tokens_per_s === null || run.tokens_per_s === undefined ? '—' : `${formatNumber(run.tokens_per_s)} tok/s`}</span>
      <span aria-hidden="true"> · </span>
      <span data-testid="answer-tokens">{formatNumber(run.completion_tokens)} tokens</span>
      <span aria-hidden="true"> · </span>
      <span data-testid="answer-cost">{formatCost(run.cost_usd)}</span>
    </p>
  );
}

function Rating({ runId, saved }: { runId: string; saved: number | null }) {
  const [chosen, setValue] = useState<number | null>(null);
  const value = chosen ?? saved;
  const [error, setError] = useState<string | null>(null);
  const rate = (next: 0 | 1) => {
    setError(null);
    api
      .addScore(runId, { kind: 'human', value: next })
      .then(() => {
        setValue(next);
        notifyLabChanged('scores');
      })
      .catch((caught: unknown) => setError(caught instanceof Error ? caught.message : String(caught)));
  };
  return (
    <>
      <button type="button" className="icon-button" aria-pressed={value === 1} onClick={() => rate(1)} title="Good answer" aria-label="Rate up" data-testid="rate-up">
        <Icon name="thumbs-up" size={15} />
      </button>
      <button type="button" className="icon-button" aria-pressed={value === 0} onClick={() => rate(0)} title="Bad answer" aria-label="Rate down" data-testid="rate-down">
        <Icon name="thumbs-down" size={15} />
      </button>
      {error && (
        <span className="field-error small" role="alert" data-testid="rate-error">
          {error}
        </span>
      )}
    </>
  );
}

function CopyButton({ text }: { text: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      className="icon-button"
      onClick={() =>
        void navigator.clipboard.writeText(text).then(
          () => {
            setCopied(true);
            setTimeout(() => setCopied(false), 1500);
          },
          (caught: unknown) => console.info('Agent Lab: copy refused', caught),
        )
      }
      data-testid="copy"
    >
      {copied ? 'Copied' : 'Copy'}
    </button>
  );
}

const ROLE_LABEL: Record<Turn['role'], string> = { user: 'You', assistant: 'Agent', system: 'System' };

/** One finished turn. Memoised: a new token never re-renders it. */
export const MessageView = memo(function MessageView({ turn, actions }: { turn: Turn; actions: TurnActions }) {
  const [editing, setEditing] = useState<string | null>(null);
  const model = turn.run?.model;
  const cutOff = turn.role === 'assistant' && turn.state === 'done' && turn.run?.finish_reason === 'length';
  return (
    <article
      className={`message message-${turn.role}`}
      data-testid="message"
      data-role={turn.role}
      data-run-id={turn.runId ?? ''}
      data-state={turn.state}
      data-finish={turn.run?.finish_reason ?? ''}
    >
      <header className="message-role">
        {turn.role === 'assistant' && model ? (
          <span className="message-model mono" data-testid="message-model">
            {model}
          </span>
        ) : (
          ROLE_LABEL[turn.role]
        )}
        {turn.state === 'aborted' && <span className="pill pill-warn" data-testid="message-aborted">stopped</span>}
        {cutOff && (
          <span className="pill pill-warn" data-testid="message-cut-off" title="The answer hit the max tokens limit (finish reason: length)">
            cut off
          </span>
        )}
      </header>
      {editing !== null ? (
        <form
          className="edit-form"
          onSubmit={(event) => {
            event.preventDefault();
            if (editing.trim() === '') return;
            actions.onEditResend?.(editing);
            setEditing(null);
          }}
        >
          <label className="visually-hidden" htmlFor={`edit-${turn.key}`}>
            Edit the message
          </label>
          <textarea id={`edit-${turn.key}`} value={editing} rows={3} onChange={(event) => setEditing(event.target.value)} data-testid="edit-input" autoFocus />
          <div className="inline">
            <button type="submit" className="primary small-button" data-testid="edit-send">
              Send
            </button>
            <button type="button" className="small-button" onClick={() => setEditing(null)}>
              Cancel
            </button>
          </div>
        </form>
      ) : turn.role === 'user' ? (
        <p className="plain-text" data-testid="message-content">
          {turnText(turn)}
        </p>
      ) : (
        <PartsView parts={turn.parts} />
      )}
      {cutOff && <p className="muted small" data-testid="cut-off-note">Cut off at the max tokens limit: raise “Max tokens” in the settings for a longer answer.</p>}
      {turn.state === 'error' && turn.error && (
        <div className="chat-error" role="alert" data-testid="chat-error" data-code={turn.error.code}>
          <strong>{turn.error.message}</strong>
          <p>{adviceFor(turn.error)}</p>
          {actions.onRetry && turn.error.retryable && (
            <button type="button" onClick={actions.onRetry} data-testid="retry">
              Retry
            </button>
          )}
        </div>
      )}
      {turn.role === 'assistant' && <AnswerFooter turn={turn} />}
      {editing === null && (
        <div className="message-actions" data-testid="message-actions">
          {turn.role === 'user' && actions.onEditResend && (
            <button type="button" className="icon-button" onClick={() => setEditing(turnText(turn))} data-testid="edit">
              Edit
            </button>
          )}
          {turn.role === 'assistant' && (
            <>
              <CopyButton text={turnText(turn)} />
              {actions.onRegenerate && (
                <button type="button" className="icon-button" onClick={actions.onRegenerate} data-testid="regenerate">
                  Regenerate
                </button>
              )}
              {turn.runId && turn.state !== 'error' && <Rating runId={turn.runId} saved={actions.rated ?? null} />}
              {actions.onDetails && (
                <button type="button" className="icon-button" onClick={actions.onDetails} data-testid="details">
                  Details
                </button>
              )}
            </>
          )}
        </div>
      )}
    </article>
  );
});
