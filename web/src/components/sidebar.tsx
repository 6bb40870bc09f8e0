import { useId, useMemo, useState } from 'react';
import type { RunRecord, SessionListItem } from '../api/types.js';
import { groupSessions, plainTitle } from '../lib/session-groups.js';
import type { AgentSwitch } from '../state/use-agent-switch-guard.js';
import type { AgentsState } from '../state/use-agents.js';
import type { SessionsState } from '../state/use-sessions.js';
import { Icon } from './icons.js';

function label(session: SessionListItem): string {
  return plainTitle(session.name || session.notes) || 'Untitled session';
}

/** Delete with a second, explicit click. */
function ConfirmDelete(props: { what: string; disabled: boolean; onDelete: () => void; testId: string }) {
  const [confirming, setConfirming] = useState(false);
  if (!confirming) {
    return (
      <button type="button" className="icon-button" aria-label={`Delete ${props.what}`} title="Delete" onClick={() => setConfirming(true)} disabled={props.disabled} data-testid={props.testId}>
        <Icon name="trash" size={14} />
      </button>
    );
  }
  return (
    <span className="confirm" role="group" aria-label={`Delete ${props.what}?`}>
      <button
        type="button"
        className="danger small-button"
        onClick={() => {
          setConfirming(false);
          props.onDelete();
        }}
        data-testid={`${props.testId}-confirm`}
        autoFocus
      >
        Delete
      </button>
      <button type="button" className="small-button" onClick={() => setConfirming(false)}>
        Keep
      </button>
    </span>
  );
}

/**
 * The sidebar: New chat, search, sessions by day (bake-off, batch and eval sessions under
 * their experiment with a badge), and the agents with their model (new, edit, duplicate,
 * delete). Collapsible on a desktop, a drawer on a phone.
 */
