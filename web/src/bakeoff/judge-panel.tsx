import { useState } from 'react';
import { api } from '../api/client.js';
import type { Agent } from '../api/types.js';
import { notifyLabChanged } from '../state/lab-events.js';
import type { LaneState } from './use-bakeoff.js';
import { laneLetter } from './vote-panel.js';

/** A judge's answer (`POST /api/judge`) in one line: "0.8 pass — reason", or the judge error. */
export function verdictText(body: Record<string, unknown>): string {
  const score = (body.score ?? body) as Record<string, unknown>;
  const value = typeof score.value === 'number' ? score.value : typeof score.score === 'number' ? score.score : null;
  const pass = typeof score.pass === 'boolean' ? score.pass : null;
  const reason = typeof score.reason === 'string' ? score.reason : '';
  if (value === null && pass === null) return `Judge error: ${reason || 'no verdict'}`;
  return `Judge: ${value === null ? '' : value.toFixed(2)}${pass === null ? '' : pass ? ' pass' : ' fail'}${reason ? ` — ${reason}` : ''}`;
}

/** Grade every finished lane's latest answer against a rubric, with a judge agent the user picks. */
export function JudgePanel(props: { lanes: LaneState[]; agents: Agent[]; onVerdict: (lane: number, text: string) => void }) {
  const [judgeId, setJudgeId] = useState('');
  const [rubric, setRubric] = useState('The answer is correct, complete and concise.');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const finished = props.lanes.filter((lane) => lane.status === 'done' && lane.turns.at(-1)?.run?.run_id);
  if (finished.length === 0) return null;
  const judge = async () => {
    setBusy(true);
    setError(null);
    try {
      await Promise.all(
        finished.map(async (lane) => {
          const runId = lane.turns.at(-1)!.run!.run_id;
          try {
            props.onVerdict(lane.lane, verdictText(await api.judge({ judge_agent_id: judgeId, rubric, run_id: runId })));
          } catch (caught) {
            props.onVerdict(lane.lane, `Judge failed: ${caught instanceof Error ? caught.message : String(caught)}`);
          }
        }),
      );
      notifyLabChanged('scores', 'runs');
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : String(caught));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="card judge-panel" aria-label="Judge" data-testid="judge-panel">
      <h3>Judge the answers</h3>
      <div className="judge-form">
        <label>
          Judge agent
          <select value={judgeId} onChange={(event) => setJudgeId(event.target.value)} data-testid="judge-agent">
            <option value="">Choose a judge…</option>
            {props.agents.map((agent) => (
              <option key={agent.id} value={agent.id}>
                {agent.name} · {agent.model}
              </option>
            ))}
          </select>
        </label>
        <label>
          Rubric
          <textarea rows={2} value={rubric} onChange={(event) => setRubric(event.target.value)} data-testid="judge-rubric" />
        </label>
        <button type="button" onClick={() => void judge()} disabled={busy || judgeId === '' || rubric.trim() === ''} data-testid="judge-run">
          {busy ? 'Judging…' : `Judge ${finished.map((lane) => laneLetter(lane.lane)).join(', ')}`}
        </button>
      </div>
      {error && <p className="field-error">{error}</p>}
    </section>
  );
}
