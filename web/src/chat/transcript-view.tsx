import { memo, useEffect, useRef } from 'react';
import type { LiveMessageStore } from './live-message-store.js';
import { LiveMessageView } from './live-message-view.js';
import { MessageView } from './message-view.js';
import type { Turn } from './turn.js';

/** The conversation: finished turns (re-rendered only when one is added) and the live answer. */
export const TranscriptView = memo(function TranscriptView(props: {
  turns: Turn[];
  live: LiveMessageStore;
  onRetry: (message: string) => void;
}) {
  const { turns, live, onRetry } = props;
  const scroller = useRef<HTMLDivElement | null>(null);

  useEffect(() => {
    const element = scroller.current;
    if (element) element.scrollTop = element.scrollHeight;
  }, [turns]);

  const lastUser = [...turns].reverse().find((turn) => turn.role === 'user');
  const lastUserText = lastUser ? lastUser.parts.map((part) => (part.kind === 'text' ? part.text : '')).join('') : '';

  return (
    <div className="transcript" ref={scroller} data-testid="transcript" aria-label="Conversation" role="log" aria-live="off">
      {turns.length === 0 && <p className="empty-chat muted">Send a message to start. Enter sends, Shift+Enter adds a line, Esc stops, Ctrl/⌘+K comes back here.</p>}
      {turns.map((turn, index) => (
        <MessageView
          key={turn.key}
          turn={turn}
          onRetry={index === turns.length - 1 && turn.state === 'error' && lastUserText ? () => onRetry(lastUserText) : undefined}
        />
      ))}
      <LiveMessageView store={live} scroller={scroller} />
    </div>
  );
});