export function Sidebar(props: {
  sessions: SessionsState;
  runs: RunRecord[];
  agents: AgentsState;
  currentSessionId: string | null;
  busy: boolean;
  readOnly: boolean;
  onNewChat: () => void;
  onLoadSession: (id: string) => Promise<void>;
  /** Edit an agent's settings (null: a new agent); asks first when unsaved settings would be lost. */
  onEditAgent: (id: string | null) => void;
  /** Put an agent on the form; asks first when unsaved settings would be lost. */
  onPickAgent: (id: string) => void;
  /** Any other change of the agent on the form (a duplicate is selected), through the same question. */
  onSwitchAgent: (change: AgentSwitch) => void;
  onClose: () => void;
}) {
  const { sessions, agents, currentSessionId, busy, readOnly } = props;
  const id = useId();
  // The server answers the search (older sessions too); the loaded list narrows at once meanwhile.
  const { search, setSearch } = sessions;
  const [error, setError] = useState<string | null>(null);

  const groups = useMemo(() => {
    const words = search.toLowerCase().split(/\s+/).filter(Boolean);
    const shown = sessions.sessions.filter((session) => {
      const haystack = `${label(session)} ${session.id} ${session.model_id ?? ''}`.toLowerCase();
      return words.every((word) => haystack.includes(word));
    });
    return groupSessions({ sessions: shown, runs: props.runs });
  }, [search, sessions.sessions, props.runs]);

  const attempt = (what: () => Promise<void>) => {
    setError(null);
    what().catch((caught: unknown) => setError(caught instanceof Error ? caught.message : String(caught)));
  };

  return (
    <nav className="sidebar-inner" aria-label="Sessions and agents">
      <div className="sidebar-head">
        <button type="button" className="primary new-chat" onClick={props.onNewChat} data-testid="session-new">
          <Icon name="plus" /> New chat
        </button>
        <button type="button" className="icon-button sidebar-close" onClick={props.onClose} aria-label="Close the sidebar" data-testid="sidebar-close">
          <Icon name="close" />
        </button>
      </div>
      <label htmlFor={`${id}-search`} className="visually-hidden">
        Search sessions
      </label>
      <input id={`${id}-search`} type="search" placeholder="Search sessions" value={search} onChange={(event) => setSearch(event.target.value)} data-testid="session-search" />
      <p className="visually-hidden" data-testid="session-current" data-session-id={currentSessionId ?? ''}>
        {currentSessionId ? `Current session ${currentSessionId}` : 'New chat: the first message starts a session.'}
      </p>
      {error && (
        <p className="field-error" role="alert" data-testid="session-error">
          {error}
        </p>
      )}
      <div className="session-groups" data-testid="session-list">
        {sessions.loading && groups.length === 0 && <p className="muted small">Loading…</p>}
        {!sessions.loading && groups.length === 0 && <p className="muted small">No sessions{search ? ' match' : ' yet'}.</p>}
        {groups.map((group) =>
          group.badge ? (
            <details key={group.key} className="session-group experiment-group" data-testid="session-group" data-kind={group.badge}>
              <summary>
                <span className={`badge-kind badge-${group.badge}`} data-testid="session-group-badge">
                  {group.badge}
                </span>
                <span className="mono small group-title">{group.label}</span>
                <span className="muted small">{group.sessions.length}</span>
              </summary>
              <SessionList sessions={group.sessions} {...{ currentSessionId, busy, readOnly, sessionsState: sessions, attempt, onLoad: props.onLoadSession }} />
            </details>
          ) : (
            <section key={group.key} className="session-group" data-testid="session-group" data-kind="day">
              <h3 className="group-label">{group.label}</h3>
              <SessionList sessions={group.sessions} {...{ currentSessionId, busy, readOnly, sessionsState: sessions, attempt, onLoad: props.onLoadSession }} />
            </section>
          ),
        )}
        {sessions.truncated && (
          <p className="muted small sessions-more" data-testid="sessions-truncated">
            The newest {sessions.sessions.length} sessions{search ? ' that match' : ''}.{' '}
            <button type="button" className="link-button" onClick={sessions.showMore} disabled={sessions.loading} data-testid="sessions-more">
              Show more
            </button>
          </p>
        )}
      </div>

      <section className="sidebar-agents" aria-labelledby={`${id}-agents`}>
        <div className="label-row">
          <h3 id={`${id}-agents`} className="group-label">
            Agents
          </h3>
          <span className="spacer" />
          <button
            type="button"
            className="small-button"
            onClick={() => props.onEditAgent(null)}
            disabled={readOnly}
            data-testid="agent-new"
          >
            <Icon name="plus" size={14} /> New
          </button>
        </div>
        <ul className="agent-list" data-testid="agent-list">
          {agents.agents.map((agent) => (
            <li key={agent.id} className={agent.id === agents.selectedId ? 'agent-item current' : 'agent-item'} data-testid="agent-item" data-agent-id={agent.id}>
              <button type="button" className="link-button agent-pick" onClick={() => props.onPickAgent(agent.id)} data-testid="agent-pick">
                <span className="agent-name">{agent.name}</span>
                <span className="muted small mono">{agent.model}</span>
              </button>
              <span className="agent-actions">
                <button type="button" className="icon-button" title="Edit" aria-label={`Edit ${agent.name}`} onClick={() => props.onEditAgent(agent.id)} data-testid="agent-edit">
                  <Icon name="edit" size={14} />
                </button>
                <button
                  type="button"
                  className="icon-button"
                  title="Duplicate"
                  aria-label={`Duplicate ${agent.name}`}
                  onClick={() => props.onSwitchAgent({ target: `a copy of “${agent.name}”`, proceed: () => attempt(() => agents.duplicate(agent.id)) })}
                  disabled={readOnly}
                  data-testid="agent-duplicate"
                >
                  <Icon name="copy" size={14} />
                </button>
                <ConfirmDelete what={`agent ${agent.name}`} disabled={readOnly} onDelete={() => attempt(() => agents.remove(agent.id))} testId="agent-delete" />
              </span>
            </li>
          ))}
        </ul>
      </section>
    </nav>
  );
}

function SessionList(props: {
  sessions: SessionListItem[];
  currentSessionId: string | null;
  busy: boolean;
  readOnly: boolean;
  sessionsState: SessionsState;
  attempt: (what: () => Promise<void>) => void;
  onLoad: (id: string) => Promise<void>;
}) {
  return (
    <ul className="session-list">
      {props.sessions.map((session) => (
        <li key={session.id} className={session.id === props.currentSessionId ? 'session current' : 'session'} data-testid="session-item" data-session-id={session.id}>
          <button
            type="button"
            className="link-button session-load"
            onClick={() => props.attempt(() => props.onLoad(session.id))}
            data-testid="session-load"
            disabled={props.busy || session.damaged === true}
            title={session.damaged ? `damaged: ${session.error ?? 'unreadable'}` : label(session)}
          >
            <span className="session-title" data-testid="session-title">
              {label(session)}
            </span>
          </button>
          <ConfirmDelete what={`session ${label(session)}`} disabled={props.readOnly} onDelete={() => props.attempt(() => props.sessionsState.remove(session.id))} testId="session-delete" />
        </li>
      ))}
    </ul>
  );
}
