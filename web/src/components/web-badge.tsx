import type { WebStatus } from '../api/types.js';

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
