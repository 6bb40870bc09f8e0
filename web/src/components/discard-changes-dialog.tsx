import { useEffect, useRef } from 'react';
import type { AgentsState } from '../state/use-agents.js';
import type { AgentSwitchGuard } from '../state/use-agent-switch-guard.js';

/**
 * Asked in the page (a modal dialog, not window.confirm) when switching agents would throw
 * away unsaved settings: keep editing (the default, and Esc), save and switch, or discard and switch.
 */
export function DiscardChangesDialog(props: { guard: AgentSwitchGuard; agents: AgentsState; readOnly: boolean }) {
  const { guard, agents } = props;
  const dialog = useRef<HTMLDialogElement | null>(null);
  const open = guard.pending !== null;

  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (open && !element.open) element.showModal();
    if (!open && element.open) element.close();
  }, [open]);

  const current = agents.draft.name.trim() || 'This agent';
  const isNew = agents.selectedId === null;
  return (
    <dialog
      ref={dialog}
      className="auth-dialog discard-dialog"
      aria-labelledby="discard-title"
      aria-describedby="discard-body"
      data-testid="discard-dialog"
      onCancel={(event) => {
        event.preventDefault();
        guard.keepEditing();
      }}
    >
      <h2 id="discard-title">Unsaved changes</h2>
      <p id="discard-body" data-testid="discard-message">
        {isNew ? `“${current}” is not saved yet.` : `“${current}” has settings you have not saved.`} Switching to {guard.pending?.target ?? 'another agent'} puts
        its settings on the form instead.
      </p>
      {guard.error && (
        <p className="field-error" role="alert" data-testid="discard-error">
          {guard.error}
        </p>
      )}
      <div className="form-actions">
        <button type="button" className="primary" onClick={guard.keepEditing} autoFocus data-testid="discard-keep">
          Keep editing
        </button>
        <button type="button" onClick={() => void guard.saveAndSwitch()} disabled={agents.saving || props.readOnly} data-testid="discard-save">
          {agents.saving ? 'Saving…' : isNew ? 'Create and switch' : 'Save and switch'}
        </button>
        <button type="button" className="danger" onClick={guard.discard} disabled={agents.saving} data-testid="discard-confirm">
          Discard and switch
        </button>
      </div>
    </dialog>
  );
}
