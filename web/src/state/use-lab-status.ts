import { useEffect, useState } from 'react';
import { api, ApiError } from '../api/client.js';
import type { LabStatus } from '../api/types.js';

/**
 * The service state behind the banners, polled every few seconds: `GET /api/status`, or
 * `GET /health/detailed` read defensively when the lab has no status route.
 */

const POLL_MS = 3000;

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function flag(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') return ['true', 'on', 'active', 'enabled', 'open'].includes(value.toLowerCase());
  const record = asRecord(value);
  if ('active' in record) return flag(record.active);
  if ('enabled' in record) return flag(record.enabled);
  if ('exists' in record) return flag(record.exists);
  return false;
}

/** `/health/detailed` → LabStatus, tolerating the shapes a health document may take. */
export function statusFromHealth(body: unknown): LabStatus {
  const root = asRecord(body);
  const checks = asRecord(root.checks ?? root.dependencies);
  const flags = asRecord(checks.flags ?? root.flags);
  const provider = asRecord(checks.provider);
  const breaker = asRecord(checks.circuit_breakers ?? checks.circuit_breaker ?? checks.breaker ?? checks.circuit);
  const breakers = Array.isArray(breaker.breakers) ? breaker.breakers.map(asRecord) : [];
  const openModels = [...new Set(breakers.filter((entry) => entry.state === 'open' && typeof entry.model === 'string').map((entry) => entry.model as string))].sort();
  const statusText = typeof root.status === 'string' ? root.status : '';
  const breakerState = String(breaker.state ?? breaker.status ?? '').toLowerCase();
  const keyConfigured = provider.api_key_configured ?? provider.key_configured ?? provider.configured;
  return {
    read_only: flag(root.read_only) || flag(flags.read_only) || statusText === 'read_only',
    maintenance: flag(root.maintenance) || flag(flags.maintenance) || statusText === 'maintenance',
    api_key_configured: typeof keyConfigured === 'boolean' ? keyConfigured : true,
    circuit_open: breakerState === 'open' || flag(breaker.open) || (typeof breaker.open === 'number' && breaker.open > 0) || openModels.length > 0,
    open_circuits: openModels,
    version: typeof root.version === 'string' ? root.version : '',
    auth_required: false,
  };
}

/** Set once `/api/status` answered 404: this lab has no status route, so ask health directly. */
let noStatusRoute = false;

async function statusFromHealthRoute(): Promise<LabStatus> {
  const response = await fetch('/health/detailed', { headers: { accept: 'application/json' } });
  return statusFromHealth(await response.json().catch(() => ({})));
}

async function fetchStatus(): Promise<LabStatus> {
  if (noStatusRoute) return statusFromHealthRoute();
  try {
    return await api.status();
  } catch (error) {
    if (!(error instanceof ApiError) || (error.status !== 404 && error.status !== 503)) throw error;
    if (error.status === 404) noStatusRoute = true;
    // No status route yet, or maintenance answering 503: the health document still answers.
    const status = await statusFromHealthRoute();
    if (error.code.startsWith('maintenance')) status.maintenance = true;
    if (error.code.startsWith('read_only')) status.read_only = true;
    return status;
  }
}

export interface LabStatusState {
  status: LabStatus | null;
  /** Set when the lab could not be reached at the last poll. */
  unreachable: boolean;
}

export function useLabStatus(): LabStatusState {
  const [state, setState] = useState<LabStatusState>({ status: null, unreachable: false });
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async (): Promise<void> => {
      try {
        const status = await fetchStatus();
        if (!stopped) setState((previous) => (sameStatus(previous.status, status) && !previous.unreachable ? previous : { status, unreachable: false }));
      } catch (error) {
        console.warn('Agent Lab: status poll failed', error);
        if (!stopped) setState((previous) => ({ ...previous, unreachable: true }));
      }
      if (!stopped) timer = setTimeout(() => void poll(), POLL_MS);
    };
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, []);
  return state;
}

function sameStatus(a: LabStatus | null, b: LabStatus): boolean {
  return (
    a !== null &&
    a.read_only === b.read_only &&
    a.maintenance === b.maintenance &&
    a.api_key_configured === b.api_key_configured &&
    a.circuit_open === b.circuit_open &&
    (a.open_circuits ?? []).join() === (b.open_circuits ?? []).join() &&
    a.version === b.version &&
    a.auth_required === b.auth_required
  );
}
