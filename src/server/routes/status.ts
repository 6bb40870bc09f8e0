import type { FastifyInstance } from 'fastify';
import type { LabStatusSources } from '../context.js';
import type { ServiceFlags } from '../../ops/service-flags.js';

/** What the UI polls for its banners: `GET /api/status`. Booleans only, never a secret. */
export interface LabStatus {
  read_only: boolean;
  maintenance: boolean;
  api_key_configured: boolean;
  circuit_open: boolean;
  /** The models whose circuit is open (calls to them fail fast), so the banner can name them. */
  open_circuits: string[];
  version: string;
  auth_required: boolean;
}

export function labStatus(options: { sources: LabStatusSources; flags: ServiceFlags }): LabStatus {
  const { sources, flags } = options;
  const openModels = [...new Set(sources.breakerStates().filter((breaker) => breaker.state === 'open').map((breaker) => breaker.model))].sort();
  return {
    read_only: flags.readOnly(),
    maintenance: flags.maintenance(),
    api_key_configured: Boolean(sources.config.openRouterApiKey),
    circuit_open: openModels.length > 0,
    open_circuits: openModels,
    version: sources.version,
    auth_required: Boolean(sources.config.labAuthToken),
  };
}

export function registerStatusRoute(app: FastifyInstance, options: { sources: LabStatusSources; flags: ServiceFlags }): void {
  app.get('/api/status', (_request, reply) => reply.header('cache-control', 'no-store').send(labStatus(options)));
}
