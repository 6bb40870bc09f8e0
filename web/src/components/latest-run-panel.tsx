import type { ReactNode } from 'react';
import type { WebStatus } from '../api/types.js';
import { outcomeOf, type LatestRun } from '../chat/use-chat.js';
import { formatCost, formatMs, formatNumber } from '../lib/format.js';

export type BadgeState = 'off' | 'on' | 'ok' | 'blocked';

/** The web tool badge: a run's ok/blocked wins; otherwise whether fetch_url is enabled. */
export function webBadgeState(options: { fetchEnabled: boolean; runStatus: WebStatus | null | undefined }): BadgeState {
  if (options.runStatus === 'blocked') return 'blocked';
  if (options.runStatus === 'ok') return 'ok';
  return options.fetchEnabled ? 'on' : 'off';
}

const BADGE_TEXT: Record<BadgeState, string> = {
  off: 'Web: OFF',
  on: 'Web: ON',
  ok: 'Web: ok',
  blocked: 'Web: blocked',
};

const BADGE_TITLE: Record<BadgeState, string> = {
  off: 'fetch_url is disabled for this agent',
  on: 'fetch_url is enabled and was not used in the latest run',
  ok: 'the latest run fetched a page from an allow-listed host',
  blocked: 'the latest run tried a host outside the allow-list and was refused',
};

export function WebBadge({ state }: { state: BadgeState }) {
  return (
    <span className={`badge badge-${state}`} data-testid="web-badge" data-state={state} title={BADGE_TITLE[state]}>
      {BADGE_TEXT[state]}
    </span>
  );
}

const OUTCOME_TEXT = { streaming: 'streaming…', done: 'finished', aborted: 'aborted', error: 'failed' } as const;

/** The latest run's numbers: latency, TTFT, tokens, tokens/s, cost (or "unpriced"). */
export function LatestRunPanel(props: { latest: LatestRun | null; badge: ReactNode }) {
  const { latest, badge } = props;
  const run = latest?.run ?? null;
  // The lab's record is the word on how the run ended (a Stop after the answer finished is "finished").
  const outcome = run && latest?.outcome !== 'error' ? outcomeOf(run) : (latest?.outcome ?? null);
  return (
    <section className="card" aria-labelledby="latest-run-title" data-testid="latest-run" data-run-id={latest?.runId ?? ''}>
      <div className="label-row">
        <h2 id="latest-run-title">Latest run</h2>
        {badge}
      </div>
      {!latest ? (
        <p className="muted">No run yet.</p>
      ) : (
        <>
          <p className="run-status-line">
            <span className={`pill pill-${outcome}`} data-testid="run-status" data-status={outcome ?? ''}>
              {outcome ? OUTCOME_TEXT[outcome] : ''}
            </span>
            {run && <span className="muted small"> {run.model}</span>}
          </p>
          <dl className="metrics">
            <Metric label="Latency" testId="run-latency" value={run ? formatMs(run.latency_ms) : '—'} />
            <Metric label="TTFT" testId="run-ttft" value={run ? formatMs(run.ttft_ms) : '—'} />
            <Metric label="Prompt tokens" testId="run-prompt-tokens" value={run ? formatNumber(run.prompt_tokens) : '—'} />
            <Metric label="Completion tokens" testId="run-completion-tokens" value={run ? formatNumber(run.completion_tokens) : '—'} />
            <Metric label="Total tokens" testId="run-total-tokens" value={run ? formatNumber(run.total_tokens) : '—'} />
            <Metric label="Tokens/s" testId="run-tokens-per-s" value={run ? formatNumber(run.tokens_per_s) : '—'} />
            <Metric label="Cost" testId="run-cost" value={run ? formatCost(run.cost_usd) : '—'} />
            <Metric label="Finish" testId="run-finish" value={run?.finish_reason || '—'} />
          </dl>
          {run?.error && !run.aborted && (
            <p className="field-error small" data-testid="run-error">
              {run.error}
            </p>
          )}
        </>
      )}
    </section>
  );
}

function Metric({ label, value, testId }: { label: string; value: string; testId: string }) {
  return (
    <div className="metric">
      <dt>{label}</dt>
      <dd data-testid={testId}>{value}</dd>
    </div>
  );
}
