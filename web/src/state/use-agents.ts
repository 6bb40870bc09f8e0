import { useCallback, useEffect, useRef, useState } from 'react';
import { api } from '../api/client.js';
import type { Agent, AgentInput, ChatRequest } from '../api/types.js';
import { defaultDraft, sameDraft, toDraft } from './agent-draft.js';
import { notifyLabChanged } from './lab-events.js';
import { messageOf } from './use-models.js';

/** Who a chat request runs as: the saved agent, and the settings on screen when they differ from it (not saved). */
export type AgentForRequest = Pick<ChatRequest, 'agent_id' | 'agent'>;

/**
 * The agents list and the form being edited. `forRequest` is what Send calls: the run always
 * uses the config on screen. Unsaved changes to a saved agent apply to this chat's requests
 * only (sent inline with the agent's id) until the user saves or reverts them; a new agent is
 * created first, since runs and sessions need its id.
 */
export interface AgentsState {
  agents: Agent[];
  loaded: boolean;
  selectedId: string | null;
  draft: AgentInput;
  dirty: boolean;
  /**
   * True when the form holds settings the user changed and has not saved (a saved agent's
   * unsaved changes, or a new agent's typed values): what switching agents would throw away.
   */
  unsavedWork: boolean;
  saving: boolean;
  error: string | null;
  setDraft: (update: (draft: AgentInput) => AgentInput) => void;
  select: (id: string) => void;
  startNew: () => void;
  save: () => Promise<Agent | null>;
  /** Puts the selected agent's saved settings back on the form. */
  revert: () => void;
  forRequest: () => Promise<AgentForRequest>;
  /** Puts a session's config on the form (selecting its agent when it still exists). */
  restore: (config: (Partial<Agent> & { agent_id?: unknown }) | null) => void;
  /** A saved copy of an agent ("<name> (copy)"), selected. */
  duplicate: (id: string) => Promise<void>;
  /** Deletes a saved agent; the form keeps its values as an unsaved agent when it was the one selected. */
  remove: (id: string) => Promise<void>;
}

