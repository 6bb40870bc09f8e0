import { useEffect, useState } from 'react';
import { formatCost, formatMs, formatNumber } from '../lib/format.js';
import { laneFigures, type LaneState } from './use-bakeoff.js';

/** One lane: its model, live figures, the answers so far, and its own Stop. */
export function LaneCard(props: { lane: LaneState; letter: string; blind: boolean; fastest: boolean; cheapest: boolean; verdict: string | null; onStop: () => void }) {
  const { lane, letter, blind } = props;
  const live = lane.status === 'waiting' || lane.status === 'streaming';
  // tokens/s keeps moving between deltas while streaming
  const [now, setNow] = useState(() => performance.now());
  useEffect(() => {
    if (!live) return;
    const timer = setInterval(() => setNow(performance.now()), 250);
    return () => clearInterval(timer);
  }, [live]);
  const figures = laneFigures(lane, live ? Math.max(now, lane.lastTokenAt ?? 0) : performance.now());
  const approx = figures.estimated ? '≈ ' : '';
  return (
    <article
      className={`bakeoff-lane lane-${lane.status}`}
      data-testid="bakeoff-lane"
      data-lane={lane.lane}
      data-status={lane.status}
      data-blind={blind ? 'true' : 'false'}
      aria-label={blind ? `Answer ${letter}` : `Lane ${letter}: ${lane.label}`}
    >
      <header className="bakeoff-lane-head">
        <div className="bakeoff-lane-title">
          <span className="lane-letter">{letter}</span>
          {blind ? (
            <strong data-testid="lane-name">Answer {letter}</strong>
          ) : (
            <>
              <strong data-testid="lane-name">{lane.label}</strong>
              <span className="mono muted small" data-testid="lane-model">
                {lane.model}
              </span>
            </>
          )}
        </div>
        <div className="bakeoff-badges">
          {/* Blind until the vote: speed and cost would give the model away. */}
          {props.fastest && !blind && (
            <span className="bakeoff-badge fastest" data-testid="lane-badge-fastest">
              Fastest
            </span>
          )}
          {props.cheapest && !blind && (
            <span className="bakeoff-badge cheapest" data-testid="lane-badge-cheapest">
              Cheapest
            </span>
          )}
          {live ? (
            <button type="button" className="small-button danger" onClick={props.onStop} disabled={!lane.runId} data-testid="lane-stop">
              Stop
            </button>
          ) : (
            <span className={lane.status === 'failed' ? 'pill pill-error' : 'muted small'} data-testid="lane-status">
              {lane.status === 'done' ? 'done' : lane.status === 'stopped' ? 'stopped' : 'failed'}
            </span>
          )}
        </div>
      </header>
      {!blind && (
        <dl className="bakeoff-figures">
          <div>
            <dt>TTFT</dt>
            <dd data-testid="lane-ttft">{formatMs(figures.ttft)}</dd>
          </div>
          <div>
            <dt>tok/s</dt>
            <dd data-testid="lane-tps">{figures.tokensPerSecond === null ? '—' : `${approx}${formatNumber(figures.tokensPerSecond, 1)}`}</dd>
          </div>
          <div>
            <dt>tokens</dt>
            <dd data-testid="lane-tokens">{figures.tokens}</dd>
          </div>
          <div>
            <dt>cost</dt>
            <dd data-testid="lane-cost" title={figures.estimated ? 'estimated from the catalog price while streaming' : undefined}>
              {figures.cost === null ? (figures.estimated ? '—' : 'unpriced') : `${approx}${formatCost(figures.cost)}`}
            </dd>
          </div>
        </dl>
      )}
      {props.verdict && (
        <p className="lane-verdict small" data-testid="lane-verdict">
          {props.verdict}
        </p>
      )}
      <div className="bakeoff-lane-body" aria-live="off">
        {lane.turns.map((turn, index) => (
          <div key={index} className="bakeoff-turn">
            {lane.turns.length > 1 && <p className="bakeoff-user">{turn.message}</p>}
            <p className="bakeoff-text" data-testid={index === lane.turns.length - 1 ? 'lane-text' : undefined}>
              {turn.text}
              {index === lane.turns.length - 1 && live && <span className="bakeoff-caret" aria-hidden="true" />}
            </p>
            {turn.error && (
              <p className="bakeoff-error" role="alert" data-testid="lane-error">
                {turn.error}
              </p>
            )}
          </div>
        ))}
      </div>
    </article>
  );
}
