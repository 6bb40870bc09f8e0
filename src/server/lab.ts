import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { LabConfig } from '../config/config.js';
import { agentInputSchema } from '../domain/agent.js';
import type { Usage } from '../domain/stream-part.js';
import { createLabMetrics, createHealth, createServiceFlags } from '../ops/index.js';
import type { Logger } from '../ops/logger.js';
import { ModelCatalog, computeCost, createOpenAICompatibleProvider, createResilientProvider } from '../providers/index.js';
import { createLocalProvider, listLocalModels, SHIPPED_MODEL_PATH, type LocalModel } from '../providers/local/index.js';
import { ChatService } from '../runner/chat-service.js';
import { RunRegistry } from '../runner/run-registry.js';
import { startBackupSchedule } from '../recovery/index.js';
import { AgentStore, RevokedSessionsFile, RunsCsv, ScoresCsv, SessionStore } from '../store/index.js';
import type { RunIndexEvent } from '../store/index.js';
import { openPostgresStorage, PostgresRevokedSessions, type PostgresStorage } from '../store/postgres/index.js';
import type { AgentRepository } from '../domain/agent-repository.js';
import type { RunHistory, ScoreHistory } from '../domain/history.js';
import type { SessionRepository } from '../domain/session-repository.js';
import { ScoreService } from '../evals/score-service.js';
import { newId } from '../runner/ids.js';
import { createToolRegistry } from '../tools/index.js';
import { buildApp } from './app.js';
import type { BreakerInfo, CatalogInfo, LabStatusSources } from './context.js';
import { operationsServerOptions, registerOperations, type Operations } from './plugins/index.js';
import { LAB_VERSION, REPO_ROOT } from './version.js';


/** A running lab's parts, for main.ts and tests. */
export interface Lab {
  app: FastifyInstance;
  config: LabConfig;
  registry: RunRegistry;
  /** runs.csv in files mode; undefined in PostgreSQL mode (DATABASE_URL). */
  runsCsv: RunsCsv | undefined;
  /** The database in PostgreSQL mode. */
  postgres: PostgresStorage | undefined;
  /** Reopen the access log (SIGHUP, after logrotate). */
  reopenLogs(): void;
  /** Stop background work (flag polling, health probes, metrics, schedules). */
  stopBackground(): void;
  /** Save what should outlive the process but is derived (the run index's snapshot). */
  saveDerivedState(): Promise<void>;
}

/**
 * The composition root: every store, provider and service built from the config, then the
 * HTTP app. Start-up work that can fail on bad data (migrating runs.csv, a torn record)
 * happens here, before anything listens.
 */
