import { useCallback, useEffect, useId, useState } from 'react';
import { api } from '../api/client.js';
import type { Agent, CatalogModel } from '../api/types.js';
import { fetchExperimentIds } from './bakeoff-api.js';
import { BakeoffSetup, MAX_LANES, MIN_LANES } from './bakeoff-setup.js';
import { ComparePanel } from './compare-panel.js';
import { ExperimentSummary } from './experiment-summary.js';
import { LaneCard } from './lane-card.js';
import { JudgePanel } from './judge-panel.js';
import { useBakeoff, type LaneSpec, type LaneState } from './use-bakeoff.js';
import { laneLetter } from './lane-letter.js';
import { VotePanel } from './vote-panel.js';
import { LeaderboardPanel } from '../evals/leaderboard-panel.js';
import { useLabChanged } from '../state/lab-events.js';
import './bakeoff.css';

/** "Cheapest" only when that lane cost money and another cost more: never among lanes that all cost $0, are unpriced or cost the same. */
function cheapestLane(lanes: LaneState[], candidate: number | null): number | null {
  if (candidate === null) return null;
  const cost = lanes[candidate]?.turns.at(-1)?.run?.cost_usd;
  const dearer = lanes.some((lane) => {
    const other = lane.turns.at(-1)?.run?.cost_usd;
    return typeof other === 'number' && typeof cost === 'number' && other > cost;
  });
  return typeof cost === 'number' && cost > 0 && dearer ? candidate : null;
}

/**
 * The bake-off view: one prompt to 2–8 lanes at once, side by side, each streaming with its
 * own figures; follow-ups continue each lane's own session (each lane is saved as a session).
 * Below: the experiment's summary and a comparison of two experiments or agents.
 */
