import type { LabStatusState } from '../state/use-lab-status.js';

/** The service state, one banner each: unreachable, maintenance, read-only, no API key, open circuit. */
export function Banners({ state }: { state: LabStatusState }) {
  const status = state.status;
  const openModels = status?.open_circuits ?? [];
  return (
    <div className="banners" aria-live="polite">
      {state.unreachable && (
        <div className="banner banner-error" role="alert" data-testid="banner-unreachable">
          <strong>The lab is not answering.</strong> Check that the server is running; this page retries every few seconds.
        </div>
      )}
      {status?.maintenance && (
        <div className="banner banner-error" data-testid="banner-maintenance">
          <strong>Maintenance.</strong> The lab is under maintenance; chat and saving are paused until it is back.
        </div>
      )}
      {status?.read_only && (
        <div className="banner banner-warn" data-testid="banner-read-only">
          <strong>Read-only mode.</strong> Everything can be read, but nothing new is saved: runs, agents and sessions are refused until an
          operator removes the READ_ONLY_MODE flag.
        </div>
      )}
      {status && !status.api_key_configured && (
        <div className="banner banner-info" data-testid="banner-no-api-key">
          <strong>No API key.</strong> OPENROUTER_API_KEY is not set, so hosted models will fail. Pick a model marked <em>local</em> to keep
          going, or set the key in .env and restart the lab.
        </div>
      )}
      {status?.circuit_open && (
        <div className="banner banner-warn" data-testid="banner-circuit-open">
          <strong>{openModels.length > 0 ? `Paused: ${openModels.join(', ')}.` : 'Provider paused.'}</strong> Calls failed repeatedly, so the circuit
          breaker is open and new runs{openModels.length === 1 ? ' on that model' : openModels.length > 1 ? ' on those models' : ''} fail fast for about a minute. Other
          models still work: try again shortly or pick another model.
        </div>
      )}
    </div>
  );
}