export function useAgents(options: { defaultModel: string }): AgentsState {
  const { defaultModel } = options;
  const [agents, setAgents] = useState<Agent[]>([]);
  const [loaded, setLoaded] = useState(false);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [draft, setDraftState] = useState<AgentInput>(() => defaultDraft(''));
  const [saved, setSaved] = useState<AgentInput | null>(null);
  /** The user changed the form since an agent (or a new one) was put on it. */
  const [edited, setEdited] = useState(false);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const latest = useRef({ draft, saved, selectedId, agents });
  latest.current = { draft, saved, selectedId, agents };

  useEffect(() => {
    let cancelled = false;
    api
      .listAgents()
      .then((list) => {
        if (cancelled) return;
        setAgents(list);
        const remembered = localStorage.getItem('agent-lab:agent');
        const first = list.find((agent) => agent.id === remembered) ?? list[list.length - 1];
        if (first && latest.current.selectedId === null && latest.current.saved === null) {
          setSelectedId(first.id);
          setDraftState(toDraft(first));
          setSaved(toDraft(first));
        }
      })
      .catch((caught: unknown) => !cancelled && setError(messageOf(caught)))
      .finally(() => !cancelled && setLoaded(true));
    return () => {
      cancelled = true;
    };
  }, []);

  // A fresh form gets the catalog's default model once the catalog arrives.
  useEffect(() => {
    if (defaultModel !== '') setDraftState((current) => (current.model === '' ? { ...current, model: defaultModel } : current));
  }, [defaultModel]);

  useEffect(() => {
    if (selectedId) localStorage.setItem('agent-lab:agent', selectedId);
  }, [selectedId]);

  const setDraft = useCallback((update: (draft: AgentInput) => AgentInput) => {
    setDraftState(update);
    setEdited(true);
  }, []);

  const select = useCallback((id: string) => {
    const agent = latest.current.agents.find((candidate) => candidate.id === id);
    if (!agent) return;
    setSelectedId(agent.id);
    setDraftState(toDraft(agent));
    setSaved(toDraft(agent));
    setEdited(false);
    setError(null);
  }, []);

  const startNew = useCallback(() => {
    setSelectedId(null);
    setSaved(null);
    setDraftState((current) => ({ ...defaultDraft(current.model || defaultModel), name: 'New agent' }));
    setEdited(false);
    setError(null);
  }, [defaultModel]);

  const save = useCallback(async (): Promise<Agent | null> => {
    const { draft: values, selectedId: id } = latest.current;
    setSaving(true);
    setError(null);
    try {
      const agent = id ? await api.updateAgent(id, values) : await api.createAgent(values);
      setAgents((list) => {
        const index = list.findIndex((candidate) => candidate.id === agent.id);
        return index >= 0 ? list.map((candidate) => (candidate.id === agent.id ? agent : candidate)) : [...list, agent];
      });
      setSelectedId(agent.id);
      setSaved(values);
      setEdited(false);
      latest.current = { ...latest.current, selectedId: agent.id, saved: values };
      notifyLabChanged('agents');
      return agent;
    } catch (caught) {
      setError(messageOf(caught));
      throw caught;
    } finally {
      setSaving(false);
    }
  }, []);

  const revert = useCallback(() => {
    const { saved: savedValues } = latest.current;
    if (savedValues) setDraftState(savedValues);
    setEdited(false);
    setError(null);
  }, []);

  const forRequest = useCallback(async (): Promise<AgentForRequest> => {
    const { draft: values, saved: savedValues, selectedId: id } = latest.current;
    if (id && savedValues) return sameDraft(values, savedValues) ? { agent_id: id } : { agent_id: id, agent: values };
    const agent = await save();
    if (!agent) throw new Error('The agent could not be saved.');
    return { agent_id: agent.id };
  }, [save]);

  const restore = useCallback(
    (config: (Partial<Agent> & { agent_id?: unknown }) | null) => {
      if (!config) return;
      const values = toDraft(config, defaultModel);
      // Sessions keep the agent's id as `agent_id` (the lab's snapshot) or `id`.
      const snapshot = config as Partial<Agent> & { agent_id?: unknown };
      const agentId = typeof snapshot.agent_id === 'string' ? snapshot.agent_id : snapshot.id;
      const agent = typeof agentId === 'string' ? latest.current.agents.find((candidate) => candidate.id === agentId) : undefined;
      // The session's agent as it is now (what the next message will use); its snapshot when the agent is gone.
      if (agent) {
        setSelectedId(agent.id);
        setDraftState(toDraft(agent));
        setSaved(toDraft(agent));
      } else {
        setDraftState(values);
        setSelectedId(null);
        setSaved(null);
      }
      setEdited(false);
    },
    [defaultModel],
  );

  const duplicate = useCallback(async (id: string) => {
    const agent = latest.current.agents.find((candidate) => candidate.id === id);
    if (!agent) return;
    const copy = await api.createAgent({ ...toDraft(agent), name: `${agent.name} (copy)`.slice(0, 100) });
    setAgents((list) => [...list, copy]);
    setSelectedId(copy.id);
    setDraftState(toDraft(copy));
    setSaved(toDraft(copy));
    setEdited(false);
    notifyLabChanged('agents');
  }, []);

  const remove = useCallback(async (id: string) => {
    await api.deleteAgent(id);
    setAgents((list) => list.filter((candidate) => candidate.id !== id));
    if (latest.current.selectedId === id) {
      setSelectedId(null);
      setSaved(null);
    }
    notifyLabChanged('agents');
  }, []);

  const dirty = saved === null || !sameDraft(draft, saved);
  const unsavedWork = dirty && edited;
  return { agents, loaded, selectedId, draft, dirty, unsavedWork, saving, error, setDraft, select, startNew, save, revert, forRequest, restore, duplicate, remove };
}
