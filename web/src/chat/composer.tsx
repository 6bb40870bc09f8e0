import { useEffect, useRef, useState, type KeyboardEvent } from 'react';

/**
 * The message box: Enter sends, Shift+Enter adds a line, Esc stops; Ctrl/Cmd+K anywhere on
 * the page focuses it.
 */
export function Composer(props: {
  streaming: boolean;
  disabled: boolean;
  disabledReason?: string | undefined;
  onSend: (message: string) => void;
  onStop: () => void;
  /** A touch screen: no keyboard hints. */
  touch: boolean;
  /** The chat view is the one showing (the page-wide keys apply to it then). */
  active: boolean;
}) {
  const { streaming, disabled, disabledReason, onSend, onStop, touch, active } = props;
  const [text, setText] = useState('');
  const input = useRef<HTMLTextAreaElement | null>(null);

  useEffect(() => {
    const onKey = (event: globalThis.KeyboardEvent): void => {
      if (!active) return;
      if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 'k') {
        event.preventDefault();
        input.current?.focus();
      } else if (event.key === 'Escape' && streaming) {
        event.preventDefault();
        onStop();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onStop, streaming, active]);

  const send = (): void => {
    if (streaming || disabled || text.trim() === '') return;
    onSend(text);
    setText('');
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>): void => {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      send();
    }
  };

  return (
    <form
      className="composer"
      onSubmit={(event) => {
        event.preventDefault();
        send();
      }}
    >
      <label htmlFor="chat-input" className="visually-hidden">
        Message
      </label>
      <textarea
        id="chat-input"
        ref={input}
        data-testid="chat-input"
        value={text}
        rows={2}
        placeholder={disabled && disabledReason ? disabledReason : touch ? 'Message the agent' : 'Message the agent (Enter to send, Shift+Enter for a new line)'}
        onChange={(event) => setText(event.target.value)}
        onKeyDown={onKeyDown}
        aria-describedby={touch ? undefined : 'composer-hint'}
      />
      <div className="composer-actions">
        <span id="composer-hint" className="muted small keyboard-hints" hidden={touch} data-testid="keyboard-hints">
          Enter sends · Shift+Enter new line · Esc stops · Ctrl/⌘+K focus
        </span>
        <span className="spacer" />
        {streaming ? (
          <button type="button" className="danger" onClick={onStop} data-testid="stop">
            Stop
          </button>
        ) : (
          <button type="submit" className="primary" disabled={disabled || text.trim() === ''} data-testid="send">
            Send
          </button>
        )}
      </div>
    </form>
  );
}