export default function BakeoffView() {
  const id = useId();
  const bakeoff = useBakeoff();
  const { state } = bakeoff;
  const [agents, setAgents] = useState<Agent[]>([]);
  const [catalog, setCatalog] = useState<CatalogModel[]>([]);
  const [specs, setSpecs] = useState<LaneSpec[]>([]);
  const [message, setMessage] = useState('');
  const [experimentId, setExperimentId] = useState('');
  const [taskLabel, setTaskLabel] = useState('');
  const [experiments, setExperiments] = useState<string[]>([]);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [blind, setBlind] = useState(false);
  const [revealed, setRevealed] = useState<Set<number>>(new Set());
  const [verdicts, setVerdicts] = useState<Map<number, string>>(new Map());

  const [agentsGeneration, setAgentsGeneration] = useState(0);
  useLabChanged(['agents'], () => setAgentsGeneration((value) => value + 1));
  useEffect(() => {
    void (async () => {
      try {
        const [agentList, models] = await Promise.all([api.listAgents(), api.listModels()]);
        setAgents(agentList);
        setCatalog(models.models);
      } catch (error) {
        setLoadError((error as Error).message);
      }
    })();
  }, [agentsGeneration]);
  useEffect(() => {
    fetchExperimentIds().then(setExperiments, () => setExperiments([]));
  }, [state.completed]);

  const started = state.lanes.length > 0;
  const canStart = specs.length >= MIN_LANES && specs.length <= MAX_LANES && message.trim() !== '' && !state.running;
  const canFollow = started && !state.running && message.trim() !== '' && state.lanes.every((lane) => lane.sessionId);

  const send = useCallback(() => {
    const text = message.trim();
    if (text === '') return;
    if (started && canFollow) void bakeoff.run({ message: text, tags: { task_label: taskLabel } });
    else if (!started && canStart) void bakeoff.run({ message: text, specs, tags: { experiment_id: experimentId, task_label: taskLabel } });
    else return;
    setRevealed(new Set());
    setVerdicts(new Map());
    setMessage('');
  }, [message, started, canFollow, canStart, bakeoff, specs, experimentId, taskLabel]);

  return (
    <div className="bakeoff-view" data-testid="bakeoff-view">
      <section className="card bakeoff-compose" aria-labelledby={`${id}-title`}>
        <div className="label-row">
          <h2 id={`${id}-title`}>Bake-off</h2>
          {state.experimentId && (
            <span className="muted small" data-testid="bakeoff-experiment">
              experiment <span className="mono">{state.experimentId}</span>
            </span>
          )}
          <span className="spacer" />
          {started && (
            <button type="button" className="small-button" onClick={bakeoff.reset} disabled={state.running} data-testid="bakeoff-new">
              New bake-off
            </button>
          )}
        </div>
        {loadError && <p className="bakeoff-error" role="alert">{loadError}</p>}
        {!started && (
          <>
            <BakeoffSetup agents={agents} catalog={catalog} onChange={setSpecs} disabled={state.running} />
            <label className="bakeoff-check blind-toggle">
              <input type="checkbox" checked={blind} onChange={(event) => setBlind(event.target.checked)} data-testid="bakeoff-blind" /> Blind: hide model names and figures until you vote
              until I vote
            </label>
            <div className="bakeoff-tags">
              <label>
                Experiment id <input value={experimentId} placeholder="(generated)" onChange={(event) => setExperimentId(event.target.value)} data-testid="bakeoff-experiment-input" />
              </label>
              <label>
                Task label <input value={taskLabel} onChange={(event) => setTaskLabel(event.target.value)} data-testid="bakeoff-task-input" />
              </label>
            </div>
          </>
        )}
        <form
          className="bakeoff-prompt"
          onSubmit={(event) => {
            event.preventDefault();
            send();
          }}
        >
          <textarea
            value={message}
            onChange={(event) => setMessage(event.target.value)}
            onKeyDown={(event) => {
              if (event.key === 'Enter' && !event.shiftKey) {
                event.preventDefault();
                send();
              }
              if (event.key === 'Escape' && state.running) bakeoff.stopAll();
            }}
            placeholder={started ? 'Follow-up to every lane (each continues its own conversation)…' : 'One prompt for every lane…'}
            aria-label={started ? 'Follow-up message' : 'Bake-off prompt'}
            rows={3}
            data-testid="bakeoff-prompt"
          />
          <div className="bakeoff-actions">
            {state.running ? (
              <button type="button" className="danger" onClick={bakeoff.stopAll} data-testid="bakeoff-stop-all">
                Stop all
              </button>
            ) : (
              <button type="submit" className="primary" disabled={started ? !canFollow : !canStart} data-testid="bakeoff-run">
                {started ? 'Send to all lanes' : `Run ${specs.length} lanes`}
              </button>
            )}
          </div>
        </form>
        {state.error && <p className="bakeoff-error" role="alert" data-testid="bakeoff-error">{state.error}</p>}
      </section>

      {started && (
        <>
          <section className="card sent-prompt" aria-label="Prompt" data-testid="bakeoff-sent-prompt">
            <span className="muted small">Prompt{(state.lanes[0]?.turns.length ?? 0) > 1 ? ` (turn ${state.lanes[0]?.turns.length})` : ''}</span>
            <p className="plain-text">{state.lanes[0]?.turns.at(-1)?.message}</p>
          </section>
          <section
            className="bakeoff-lanes"
            style={{ ['--lanes' as string]: String(Math.min(state.lanes.length, 4)) }}
            aria-label="Lanes"
            data-testid="bakeoff-lanes"
            data-running={state.running ? 'true' : 'false'}
          >
            {state.lanes.map((lane) => (
              <LaneCard
                key={lane.lane}
                lane={lane}
                letter={laneLetter(lane.lane)}
                blind={blind && !revealed.has(lane.lane)}
                fastest={!state.running && state.fastestLane === lane.lane}
                cheapest={!state.running && cheapestLane(state.lanes, state.cheapestLane) === lane.lane}
                verdict={verdicts.get(lane.lane) ?? null}
                onStop={() => void bakeoff.stopLane(lane.lane)}
              />
            ))}
          </section>
          {!state.running && (
            <div className="bakeoff-verdicts">
              <VotePanel lanes={state.lanes} onVoted={(pair) => setRevealed((current) => new Set([...current, ...pair]))} />
              <JudgePanel lanes={state.lanes} agents={agents} onVerdict={(lane, text) => setVerdicts((current) => new Map(current).set(lane, text))} />
            </div>
          )}
        </>
      )}

      <div className="bakeoff-panels">
        <LeaderboardPanel experimentId={state.experimentId} reloadKey={state.completed} />
        <ExperimentSummary experimentId={state.experimentId} reloadKey={state.completed} suggestions={experiments} />
        <ComparePanel experimentSuggestions={experiments} agentSuggestions={agents.map((agent) => agent.name)} defaultA={state.experimentId} />
      </div>
    </div>
  );
}
