import { useState } from 'react';
import { api } from '../api/client.js';
import { notifyLabChanged } from '../state/lab-events.js';
import type { LaneState } from './use-bakeoff.js';

/** A lane's letter: A, B, C… */
export const laneLetter = (lane: number): string => String.fromCharCode(65 + lane);

/**
 * A person's vote between two lanes' latest answers: A better, tie, B better, saved as a
 * pairwise score on the first run against the second (the lab records 1 / 0.5 / 0). In blind
 * mode the names show once the vote is in.
 */
export function VotePanel(props: { lanes: LaneState[]; onVoted: (pair: [number, number], text: string) => void }) {
  const finished = props.lanes.filter((lane) => lane.status === 'done' && lane.turns.at(-1)?.run?.run_id);
  const [first, setFirst] = useState(0);
  const [second, setSecond] = useState(1);
  const [saving, setSaving] = useState(false);
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);
  if (finished.length < 2) return null;
  const a = props.lanes[first];
  const b = props.lanes[second];
  const runA = a?.turns.at(-1)?.run?.run_id;
  const runB = b?.turns.at(-1)?.run?.run_id;
  const vote = (winner: 'A' | 'B' | 'tie') => {
    if (!runA || !runB || first === second) return;
    setSaving(true);
    setMessage(null);
    api
      .addScore(runA, { kind: 'pairwise', opponent_run_id: runB, winner })
      .then(() => {
        const text = winner === 'A' ? `You preferred ${laneLetter(first)}.` : winner === 'B' ? `You preferred ${laneLetter(second)}.` : 'You called it a tie.';
        setMessage({ text: `${text} Vote saved.`, error: false });
        props.onVoted([first, second], text);
        notifyLabChanged('scores');
      })
      .catch((caught: unknown) => setMessage({ text: caught instanceof Error ? caught.message : String(caught), error: true }))
      .finally(() => setSaving(false));
  };
  const options = props.lanes.map((lane) => (
    <option key={lane.lane} value={lane.lane} disabled={!finished.includes(lane)}>
      {laneLetter(lane.lane)}
    </option>
  ));
  return (
    <section className="card vote-panel" aria-label="Vote" data-testid="vote-panel">
      <h3>Which answer is better?</h3>
      {props.lanes.length > 2 && (
        <div className="inline vote-pair">
          <label>
            Left <select value={first} onChange={(event) => setFirst(Number(event.target.value))} data-testid="vote-first">{options}</select>
          </label>
          <label>
            Right <select value={second} onChange={(event) => setSecond(Number(event.target.value))} data-testid="vote-second">{options}</select>
          </label>
        </div>
      )}
      <div className="inline vote-buttons">
        <button type="button" onClick={() => vote('A')} disabled={saving || first === second} data-testid="vote-a">
          {laneLetter(first)} is better
        </button>
        <button type="button" onClick={() => vote('tie')} disabled={saving || first === second} data-testid="vote-tie">
          Tie
        </button>
        <button type="button" onClick={() => vote('B')} disabled={saving || first === second} data-testid="vote-b">
          {laneLetter(second)} is better
        </button>
      </div>
      {message && (
        <p className={message.error ? 'field-error' : 'muted small'} role={message.error ? 'alert' : 'status'} data-testid="vote-result">
          {message.text}
        </p>
      )}
    </section>
  );
}
