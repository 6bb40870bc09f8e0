import { z } from 'zod';
import { agentInputSchema, agentSchema, agentUpdateSchema } from '../../domain/agent.js';
import { chatRequestSchema } from '../../runner/chat-service.js';
import { agentIdParams } from '../routes/agents.js';
import { openAiChatRequestSchema } from '../openai/openai-request.js';
import { loginSchema } from '../routes/auth.js';
import { bakeoffRequestSchema } from '../routes/bakeoff.js';
import { runIdParams } from '../routes/chat.js';
import { compareQuerySchema } from '../routes/compare.js';
import { experimentQuerySchema } from '../routes/experiments.js';
import { evalFileSchema } from '../../domain/eval-file.js';
import { judgeRequestSchema } from '../routes/judge.js';
import { scoreFilterSchema, scoreRequestSchema, scoreRunParams } from '../routes/scores.js';
import { runFilterSchema } from '../routes/runs.js';
import { sessionBodySchema, sessionIdParams, sessionListQuerySchema } from '../routes/sessions.js';
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
      'Answers with Server-Sent Events: run-start {run_id, session_id, agent_id, model}, text-delta {delta}, tool-call {id, name, args}, tool-result {id, name, result, web_status}, run-end {run}, error {code, message, retryable}. With stream=false, one JSON answer {run_id, session_id, text, tool_events, run}. Closing the connection stops the run (recorded with aborted=true). agent_id with agent: this request runs with agent\'s settings as the saved agent (its id on the run), which is not changed.',
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
  'GET /api/runs': { tag: 'runs', summary: 'List runs (filtered)', query: runFilterSchema, responses: { 200: { description: '`{count, runs: [run record]}`, oldest first; without `limit` the newest 10,000 matching runs, with `truncated: true` and `limit` when there were more' } } },
  'GET /api/runs.csv': { tag: 'runs', summary: 'Download runs.csv (filtered)', query: runFilterSchema, responses: { 200: { description: 'RFC 4180 CSV with the runs.csv header', mediaType: 'text/csv' } } },
  'GET /api/runs/summary': { tag: 'runs', summary: 'Per-model summary: count, p50/p95 latency and TTFT, tokens/s, cost, error and abort rates', query: runFilterSchema },
  'GET /api/experiments': {
    tag: 'runs',
    summary: 'List the experiments of the whole history, the most recently recorded first',
    description: 'Every experiment_id any run carries (judge calls included), with its run count and the times of its first and last recorded runs. q keeps ids containing it (A-Z matched in either case); limit (1-10,000, default 500).',
    query: experimentQuerySchema,
    responses: { 200: { description: '`{count, experiments: [{experiment_id, runs, first_run_at, last_run_at}]}`; `truncated: true` and `limit` when there were more' } },
  },
  'GET /api/compare': { tag: 'runs', summary: 'Compare two experiments (a, b) or two agents (agent_a, agent_b): per-model deltas', query: compareQuerySchema },

  // evaluations
  'POST /api/runs/:run_id/scores': {
    tag: 'evaluations',
    summary: 'Score a run: a thumbs rating, a check applied now, or an A/B/tie vote against another run',
    description:
      '{kind:"human", value: 1|0, reason?, rater?} (thumbs up/down); {kind:"check", scorer?, assert:{type, value}} applies one of the 13 checks to the run now; {kind:"pairwise", opponent_run_id, winner:"A"|"B"|"tie"} records a vote (A is this run). Appended to scores.csv.',
    params: scoreRunParams,
    body: scoreRequestSchema,
    responses: { 201: { description: '`{score}`: the score record as stored' }, 404: { description: 'No such run (or opponent run)' } },
  },
  'GET /api/scores': { tag: 'evaluations', summary: 'List scores (run filters, plus run_id and kind)', query: scoreFilterSchema, responses: { 200: { description: '`{count, scores: [score record]}`' } } },
  'POST /api/judge': {
    tag: 'evaluations',
    summary: 'A judge agent grades one run against a rubric, or compares two (asked in both orders; disagreement is a tie)',
    description:
      'The judge answers JSON only: {reason, pass, score 0..1} or {reason, winner: A|B|tie}; anything else is a judge error (kind judge, empty value and pass). Each judge call is an ordinary run in runs.csv (task_label=judge, costed), named by judge_run_id (two ids, space-separated, for pairwise).',
    body: judgeRequestSchema,
    responses: { 201: { description: '`{score, judge_run_ids, judge_error, disagreement?}`' }, 404: { description: 'No such judge agent or run' } },
  },
  'POST /api/evals': {
    tag: 'evaluations',
    summary: 'Run an eval file (its JSON form) on its agents, scoring every run; answered as SSE',
    description:
      'The body is an eval file as JSON, plus optional experiment_id (give an earlier one to resume: agent x case x repeat already scored is not run again) and concurrency (1-16). Events: eval-start, result (per agent x case x repeat, with its assertions), score, pairwise, progress {done, total}, eval-end (summary with the leaderboard), error.',
    body: evalFileSchema,
    responses: { 200: { description: 'The event stream', mediaType: 'text/event-stream' }, 404: { description: 'An agent or judge named in the file does not exist' } },
  },
  'GET /api/leaderboard': {
    tag: 'evaluations',
    summary: 'Per agent and model: pass rate (95% Wilson interval), mean judge score, win rate, Bradley-Terry rating (bootstrap 95% interval), p50 latency, TTFT, tokens/s and cost',
    query: runFilterSchema,
    responses: { 200: { description: '`{experiment_id?, runs, scores, entries: [...ranked], judges: [{judge, pairwise, disagreements}], unmatched_scores}`; without a filter or limit, over the newest 10,000 runs, with `truncated: true` and `limit` when there were more' } },
  },

  // sessions
  'GET /api/sessions': {
    tag: 'sessions',
    summary: 'List sessions (newest first)',
    query: sessionListQuerySchema,
    responses: { 200: { description: '`{sessions: [session summary]}`: the newest 500 (or `limit`) with every word of `q` in name, id or model, with `truncated: true` and `limit` when more are left' } },
  },
  'POST /api/sessions': { tag: 'sessions', summary: 'Create a session', body: sessionBodySchema, responses: { 201: { description: 'The session' } } },
  'GET /api/sessions/:id': { tag: 'sessions', summary: 'Read a session with its transcript and runs', params: sessionIdParams, responses: { 200: { description: 'The session' }, 404: { description: 'No such session' } } },
  'PUT /api/sessions/:id': { tag: 'sessions', summary: 'Rename or annotate a session', params: sessionIdParams, body: sessionBodySchema, responses: { 200: { description: 'The session' }, 404: { description: 'No such session' } } },
  'DELETE /api/sessions/:id': { tag: 'sessions', summary: 'Delete a session', params: sessionIdParams, responses: { 204: { description: 'Deleted' }, 404: { description: 'No such session' } } },

  // models
  'GET /api/models': { tag: 'models', summary: 'The model catalog: `{source, fetched_at, models: [{id, name, provider, context_length, pricing, source}]}`' },
  'POST /api/models/refresh': { tag: 'models', summary: 'Fetch the catalog from the provider now (fallback list when it fails)' },

  // the OpenAI-compatible endpoint
  'POST /v1/chat/completions': {
    tag: 'openai',
    summary: "OpenAI's Chat Completions, for any OpenAI SDK pointed at http://<lab>/v1",
    description:
      'model: a catalog id, a local model (local/...), or agent/<agent name or id> (the saved agent\'s system prompt and parameters; the request\'s own override them). stream=true answers data: {chat.completion.chunk} lines and data: [DONE] (stream_options.include_usage adds a usage chunk); otherwise one chat.completion. The client\'s tools pass through and tool calls come back unrun (one model call per request). Each call is a run in runs.csv and, unless X-Agent-Lab-Session: none, in a session (a session id there continues or creates that session). Tags: X-Agent-Lab-Experiment, X-Agent-Lab-Task, X-Agent-Lab-Notes headers, else metadata {experiment_id, task_label, run_notes}. Answers carry X-Agent-Lab-Run-Id and X-Agent-Lab-Session-Id. Closing the stream stops the run (recorded aborted). Errors in OpenAI\'s shape.',
    body: openAiChatRequestSchema,
    responses: {
      200: { description: 'chat.completion JSON, or with stream=true the chunk stream', mediaType: 'text/event-stream' },
      404: { description: 'model_not_found: not in the catalog, or no saved agent of that name or id' },
      502: { description: 'The provider failed before the first token (or refused the request)' },
      503: { description: 'The provider is unavailable or its circuit is open; read-only or maintenance mode' },
    },
  },
  'GET /v1/models': { tag: 'openai', summary: '`{object: "list", data: [{id, object: "model", created, owned_by}]}`: catalog and local models, then each saved agent as agent/<name>' },
  'GET /v1/models/*': { tag: 'openai', summary: 'One entry of /v1/models (the id may contain /)', responses: { 200: { description: '`{id, object: "model", created, owned_by}`' }, 404: { description: 'model_not_found' } } },

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
  'GET /api/status': { tag: 'operations', summary: 'What the UI banners need: API key present, read-only, maintenance, open circuits, auth' },
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
export const API_TAGS = ['agents', 'chat', 'runs', 'sessions', 'models', 'evaluations', 'openai', 'operations'] as const;

/** The standard error body `{ error: { code, message, retryable } }`. */
export const errorBodySchema = z.object({
  error: z.object({ code: z.string().describe('stable, shaped type:surface'), message: z.string(), retryable: z.boolean() }),
});
