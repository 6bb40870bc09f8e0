import { useState } from 'react';
import { api } from '../api/client.js';
import type { Agent } from '../api/types.js';
import { notifyLabChanged } from '../state/lab-events.js';
import { laneLetter } from './lane-letter.js';
import { finishedLanes, LanePairPicker } from './lane-pair-picker.js';
import { pairwiseHeadline, readPairwiseVerdict, type PairwiseVerdict } from './pairwise-verdict.js';
import type { LaneState } from './use-bakeoff.js';

/** A judge's answer (`POST /api/judge`) in one line: "0.8 pass — reason", or the judge error. */
export function verdictText(body: Record<string, unknown>): string {
  const score = (body.score ?? body) as Record<string, unknown>;
  const value = typeof score.value === 'number' ? score.value : typeof score.score === 'number' ? score.score : null;
  const pass = typeof score.pass === 'boolean' ? score.pass : null;
  const reason = typeof score.reason === 'string' ? score.reason : '';
  if (value === null && pass === null) return `Judge error: ${reason || 'no verdict'}`;
  return `Judge: ${value === null ? '' : value.toFixed(2)}${pass === null ? '' : pass ? ' pass' : ' fail'}${reason ? ` — ${reason}` : ''}`;
}

const errorText = (caught: unknown): string => (caught instanceof Error ? caught.message : String(caught));

/**
 * A judge agent the user picks, and a rubric: grade every finished lane's latest answer
 * against it, or compare two lanes' answers (pairwise, asked in both orders: a tie when the
 * orders disagree).
 */
export function JudgePanel(props: { lanes: LaneState[]; agents: Agent[]; onVerdict: (lane: number, text: string) => void }) {
  const [judgeId, setJudgeId] = useState('');
  const [rubric, setRubric] = useState('The answer is correct, complete and concise.');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [pair, setPair] = useState<[number, number]>([0, 1]);
  const [pairwise, setPairwise] = useState<{ verdict: PairwiseVerdict; pair: [number, number] } | null>(null);
  const finished = finishedLanes(props.lanes);
  if (finished.length === 0) return null;
  const ready = !busy && judgeId !== '' && rubric.trim() !== '';
  const runIdOf = (lane: number): string | undefined => props.lanes[lane]?.turns.at(-1)?.run?.run_id;
  const [first, second] = pair;
  const pairReady = finished.length >= 2 && first !== second && finished.some((lane) => lane.lane === first) && finished.some((lane) => lane.lane === second);

  const judgeEach = async () => {
    setBusy(true);
    setError(null);
    try {
      await Promise.all(
        finished.map(async (lane) => {
          const runId = lane.turns.at(-1)!.run!.run_id;
          try {
            props.onVerdict(lane.lane, verdictText(await api.judge({ judge_agent_id: judgeId, rubric, run_id: runId })));
          } catch (caught) {
            props.onVerdict(lane.lane, `Judge failed: ${errorText(caught)}`);
          }
        }),
      );
      notifyLabChanged('scores', 'runs');
    } finally {
      setBusy(false);
    }
  };

  const judgePair = async () => {
    const firstRun = runIdOf(first);
    const secondRun = runIdOf(second);
    if (!firstRun || !secondRun) return;
    setBusy(true);
    setError(null);
    setPairwise(null);
    try {
      const body = await api.judge({ judge_agent_id: judgeId, rubric, run_ids: [firstRun, secondRun] });
      setPairwise({ verdict: readPairwiseVerdict({ body, first, second }), pair: [first, second] });
      notifyLabChanged('scores', 'runs');
    } catch (caught) {
      setError(errorText(caught));
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
        <button type="button" onClick={() => void judgeEach()} disabled={!ready} data-testid="judge-run">
          {busy ? 'Judging…' : `Grade ${finished.map((lane) => laneLetter(lane.lane)).join(', ')} against the rubric`}
        </button>
        {finished.length >= 2 && (
          <div className="judge-pairwise" data-testid="judge-pairwise">
            <LanePairPicker lanes={props.lanes} finished={finished} pair={pair} onChange={setPair} testIdPrefix="judge-pair" />
            <button type="button" onClick={() => void judgePair()} disabled={!ready || !pairReady} data-testid="judge-pairwise-run">
              {busy ? 'Judging…' : `Which is better: ${laneLetter(first)} or ${laneLetter(second)}?`}
            </button>
            <p className="muted small">The judge reads both answers twice, in both orders; when its two verdicts disagree, it is a tie.</p>
          </div>
        )}
      </div>
      {pairwise && (
        <div
          className="judge-pairwise-verdict"
          role="status"
          data-testid="judge-pairwise-verdict"
          data-outcome={pairwise.verdict.kind === 'winner' ? laneLetter(pairwise.verdict.lane) : pairwise.verdict.kind}
        >
          <strong data-testid="judge-pairwise-headline">{pairwiseHeadline(pairwise.verdict)}</strong>
          {pairwise.verdict.reason && (
            <p className="small" data-testid="judge-pairwise-reason">
              {pairwise.verdict.reason}
            </p>
          )}
          {(pairwise.pair[0] !== 0 || pairwise.pair[1] !== 1) && (
            <p className="muted small" data-testid="judge-pairwise-legend">
              In the judge’s words, “A” is lane {laneLetter(pairwise.pair[0])} and “B” is lane {laneLetter(pairwise.pair[1])} (the first order).
            </p>
          )}
        </div>
      )}
      {error && (
        <p className="field-error" role="alert" data-testid="judge-error">
          {error}
        </p>
      )}
    </section>
  );
}
