import { useId, useMemo, useState } from 'react';
import type { Agent, CatalogModel } from '../api/types.js';
import { toDraft } from '../state/agent-draft.js';
import type { LaneSpec } from './use-bakeoff.js';

/** The lanes of a new bake-off: 2–8 saved agents, or one agent's config × 2–8 models. */

export const MIN_LANES = 2;
export const MAX_LANES = 8;

type Mode = 'agents' | 'models';

function completionPrice(model: CatalogModel | undefined): number | null {
  const value = model?.pricing?.completion;
  const price = typeof value === 'number' ? value : typeof value === 'string' && value !== '' ? Number(value) : NaN;
  return Number.isFinite(price) && price >= 0 ? price : null;
}

export function BakeoffSetup(props: { agents: Agent[]; catalog: CatalogModel[]; onChange: (specs: LaneSpec[]) => void; disabled: boolean }) {
  const id = useId();
  const [mode, setMode] = useState<Mode>('agents');
  const [agentIds, setAgentIds] = useState<string[]>([]);
  const [baseAgentId, setBaseAgentId] = useState('');
  const [models, setModels] = useState<string[]>([]);
  const [search, setSearch] = useState('');
  const byModel = useMemo(() => new Map(props.catalog.map((model) => [model.id, model])), [props.catalog]);

  const emit = (next: { mode: Mode; agentIds: string[]; baseAgentId: string; models: string[] }) => {
    if (next.mode === 'agents') {
      props.onChange(
        next.agentIds.flatMap((agentId) => {
          const agent = props.agents.find((candidate) => candidate.id === agentId);
          return agent ? [{ label: agent.name, model: agent.model, request: { agent_id: agent.id }, completionPrice: completionPrice(byModel.get(agent.model)) }] : [];
        }),
      );
    } else {
      const base = props.agents.find((candidate) => candidate.id === next.baseAgentId);
      props.onChange(
        base
          ? next.models.map((model) => {
              // Only the config fields the lab accepts: a stored agent also carries id, dates and model_known, which it refuses inline.
              const config = { ...toDraft(base), model };
              return { label: `${base.name} · ${byModel.get(model)?.name ?? model}`, model, request: { agent: { ...config } }, completionPrice: completionPrice(byModel.get(model)) };
            })
          : [],
      );
    }
  };
  const update = (patch: Partial<{ mode: Mode; agentIds: string[]; baseAgentId: string; models: string[] }>) => {
    const next = { mode, agentIds, baseAgentId, models, ...patch };
    setMode(next.mode);
    setAgentIds(next.agentIds);
    setBaseAgentId(next.baseAgentId);
    setModels(next.models);
    emit(next);
  };
  const toggle = (list: string[], value: string, on: boolean) => (on ? (list.length >= MAX_LANES || list.includes(value) ? list : [...list, value]) : list.filter((item) => item !== value));
  const filteredModels = props.catalog.filter((model) => `${model.id} ${model.name ?? ''}`.toLowerCase().includes(search.toLowerCase())).slice(0, 60);
  const count = mode === 'agents' ? agentIds.length : models.length;

  return (
    <fieldset className="bakeoff-setup" disabled={props.disabled} data-testid="bakeoff-setup">
      <legend>Lanes</legend>
      <div className="bakeoff-modes" role="radiogroup" aria-label="Lanes from">
        <label>
          <input type="radio" name={`${id}-mode`} checked={mode === 'agents'} onChange={() => update({ mode: 'agents' })} data-testid="bakeoff-mode-agents" /> Saved agents
        </label>
        <label>
          <input type="radio" name={`${id}-mode`} checked={mode === 'models'} onChange={() => update({ mode: 'models' })} data-testid="bakeoff-mode-models" /> One config × models
        </label>
        <span className={count >= MIN_LANES && count <= MAX_LANES ? 'muted small' : 'bakeoff-hint small'} data-testid="bakeoff-lane-count">
          {count} of {MIN_LANES}–{MAX_LANES} lanes
        </span>
      </div>
      {mode === 'agents' ? (
        <ul className="bakeoff-options">
          {props.agents.length === 0 && <li className="muted">No saved agents yet: save some in the Chat view, or use one config × models.</li>}
          {props.agents.map((agent) => (
            <li key={agent.id}>
              <label>
                <input
                  type="checkbox"
                  checked={agentIds.includes(agent.id)}
                  disabled={!agentIds.includes(agent.id) && agentIds.length >= MAX_LANES}
                  onChange={(event) => update({ agentIds: toggle(agentIds, agent.id, event.target.checked) })}
                  data-testid="bakeoff-agent-option"
                  data-agent-id={agent.id}
                />{' '}
                {agent.name} <span className="mono muted small">{agent.model}</span>
              </label>
            </li>
          ))}
        </ul>
      ) : (
        <div className="bakeoff-models">
          <label htmlFor={`${id}-base`}>Config from agent</label>
          <select id={`${id}-base`} value={baseAgentId} onChange={(event) => update({ baseAgentId: event.target.value })} data-testid="bakeoff-base-agent">
            <option value="">Choose an agent…</option>
            {props.agents.map((agent) => (
              <option key={agent.id} value={agent.id}>
                {agent.name}
              </option>
            ))}
          </select>
          <input type="search" placeholder="Search models" value={search} onChange={(event) => setSearch(event.target.value)} aria-label="Search models" data-testid="bakeoff-model-search" />
          <ul className="bakeoff-options">
            {filteredModels.map((model) => (
              <li key={model.id}>
                <label>
                  <input
                    type="checkbox"
                    checked={models.includes(model.id)}
                    disabled={!models.includes(model.id) && models.length >= MAX_LANES}
                    onChange={(event) => update({ models: toggle(models, model.id, event.target.checked) })}
                    data-testid="bakeoff-model-option"
                    data-model-id={model.id}
                  />{' '}
                  <span className="mono small">{model.id}</span>
                </label>
              </li>
            ))}
          </ul>
        </div>
      )}
    </fieldset>
  );
}
