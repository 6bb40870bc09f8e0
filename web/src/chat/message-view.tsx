import { memo } from 'react';
import { MarkdownView } from './markdown-view.js';
import { ToolPartView } from './tool-part-view.js';
import type { Part, Turn } from './turn.js';
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

const ROLE_LABEL: Record<Turn['role'], string> = { user: 'You', assistant: 'Agent', system: 'System' };

/** One finished turn. Memoised: a new token never re-renders it. */
export const MessageView = memo(function MessageView({ turn, onRetry }: { turn: Turn; onRetry?: (() => void) | undefined }) {
  return (
    <article className={`message message-${turn.role}`} data-testid="message" data-role={turn.role} data-run-id={turn.runId ?? ''} data-state={turn.state}>
      <header className="message-role">
        {ROLE_LABEL[turn.role]}
        {turn.state === 'aborted' && <span className="pill pill-warn" data-testid="message-aborted">stopped</span>}
      </header>
      <PartsView parts={turn.parts} />
      {turn.state === 'error' && turn.error && (
        <div className="chat-error" role="alert" data-testid="chat-error" data-code={turn.error.code}>
          <strong>{turn.error.message}</strong>
          <p>{adviceFor(turn.error)}</p>
          {onRetry && turn.error.retryable && (
            <button type="button" onClick={onRetry} data-testid="retry">
              Retry
            </button>
          )}
        </div>
      )}
    </article>
  );
});
