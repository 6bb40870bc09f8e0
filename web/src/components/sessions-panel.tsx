import { useEffect, useId, useMemo, useState } from 'react';
import type { SessionListItem } from '../api/types.js';
import { formatDateTime } from '../lib/format.js';
import type { SessionsState } from '../state/use-sessions.js';

function label(session: SessionListItem): string {
  return session.name || session.notes || 'Untitled session';
}

/** Sessions: save the current one under a name, start a new one, search, load, delete (confirmed). */
export function SessionsPanel(props: {
  sessions: SessionsState;
  currentId: string | null;
  currentName: string;
  busy: boolean;
  readOnly: boolean;
  onSave: (name: string) => Promise<void>;
  onNew: () => void;
  onLoad: (id: string) => Promise<void>;
}) {
  const { sessions, currentId, currentName, busy, readOnly, onSave, onNew, onLoad } = props;
  const id = useId();
  const [name, setName] = useState(currentName);
  const [search, setSearch] = useState('');
  const [confirming, setConfirming] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  useEffect(() => setName(currentName), [currentName]);

  const shown = useMemo(() => {
    const words = search.toLowerCase().split(/\s+/).filter(Boolean);
    return sessions.sessions.filter((session) => {
      const haystack = `${label(session)} ${session.id} ${session.model_id ?? ''}`.toLowerCase();
      return words.every((word) => haystack.includes(word));
    });
  }, [search, sessions.sessions]);

  const run = async (what: () => Promise<void>): Promise<void> => {
    setMessage(null);
    try {
      await what();
    } catch (caught) {
      setMessage(caught instanceof Error ? caught.message : String(caught));
    }
  };

  return (
    <section className="card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Sessions</h2>
      <form
        className="field"
        onSubmit={(event) => {
          event.preventDefault();
          void run(() => onSave(name.trim() || 'Untitled session'));
        }}
      >
        <label htmlFor={`${id}-name`}>Session name</label>
        <div className="inline">
          <input id={`${id}-name`} value={name} maxLength={200} onChange={(event) => setName(event.target.value)} data-testid="session-name" />
          <button type="submit" disabled={busy || readOnly} data-testid="session-save">
            Save
          </button>
          <button type="button" onClick={onNew} data-testid="session-new">
            New
          </button>
        </div>
        <p className="muted small" data-testid="session-current" data-session-id={currentId ?? ''}>
          {currentId ? `Current: ${currentId.slice(0, 8)}…` : 'Not saved yet: the first message starts a session.'}
        </p>
      </form>
      {message && (
        <p className="field-error" role="alert" data-testid="session-error">
          {message}
        </p>
      )}
      <div className="field">
        <label htmlFor={`${id}-search`}>Search sessions</label>
        <input id={`${id}-search`} type="search" value={search} onChange={(event) => setSearch(event.target.value)} data-testid="session-search" />
      </div>
      <ul className="session-list" data-testid="session-list" aria-label="Saved sessions">
        {sessions.loading && shown.length === 0 && <li className="muted">Loading…</li>}
        {!sessions.loading && shown.length === 0 && <li className="muted">No sessions{search ? ' match' : ' yet'}.</li>}
        {shown.map((session) => (
          <li key={session.id} className={session.id === currentId ? 'session current' : 'session'} data-testid="session-item" data-session-id={session.id}>
            <button type="button" className="link-button session-load" onClick={() => void run(() => onLoad(session.id))} data-testid="session-load" disabled={busy || session.damaged === true}>
              <span className="session-title">{label(session)}</span>
              <span className="muted small">
                {session.damaged ? `damaged: ${session.error ?? 'unreadable'}` : formatDateTime(session.updated_at ?? session.created_at)}
                {typeof session.turns === 'number' ? ` · ${session.turns} message${session.turns === 1 ? '' : 's'}` : ''}
              </span>
            </button>
            {confirming === session.id ? (
              <span className="confirm" role="group" aria-label={`Delete ${label(session)}?`}>
                <span className="small">Delete?</span>
                <button
                  type="button"
                  className="danger small-button"
                  onClick={() =>
                    void run(async () => {
                      setConfirming(null);
                      await sessions.remove(session.id);
                    })
                  }
                  data-testid="session-delete-confirm"
                  autoFocus
                >
                  Delete
                </button>
                <button type="button" className="small-button" onClick={() => setConfirming(null)} data-testid="session-delete-cancel">
                  Keep
                </button>
              </span>
            ) : (
              <button
                type="button"
                className="small-button"
                aria-label={`Delete session ${label(session)}`}
                onClick={() => setConfirming(session.id)}
                disabled={readOnly}
                data-testid="session-delete"
              >
                Delete
              </button>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
