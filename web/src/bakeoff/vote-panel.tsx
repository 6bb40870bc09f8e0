import { useState } from 'react';
import { api } from '../api/client.js';
import { notifyLabChanged } from '../state/lab-events.js';
import { laneLetter } from './lane-letter.js';
import { finishedLanes, LanePairPicker } from './lane-pair-picker.js';
import type { LaneState } from './use-bakeoff.js';

/**
 * A person's vote between two lanes' latest answers: A better, tie, B better, saved as a
 * pairwise score on the first run against the second (the lab records 1 / 0.5 / 0). In blind
 * mode the names show once the vote is in.
 */
export function VotePanel(props: { lanes: LaneState[]; onVoted: (pair: [number, number], text: string) => void }) {
  const finished = finishedLanes(props.lanes);
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
  return (
    <section className="card vote-panel" aria-label="Vote" data-testid="vote-panel">
      <h3>Which answer is better?</h3>
      <LanePairPicker
        lanes={props.lanes}
        finished={finished}
        pair={[first, second]}
        onChange={([left, right]) => {
          setFirst(left);
          setSecond(right);
        }}
        testIdPrefix="vote"
      />
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