export async function createLab(options: { config: LabConfig; logger: Logger }): Promise<Lab> {
  const { config, logger } = options;
  // DATABASE_URL: every store in PostgreSQL (schema migrated here, before anything listens); else files under DATA_DIR.
  const postgres = config.databaseUrl
    ? await openPostgresStorage({
        url: config.databaseUrl,
        maxConnections: config.databasePoolSize,
        statementTimeoutMs: config.databaseStatementTimeoutMs,
        onIdleError: (error) => logger.warn({ err: error }, 'An idle database connection failed; it will be replaced'),
      })
    : undefined;
  let runsCsvFile: RunsCsv | undefined;
  let stores: { agents: AgentRepository; sessions: SessionRepository; runs: RunHistory; scores: ScoreHistory };
  if (postgres) {
    logger.info({ database: postgres.displayUrl, migrations_applied: postgres.migrationsApplied }, 'Storing data in PostgreSQL');
    stores = postgres;
  } else {
    const runsCsv = new RunsCsv({ dataDir: config.dataDir, onIndexEvent: (event) => logRunIndexEvent(logger, event) });
    const init = await runsCsv.init();
    if (init.migratedFrom) logger.warn({ backup: init.backupPath, columns: init.migratedFrom }, 'Migrated runs.csv from the earlier Agent Lab format');
    if (init.repairedTornRecord) logger.warn({ file: runsCsv.path }, 'Repaired a torn last record in runs.csv');
    const scoresCsv = new ScoresCsv({ dataDir: config.dataDir });
    const scoresInit = await scoresCsv.init();
    if (scoresInit.repairedTornRecord) logger.warn({ file: scoresCsv.path, torn: scoresInit.tornPath }, 'Repaired a torn last record in scores.csv');
    const sessions = new SessionStore({ dataDir: config.dataDir });
    const agents = new AgentStore({ dataDir: config.dataDir });
    stores = { agents, sessions, runs: runsCsv, scores: scoresCsv };
    runsCsvFile = runsCsv;
  }
  const { agents, sessions } = stores;

  const localModels: LocalModel[] = await listLocalModels({ localModelPath: config.localModelPath, shippedModelPath: SHIPPED_MODEL_PATH }).catch(
    (error: unknown) => {
      logger.error({ err: error, path: config.localModelPath }, 'Failed to load local models from LOCAL_MODEL_PATH; continuing without them');
      return listLocalModels({ shippedModelPath: SHIPPED_MODEL_PATH }).catch((shippedError: unknown) => {
        logger.error({ err: shippedError }, 'Failed to load the shipped local model');
        return [];
      });
    },
  );
  // The browser needs no file paths: only the catalog fields of each local model.
  const catalogLocalModels = localModels.map(({ path: _path, size_bytes: _size, chat_format: _format, ...model }) => model);
  const catalog = new ModelCatalog({
    baseUrl: config.openRouterBaseUrl,
    apiKey: config.openRouterApiKey,
    basicAuth: config.openRouterBasicAuth,
    ttlSeconds: config.modelCatalogTtlSeconds,
    timeoutMs: config.providerTimeoutSeconds * 1000,
    localModels: () => catalogLocalModels,
  });

  const registry = new RunRegistry();
  const startedAt = new Date();
  let breakerStates: () => BreakerInfo[] = () => [];
  const sources: LabStatusSources = {
    config,
    logger,
    version: LAB_VERSION,
    startedAt,
    catalogInfo: (): CatalogInfo => catalog.info(),
    breakerStates: () => breakerStates(),
    activeRuns: () => registry.size,
  };
  const flags = createServiceFlags({ readOnlyFlag: config.readOnlyFlag, maintenanceFlag: config.maintenanceFlag, logger });
  const metrics = createLabMetrics({ sources });
  const health = createHealth({ sources, flags, metrics, database: postgres });

  const remote = createResilientProvider({
    provider: createOpenAICompatibleProvider({
      baseUrl: config.openRouterBaseUrl,
      apiKey: config.openRouterApiKey,
      basicAuth: config.openRouterBasicAuth,
      appUrl: config.publicUrl,
      appName: 'Agent Lab',
      timeoutMs: config.providerTimeoutSeconds * 1000,
      chunkTimeoutMs: config.chunkTimeoutSeconds * 1000,
    }),
    baseUrl: config.openRouterBaseUrl,
    maxAttempts: config.retryMaxAttempts,
    failureThreshold: config.breakerFailureThreshold,
    resetSeconds: config.breakerResetSeconds,
    observer: metrics.providerObserver,
  });
  breakerStates = () => remote.breakerStates();
  const local = createLocalProvider({ models: localModels });
  const tools = createToolRegistry({ fetchAllowlist: config.fetchAllowlist, allowPrivate: config.fetchAllowPrivate });

  const chat = new ChatService({
    stores: { agents, sessions, runs: stores.runs },
    selectProvider: (model) =>
      localModels.some((entry) => entry.id === model) ? { provider: local, source: 'local' } : { provider: remote, source: catalog.info().source },
    tools,
    priceRun: (model: string, usage: Usage) => computeCost({ usage, model: catalog.find(model) }),
    streamingEnabled: config.streamingEnabled,
    registry,
    observer: metrics.runObserver,
    logger,
  });

  const scores = new ScoreService({ stores: { runs: stores.runs, scores: stores.scores, sessions, agents }, chat, newId });

  let operations: Operations | undefined;
  const app = await buildApp({
    logger,
    maxBodyBytes: config.maxBodyBytes,
    serverOptions: operationsServerOptions({ config, logger }),
    agents,
    sessions,
    runs: stores.runs,
    scores,
    catalog: {
      get: () => catalog.get(),
      refresh: () => catalog.refresh(),
      lookup: (model) => ({ known: catalog.find(model) !== undefined, authoritative: catalog.info().source === 'dynamic' }),
    },
    isKnownModel: (model) => catalog.find(model) !== undefined,
    chat,
    registry,
    webDir: path.join(REPO_ROOT, 'web', 'dist'),
    registerOperations: async (instance) => {
      const revocations = postgres ? new PostgresRevokedSessions({ db: postgres.db }) : new RevokedSessionsFile({ dataDir: config.dataDir });
      operations = await registerOperations(instance, { sources, flags, metrics, health, revocations, webDir: path.join(REPO_ROOT, 'web', 'dist') });
    },
  });
  // PostgreSQL mode: DATA_DIR holds no data to snapshot; the database is backed up with its own tools
  const backups = startBackupSchedule({ config, logger, ...(postgres && config.databaseUrl ? { database: { url: config.databaseUrl, db: postgres.db } } : {}) });

  const defaultModel = config.openRouterApiKey ? 'openai/gpt-4o-mini' : localModels[0]?.id;
  if (defaultModel) {
    const agent = await agents.createIfNone(
      agentInputSchema.parse({ name: 'Default agent', model: defaultModel, system_prompt: 'You are a helpful assistant. Answer briefly.', tools: ['add_numbers', 'utc_now'] }),
    );
    if (agent) logger.info({ agent_id: agent.id, model: defaultModel }, 'Created the default agent');
  }

  void catalog.load().catch((error: unknown) => logger.warn({ err: error }, 'Model catalog fetch failed; using the fallback list'));

  return {
    app,
    config,
    registry,
    runsCsv: runsCsvFile,
    postgres,
    reopenLogs: () => operations?.accessLog.reopen(),
    saveDerivedState: async () => runsCsvFile?.close(),
    stopBackground: () => {
      flags.close();
      health.close();
      metrics.close();
      backups.stop();
      void local.dispose().catch((error: unknown) => logger.warn({ err: error }, 'Failed to release the local model runtime'));
      void postgres?.close().catch((error: unknown) => logger.warn({ err: error }, 'Failed to close the database connections'));
    },
  };
}

/** The run index's work, in the log (a full pass over a large runs.csv takes seconds: say so). */
function logRunIndexEvent(logger: Logger, event: RunIndexEvent): void {
  const ms = 'ms' in event ? Math.round(event.ms) : undefined;
  if (event.kind === 'built') logger.info({ rows: event.rows, ms, reason: event.reason }, 'Built the run index from runs.csv');
  else if (event.kind === 'loaded') logger.info({ rows: event.rows, tail_rows: event.tailRows, ms }, 'Loaded the run index from its snapshot');
  else if (event.kind === 'snapshot-written') logger.info({ rows: event.rows, bytes: event.bytes, ms }, 'Saved the run index snapshot');
  else logger.warn({ err: event.error }, 'Failed to save the run index snapshot; the next start rebuilds it');
}
