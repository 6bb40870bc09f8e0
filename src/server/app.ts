import { existsSync } from 'node:fs';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { LabError } from '../domain/errors.js';
import type { Logger } from '../ops/logger.js';
import type { ChatService } from '../runner/chat-service.js';
import type { RunRegistry } from '../runner/run-registry.js';
import type { ScoreService } from '../evals/score-service.js';
import { sendError } from './http-error.js';
import { trackRoutes } from './openapi/index.js';
import { agentRoutes, type AgentsPort } from './routes/agents.js';
import { apiDocsRoutes } from './routes/api-docs.js';
import { bakeoffRoutes } from './routes/bakeoff.js';
import { chatRoutes } from './routes/chat.js';
import { evalRoutes } from './routes/evals.js';
import { judgeRoutes } from './routes/judge.js';
import { leaderboardRoutes } from './routes/leaderboard.js';
import { scoreRoutes } from './routes/scores.js';
import { compareRoutes } from './routes/compare.js';
import { modelRoutes, type ModelsPort } from './routes/models.js';
import { openAiRoutes, type OpenAiCatalogPort } from './routes/openai.js';
import type { RunHistory } from '../domain/history.js';
import { runRoutes } from './routes/runs.js';
import { experimentRoutes } from './routes/experiments.js';
import { sessionRoutes, type SessionsPort } from './routes/sessions.js';
import { LAB_VERSION } from './version.js';

/** Everything the HTTP layer serves; built by `createLab` (or by a test). */
export interface AppDependencies {
  logger: Logger;
  maxBodyBytes: number;
  /** Fastify options from the operations layer (request ids, proxy trust, log control). */
  serverOptions?: object;
  agents: AgentsPort;
  sessions: SessionsPort;
  runs: RunHistory;
  catalog: ModelsPort & OpenAiCatalogPort;
  isKnownModel: (model: string) => boolean;
  chat: ChatService;
  registry: RunRegistry;
  /** Scores, judges and evals; absent in tests that do not need them. */
  scores?: ScoreService;
  /** The built UI (web/dist); absent in API-only tests. */
  webDir?: string | undefined;
  /** Registers health, metrics, flags, auth, rate limits and logs before the API routes. */
  registerOperations?: (app: FastifyInstance) => Promise<unknown>;
}

/** Build the Fastify app: operations first (their hooks cover every route), then the API, then the UI. */
export async function buildApp(dependencies: AppDependencies): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: dependencies.logger,
    bodyLimit: dependencies.maxBodyBytes,
    return503OnClosing: true,
    forceCloseConnections: true,
    ...dependencies.serverOptions,
  } as FastifyServerOptions) as unknown as FastifyInstance;

  // first, so every route below (operations' too) is recorded for the API-reference test
  trackRoutes(app);
  app.setErrorHandler((error, request, reply) => sendError(request, reply, error));

  if (dependencies.registerOperations) await dependencies.registerOperations(app);

  agentRoutes(app, { agents: dependencies.agents, isKnownModel: dependencies.isKnownModel });
  chatRoutes(app, { chat: dependencies.chat, registry: dependencies.registry });
  bakeoffRoutes(app, { chat: dependencies.chat });
  sessionRoutes(app, { sessions: dependencies.sessions });
  runRoutes(app, { runs: dependencies.runs });
  experimentRoutes(app, { runs: dependencies.runs });
  compareRoutes(app, { runs: dependencies.runs });
  modelRoutes(app, { catalog: dependencies.catalog });
  openAiRoutes(app, { chat: dependencies.chat, agents: dependencies.agents, catalog: dependencies.catalog });
  if (dependencies.scores) {
    scoreRoutes(app, { service: dependencies.scores });
    judgeRoutes(app, { service: dependencies.scores });
    evalRoutes(app, { service: dependencies.scores });
    leaderboardRoutes(app, { service: dependencies.scores });
  }
  apiDocsRoutes(app, { version: LAB_VERSION });

  const webDir = dependencies.webDir;
  if (webDir && existsSync(webDir)) {
    await app.register(fastifyStatic, { root: webDir, prefix: '/', wildcard: false, index: ['index.html'] });
  }

  app.setNotFoundHandler((request, reply) => {
    const wantsPage = request.method === 'GET' && !request.url.startsWith('/api/') && !request.url.startsWith('/v1/') && (request.headers.accept ?? '').includes('text/html');
    if (wantsPage && webDir && existsSync(`${webDir}/index.html`)) return reply.type('text/html').sendFile('index.html');
    return sendError(request, reply, new LabError('not_found:route', `No route ${request.method} ${request.url.split('?')[0]}.`));
  });

  return app;
}
