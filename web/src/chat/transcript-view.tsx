import { memo, useEffect, useRef } from 'react';
import type { RunRecord } from '../api/types.js';
import type { LiveMessageStore } from './live-message-store.js';
import { LiveMessageView } from './live-message-view.js';
import { MessageView, type TurnActions } from './message-view.js';
import { turnText, type Turn } from './turn.js';
import type { ReplaceExchange } from './use-chat.js';

const NO_ACTIONS: TurnActions = {};

/**
 * The conversation: finished turns (re-rendered only when one is added) and the live answer.
 * The last exchange can be retried, regenerated or edited and resent; each replaces it.
 */
export const TranscriptView = memo(function TranscriptView(props: {
  turns: Turn[];
  live: LiveMessageStore;
  streaming: boolean;
  onSend: (message: string, options: { replace: ReplaceExchange }) => void;
  onDetails: (run: RunRecord) => void;
  touch: boolean;
  /** Saved ratings by run id (the last thumbs of each answer). */
  ratings: Map<string, number>;
}) {
  const { turns, live, streaming, onSend, onDetails, touch, ratings } = props;
  const scroller = useRef<HTMLDivElement | null>(null);

  useEffect(() => {
    const element = scroller.current;
    if (element) element.scrollTop = element.scrollHeight;
  }, [turns]);

  const last = turns.at(-1);
  const lastAnswer = last?.role === 'assistant' ? last : undefined;
  const lastUserIndex = turns.findLastIndex((turn) => turn.role === 'user');
  const lastUser = lastUserIndex >= 0 ? turns[lastUserIndex] : undefined;
  const exchangeAnswer = lastAnswer && lastUserIndex === turns.length - 2 ? lastAnswer : undefined;
  const replace = (answer: Turn | undefined): ReplaceExchange => ({ userKey: lastUser?.key, answerKey: answer?.key ?? '', runId: answer?.runId });

  return (
    <div className="transcript" ref={scroller} data-testid="transcript" aria-label="Conversation" role="log" aria-live="off">
      {turns.length === 0 && (
        <div className="empty-chat">
          <p className="empty-title">What shall we try?</p>
          <p className="muted keyboard-hints" hidden={touch}>
            Enter sends · Shift+Enter adds a line · Esc stops · Ctrl/⌘+K comes back here
          </p>
        </div>
      )}
      {turns.map((turn, index) => {
        let actions = NO_ACTIONS;
        if (!streaming && lastUser) {
          if (turn === exchangeAnswer) {
            const again = () => onSend(turnText(lastUser), { replace: replace(turn) });
            actions = { onRetry: turn.state === 'error' ? again : undefined, onRegenerate: turn.state !== 'error' ? again : undefined };
          } else if (index === lastUserIndex) {
            actions = { onEditResend: (text: string) => onSend(text, { replace: replace(exchangeAnswer) }) };
          }
        }
        const run = turn.run;
        if (turn.role === 'assistant' && run && run.run_id && run.latency_ms !== undefined) actions = { ...actions, onDetails: () => onDetails(run as RunRecord) };
        if (turn.runId && ratings.has(turn.runId)) actions = { ...actions, rated: ratings.get(turn.runId) };
        return <MessageView key={turn.key} turn={turn} actions={actions} />;
      })}
      <LiveMessageView store={live} scroller={scroller} />
    </div>
  );
});
