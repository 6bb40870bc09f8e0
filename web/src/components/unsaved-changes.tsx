import type { AgentsState } from '../state/use-agents.js';

/**
 * The chat header's word on the settings: a saved agent's unsaved changes apply to this chat's
 * messages only, until the user saves them to the agent or reverts to what is saved.
 */
export function UnsavedChanges(props: { agents: AgentsState; readOnly: boolean }) {
  const { agents } = props;
  if (!agents.dirty) return null;
  if (!agents.selectedId) {
    return (
      <span className="pill pill-warn small" title="A new agent: created when you send or save it" data-testid="chat-unsaved">
        not saved
      </span>
    );
  }
  return (
    <span className="unsaved-changes" data-testid="chat-unsaved">
      <span className="pill pill-warn small" title="These settings apply to this chat’s messages; the saved agent is unchanged until you save">
        unsaved changes
      </span>
      <button type="button" className="small-button" onClick={() => void agents.save().catch(() => undefined)} disabled={agents.saving || props.readOnly} data-testid="chat-save">
        {agents.saving ? 'Saving…' : 'Save'}
      </button>
      <button type="button" className="small-button" onClick={agents.revert} disabled={agents.saving} data-testid="chat-revert">
        Revert
      </button>
    </span>
  );
}
