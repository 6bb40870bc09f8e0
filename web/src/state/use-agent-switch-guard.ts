import { useCallback, useRef, useState } from 'react';
import type { AgentsState } from './use-agents.js';
import { messageOf } from './use-models.js';

/** A switch away from the agent on the form (another agent, a new one, a session's agent). */
export interface AgentSwitch {
  /** What the user is switching to, as the question names it ("Helper", "a new agent"). */
  target: string;
  /** Puts the other agent on the form. */
  proceed: () => void | Promise<void>;
}

export interface AgentSwitchGuard {
  /** The switch waiting for the user's answer, when the form holds unsaved changes. */
  pending: AgentSwitch | null;
  /** Why "save and switch" did not switch (the save failed). */
  error: string | null;
  /** Switch now when nothing would be lost, else ask first. */
  request: (change: AgentSwitch) => void;
  /** Stay on the agent with its changes. */
  keepEditing: () => void;
  /** Drop the changes and switch. */
  discard: () => void;
  /** Save the changes to the agent (creating a new one), then switch; stays asking when the save fails. */
  saveAndSwitch: () => Promise<void>;
}

/**
 * Switching agents replaces the settings on the form: with unsaved changes there, the switch
 * waits for the user to keep editing, discard them, or save them first, asked in the page.
 */
export function useAgentSwitchGuard(agents: AgentsState): AgentSwitchGuard {
  const [pending, setPending] = useState<AgentSwitch | null>(null);
  const [error, setError] = useState<string | null>(null);
  const latest = useRef(agents);
  latest.current = agents;

  const run = useCallback((change: AgentSwitch) => {
    setPending(null);
    setError(null);
    void Promise.resolve(change.proceed()).catch((caught: unknown) => setError(messageOf(caught)));
  }, []);

  const request = useCallback(
    (change: AgentSwitch) => {
      if (latest.current.unsavedWork) {
        setError(null);
        setPending(change);
      } else run(change);
    },
    [run],
  );

  const keepEditing = useCallback(() => {
    setPending(null);
    setError(null);
  }, []);

  const discard = useCallback(() => {
    if (pending) run(pending);
  }, [pending, run]);

  const saveAndSwitch = useCallback(async () => {
    if (!pending) return;
    try {
      await latest.current.save();
    } catch (caught) {
      setError(messageOf(caught));
      return;
    }
    run(pending);
  }, [pending, run]);

  return { pending, error, request, keepEditing, discard, saveAndSwitch };
}
