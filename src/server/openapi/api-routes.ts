import { z } from 'zod';
import { agentInputSchema, agentSchema, agentUpdateSchema } from '../../domain/agent.js';
import { chatRequestSchema } from '../../runner/chat-service.js';
import { agentIdParams } from '../routes/agents.js';
import { loginSchema } from '../routes/auth.js';
import { bakeoffRequestSchema } from '../routes/bakeoff.js';
import { runIdParams } from '../routes/chat.js';
import { compareQuerySchema } from '../routes/compare.js';
import { runFilterSchema } from '../routes/runs.js';
import { sessionBodySchema, sessionIdParams } from '../routes/sessions.js';
import type { RouteDocs } from './route-doc.js';

/**
 * Every route the lab serves, documented. `GET /api/openapi.json` and `/api/docs` are built
 * from this table, and a test fails when the app registers a route that is missing here (or
 * this lists one the app does not serve). Adding a route's docs is one entry:
 *
 *     'GET /api/scores': { tag: 'evaluations', summary: 'List scores', query: scoreFilterSchema },
 */
export const API_ROUTES: RouteDocs = {
  // agents
  'GET /api/agents': { tag: 'agents', summary: 'List saved agents', responses: { 200: { description: '`{agents: [...]}`, each with `model_known`' } } },
  'POST /api/agents': {
    tag: 'agents',
    summary: 'Create an agent',
    description: 'Any non-empty model id is accepted; one unknown to the catalog is flagged with model_known=false, not refused.',
    body: agentInputSchema,
    responses: { 201: { description: 'The agent itself', schema: agentSchema } },
  },
  'GET /api/agents/:id': { tag: 'agents', summary: 'Read an agent', params: agentIdParams, responses: { 200: { description: 'The agent', schema: agentSchema }, 404: { description: 'No such agent' } } },
  'PUT /api/agents/:id': { tag: 'agents', summary: 'Update an agent (any subset of fields)', params: agentIdParams, body: agentUpdateSchema, responses: { 200: { description: 'The updated agent', schema: agentSchema }, 404: { description: 'No such agent' } } },
  'DELETE /api/agents/:id': { tag: 'agents', summary: 'Delete an agent', params: agentIdParams, responses: { 204: { description: 'Deleted' }, 404: { description: 'No such agent' } } },

  // chat and runs
  'POST /api/chat': {
    tag: 'chat',
    summary: 'Run one message through an agent',
    description:
      'Answers with Server-Sent Events: run-start {run_id, session_id, agent_id, model}, text-delta {delta}, tool-call {id, name, args}, tool-result {id, name, result, web_status}, run-end {run}, error {code, message, retryable}. With stream=false, one JSON answer {run_id, session_id, text, tool_events, run}. Closing the connection stops the run (recorded with aborted=true).',
    body: chatRequestSchema,
    responses: { 200: { description: 'The event stream (or, with stream=false, the JSON answer)', mediaType: 'text/event-stream' } },
  },
  'POST /api/runs/:id/cancel': { tag: 'chat', summary: 'Stop a run now', params: runIdParams, responses: { 200: { description: '`{run_id, cancelled: true}`' } } },
  'POST /api/bakeoff': {
    tag: 'chat',
    summary: 'One prompt on 2-8 lanes at once',
    description: 'Lanes are agent ids, inline agents, or one agent with several models. One SSE stream; each event carries its lane. Each lane is a run sharing experiment_id and bakeoff_id.',
    body: bakeoffRequestSchema,
    responses: { 200: { description: 'The multiplexed event stream', mediaType: 'text/event-stream' } },
  },
  'GET /api/runs': { tag: 'runs', summary: 'List runs (filtered)', query: runFilterSchema, responses: { 200: { description: '`{count, runs: [run record]}`' } } },
  'GET /api/runs.csv': { tag: 'runs', summary: 'Download runs.csv (filtered)', query: runFilterSchema, responses: { 200: { description: 'RFC 4180 CSV with the runs.csv header', mediaType: 'text/csv' } } },
  'GET /api/runs/summary': { tag: 'runs', summary: 'Per-model summary: count, p50/p95 latency and TTFT, tokens/s, cost, error and abort rates', query: runFilterSchema },
  'GET /api/compare': { tag: 'runs', summary: 'Compare two experiments (a, b) or two agents (agent_a, agent_b): per-model deltas', query: compareQuerySchema },

  // sessions
  'GET /api/sessions': { tag: 'sessions', summary: 'List sessions (newest first)' },
  'POST /api/sessions': { tag: 'sessions', summary: 'Create a session', body: sessionBodySchema, responses: { 201: { description: 'The session' } } },
  'GET /api/sessions/:id': { tag: 'sessions', summary: 'Read a session with its transcript and runs', params: sessionIdParams, responses: { 200: { description: 'The session' }, 404: { description: 'No such session' } } },
  'PUT /api/sessions/:id': { tag: 'sessions', summary: 'Rename or annotate a session', params: sessionIdParams, body: sessionBodySchema, responses: { 200: { description: 'The session' }, 404: { description: 'No such session' } } },
  'DELETE /api/sessions/:id': { tag: 'sessions', summary: 'Delete a session', params: sessionIdParams, responses: { 204: { description: 'Deleted' }, 404: { description: 'No such session' } } },

  // models
  'GET /api/models': { tag: 'models', summary: 'The model catalog: `{source, fetched_at, models: [{id, name, provider, context_length, pricing, source}]}`' },
  'POST /api/models/refresh': { tag: 'models', summary: 'Fetch the catalog from the provider now (fallback list when it fails)' },

  // operations
  'GET /health': {
    tag: 'operations',
    open: true,
    summary: 'Liveness: 200 {"status":"healthy"|"read_only"|"maintenance"}, 503 when the lab cannot serve',
    responses: { 200: { description: 'Serving' }, 503: { description: 'Cannot serve (for example the data directory is unusable)' } },
  },
  'GET /health/detailed': { tag: 'operations', open: true, summary: 'Every dependency with its own status', responses: { 200: { description: 'Can serve (an unreachable provider is degraded, still 200)' }, 503: { description: 'Cannot serve' } } },
  'GET /metrics': { tag: 'operations', open: true, summary: 'SLIs and counters as JSON (Prometheus text when the Accept header asks for it)' },
  'GET /metrics/prometheus': { tag: 'operations', open: true, summary: 'Prometheus text format', responses: { 200: { description: 'Prometheus exposition format', mediaType: 'text/plain' } } },
  'GET /api/stream/test': { tag: 'operations', open: true, summary: 'A short SSE stream the lab produces itself (no provider)', responses: { 200: { description: 'tick events, then done', mediaType: 'text/event-stream' } } },
  'GET /api/status': { tag: 'operations', open: true, summary: 'What the UI banners need: API key present, read-only, maintenance, open circuits, auth' },
  'POST /api/auth/login': {
    tag: 'operations',
    open: true,
    summary: 'Sign in with LAB_AUTH_TOKEN (sets an HttpOnly cookie valid for 7 days)',
    description:
      'JSON {"token"} answers 200; the same fields as a form answer 303 back to `next` (a path on the lab, else `/`). Wrong tokens (here or as a Bearer) count against the client: past 20 a minute, 429 `rate_limit:auth`.',
    body: loginSchema,
    responses: {
      200: { description: '`{authenticated, auth_required}`' },
      401: { description: 'Wrong token' },
      429: { description: 'Too many wrong tokens from this client (`Retry-After`)' },
    },
  },
  'POST /api/auth/logout': { tag: 'operations', open: true, summary: 'Revoke the sign-in session and clear its cookie', responses: { 204: { description: 'Signed out' } } },
  'GET /api/openapi.json': { tag: 'operations', summary: 'This reference as an OpenAPI 3.1 document', responses: { 200: { description: 'OpenAPI 3.1 (JSON Schema draft 2020-12)' } } },
  'GET /api/docs': { tag: 'operations', summary: 'This reference as a page', responses: { 200: { description: 'Self-contained HTML', mediaType: 'text/html' } } },
};

/** Used by the reference page and tests: the tags in the order they are shown. */
export const API_TAGS = ['agents', 'chat', 'runs', 'sessions', 'models', 'evaluations', 'operations'] as const;

/** The standard error body `{ error: { code, message, retryable } }`. */
export const errorBodySchema = z.object({
  error: z.object({ code: z.string().describe('stable, shaped type:surface'), message: z.string(), retryable: z.boolean() }),
});
