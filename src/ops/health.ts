import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { access, open, readdir, stat, statfs, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { SEED_COLUMNS } from '../domain/run.js';
import { SCORE_COLUMNS } from '../domain/score.js';
import type { LabStatusSources } from '../server/context.js';
import { listBreakers } from './breaker-list.js';
import type { EventLoopLag, LabMetrics } from './metrics.js';
import type { ServiceFlags } from './service-flags.js';

/**
 * Health for load balancers and people. `basic()` is what `/health` answers: no I/O on the
 * request path (a background check of the data directory refreshes a cached verdict), a
 * body of constant length. `detailed()` checks every dependency with its own status and
 * timing, each bounded in time; the provider probe is cached.
 */

export type ComponentStatus = 'ok' | 'degraded' | 'down';
export type OverallStatus = 'healthy' | 'degraded' | 'read_only' | 'maintenance' | 'unhealthy';

export interface BasicHealth {
  statusCode: 200 | 503;
  body: { status: OverallStatus; service: 'agent-lab' };
  /** `body` as JSON, built once per verdict (`/health` sends it as is). */
  json: string;
}

/** One dependency's verdict and its details. */
export interface CheckResult {
  status: ComponentStatus;
  error?: string;
  [detail: string]: unknown;
}

export interface ComponentCheck extends CheckResult {
  duration_ms: number;
}

export interface DetailedHealth {
  status: OverallStatus;
  checked_at: string;
  version: string;
  uptime_seconds: number;
  api_key_configured: boolean;
  auth_required: boolean;
  read_only: boolean;
  maintenance: boolean;
  active_runs: number;
  memory: { rss_mb: number; heap_used_mb: number; heap_total_mb: number };
  /** Null when no metrics instance measures it. */
  event_loop_lag_ms: EventLoopLag | null;
  /** Files mode checks data_dir, runs_csv, scores_csv and sessions; PostgreSQL mode checks database instead. */
  checks: {
    data_dir?: ComponentCheck;
    runs_csv?: ComponentCheck;
    scores_csv?: ComponentCheck;
    sessions?: ComponentCheck;
    database?: ComponentCheck;
    provider: ComponentCheck;
    circuit_breakers: ComponentCheck;
    catalog: ComponentCheck;
    flags: ComponentCheck;
  };
}

export interface LabHealth {
  basic(): BasicHealth;
  detailed(): Promise<{ statusCode: 200 | 503; body: DetailedHealth }>;
  /** Run the background data-directory check now (tests). */
  refresh(): Promise<void>;
  close(): void;
}

/** Below this much free space the data directory is `degraded`. */
const LOW_DISK_BYTES = 100 * 1_048_576;
const CHECK_TIMEOUT_MS = 2000;

/** Every verdict `basic()` can give, built once: answering `/health` allocates nothing. */
const basicVerdict = (statusCode: 200 | 503, status: OverallStatus): Readonly<BasicHealth> => {
  const body = Object.freeze({ status, service: 'agent-lab' as const });
  return Object.freeze({ statusCode, body, json: JSON.stringify(body) });
};
const BASIC_VERDICTS = {
  healthy: basicVerdict(200, 'healthy'),
  read_only: basicVerdict(200, 'read_only'),
  maintenance: basicVerdict(200, 'maintenance'),
  unhealthy: basicVerdict(503, 'unhealthy'),
} as const;

interface DataDirState {
  readable: boolean;
  writable: boolean;
  error: string | undefined;
}

const errorText = (error: unknown) => (error instanceof Error ? ((error as NodeJS.ErrnoException).code ?? error.message) : String(error));
const megabytes = (bytes: number) => Math.round((bytes / 1_048_576) * 10) / 10;

/** Reject when `promise` takes longer than `ms`; the check then reports `down` with a timeout. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Time a check; a throw becomes a `down` component carrying the error. */
async function timed(body: () => Promise<CheckResult>, what: string): Promise<ComponentCheck> {
  const started = performance.now();
  try {
    const result = await within(body(), CHECK_TIMEOUT_MS, what);
    return { ...result, duration_ms: Math.round((performance.now() - started) * 10) / 10 };
  } catch (error) {
    return { status: 'down', error: errorText(error), duration_ms: Math.round((performance.now() - started) * 10) / 10 };
  }
}

/** Write and remove a temporary file (never `.json`, so no tool mistakes it for a session). */
async function writeProbe(directory: string): Promise<void> {
  const probe = path.join(directory, `.health-probe-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  await writeFile(probe, 'ok');
  await unlink(probe);
}

async function firstLine(file: string): Promise<string> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(8192);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead).toString('utf8').split('\n')[0]?.replace(/\r$/, '') ?? '';
  } finally {
    await handle.close();
  }
}

/** The base URL as health shows it (config already removed any credentials; a query may hold a key). */
function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.search = '';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return '[invalid url]';
  }
}

/** The database of PostgreSQL mode, as health sees it. */
export interface DatabaseProbe {
  /** The URL without its password. */
  displayUrl: string;
  /** `SELECT 1`: resolves with the round trip in ms. */
  ping(): Promise<number>;
}

/** Build the health checks. */
export function createHealth(options: {
  sources: LabStatusSources;
  flags: ServiceFlags;
  metrics?: LabMetrics;
  /** PostgreSQL mode: the database decides whether the lab can serve (the data directory is not used). */
  database?: DatabaseProbe | undefined;
  /** How often the background data-directory check runs. */
  refreshMs?: number;
  /** How long a provider probe result is reused. */
  providerCacheMs?: number;
  providerTimeoutMs?: number;
}): LabHealth {
  const { sources, flags, metrics, database, refreshMs = 5000, providerCacheMs = 30_000, providerTimeoutMs = 3000 } = options;
  const { config, logger } = sources;

  // a synchronous first verdict, so /health is right from the first request
  const initial = (): DataDirState => {
    try {
      if (!statSync(config.dataDir).isDirectory()) return { readable: false, writable: false, error: 'ENOTDIR' };
      accessSync(config.dataDir, fsConstants.R_OK | fsConstants.X_OK);
    } catch (error) {
      return { readable: false, writable: false, error: errorText(error) };
    }
    try {
      accessSync(config.dataDir, fsConstants.W_OK);
      return { readable: true, writable: true, error: undefined };
    } catch (error) {
      return { readable: true, writable: false, error: errorText(error) };
    }
  };
  let dataDir: DataDirState = database ? { readable: true, writable: true, error: undefined } : initial();
  // the lab has just migrated the schema when health is built: reachable until a ping says otherwise
  let databaseState: { reachable: boolean; error: string | undefined } = { reachable: true, error: undefined };
  const pingDatabase = async (probe: DatabaseProbe): Promise<CheckResult> => {
    try {
      const latency = await within(probe.ping(), CHECK_TIMEOUT_MS, 'database check');
      return { status: 'ok', url: probe.displayUrl, reachable: true, latency_ms: latency };
    } catch (error) {
      return { status: 'down', url: probe.displayUrl, reachable: false, error: errorText(error) };
    }
  };
  const noteDatabase = (result: CheckResult) => {
    const reachable = result.status === 'ok';
    if (databaseState.reachable && !reachable) logger.error({ database: database?.displayUrl, error: result.error }, 'Database is unreachable: health reports 503');
    else if (!databaseState.reachable && reachable) logger.info({ database: database?.displayUrl }, 'Database is reachable again');
    databaseState = { reachable, error: result.error };
  };

  const checkDataDir = async (): Promise<DataDirState> => {
    try {
      const info = await stat(config.dataDir);
      if (!info.isDirectory()) return { readable: false, writable: false, error: 'ENOTDIR' };
      await access(config.dataDir, fsConstants.R_OK | fsConstants.X_OK);
    } catch (error) {
      return { readable: false, writable: false, error: errorText(error) };
    }
    try {
      await writeProbe(config.dataDir);
      return { readable: true, writable: true, error: undefined };
    } catch (error) {
      return { readable: true, writable: false, error: errorText(error) };
    }
  };

  const usable = (state: DataDirState) => state.readable && (state.writable || flags.readOnly());
  let checking = false;
  const refresh = async () => {
    if (checking) return;
    checking = true;
    try {
      if (database) {
        noteDatabase(await pingDatabase(database));
        return;
      }
      const next = await within(checkDataDir(), CHECK_TIMEOUT_MS, 'data directory check').catch(
        (error: unknown): DataDirState => ({ readable: false, writable: false, error: errorText(error) }),
      );
      const wasUsable = usable(dataDir);
      dataDir = next;
      if (wasUsable && !usable(next)) logger.error({ dataDir: config.dataDir, error: next.error }, 'Data directory is unusable: health reports 503');
      else if (!wasUsable && usable(next)) logger.info({ dataDir: config.dataDir }, 'Data directory is usable again');
    } finally {
      checking = false;
    }
  };
  const timer = setInterval(() => void refresh(), refreshMs);
  timer.unref();
  if (!usable(dataDir)) logger.error({ dataDir: config.dataDir, error: dataDir.error }, 'Data directory is unusable: health reports 503');

  const basic = (): BasicHealth => {
    if (!usable(dataDir) || !databaseState.reachable) return BASIC_VERDICTS.unhealthy;
    if (flags.maintenance()) return BASIC_VERDICTS.maintenance;
    if (flags.readOnly()) return BASIC_VERDICTS.read_only;
    return BASIC_VERDICTS.healthy;
  };

  // --- provider reachability: cached, one probe in flight at a time
  let providerCache: { at: number; result: CheckResult & { checked_at: string } } | undefined;
  let providerProbe: Promise<NonNullable<typeof providerCache>['result']> | undefined;
  const probeProvider = async (): Promise<NonNullable<typeof providerCache>['result']> => {
    const started = performance.now();
    const url = `${config.openRouterBaseUrl}/models`;
    const base = { base_url: displayUrl(config.openRouterBaseUrl), checked_at: new Date().toISOString() };
    try {
      const response = await fetch(url, { method: 'GET', signal: AbortSignal.timeout(providerTimeoutMs), headers: { accept: 'application/json' } });
      // reachability is the question: the catalog body (often large) is not needed
      await response.body?.cancel();
      const latency = Math.round(performance.now() - started);
      return { ...base, status: response.status < 500 ? 'ok' : 'degraded', reachable: true, http_status: response.status, latency_ms: latency };
    } catch (error) {
      const latency = Math.round(performance.now() - started);
      const reason = (error as Error).name === 'TimeoutError' ? `no answer within ${providerTimeoutMs} ms` : errorText((error as Error).cause ?? error);
      return { ...base, status: 'degraded', reachable: false, latency_ms: latency, error: reason };
    }
  };
  const provider = async (): Promise<ComponentCheck> => {
    const started = performance.now();
    if (providerCache && Date.now() - providerCache.at < providerCacheMs) {
      return { ...providerCache.result, cached: true, duration_ms: Math.round((performance.now() - started) * 10) / 10 };
    }
    providerProbe ??= probeProvider().finally(() => {
      providerProbe = undefined;
    });
    const result = await providerProbe;
    providerCache = { at: Date.now(), result };
    return { ...result, cached: false, duration_ms: Math.round((performance.now() - started) * 10) / 10 };
  };

  const detailed = async (): Promise<{ statusCode: 200 | 503; body: DetailedHealth }> => {
    const readOnly = flags.readOnly();
    const maintenance = flags.maintenance();
    const fileChecks = async (): Promise<Pick<DetailedHealth['checks'], 'data_dir' | 'runs_csv' | 'scores_csv' | 'sessions'>> => {
      const [dataDirCheck, runsCsv, scoresCsv, sessions] = await Promise.all([
        timed(async () => {
          const state = await checkDataDir();
          dataDir = state;
          let free: Record<string, unknown> = {};
          let status: ComponentStatus = state.readable && (state.writable || readOnly) ? 'ok' : 'down';
          if (state.readable) {
            const disk = await statfs(config.dataDir);
            const freeBytes = disk.bavail * disk.bsize;
            const totalBytes = disk.blocks * disk.bsize;
            free = { free_mb: megabytes(freeBytes), free_percent: totalBytes > 0 ? Math.round((freeBytes / totalBytes) * 1000) / 10 : null };
            if (status === 'ok' && freeBytes < LOW_DISK_BYTES) status = 'degraded';
          }
          return { status, path: config.dataDir, readable: state.readable, writable: state.writable, ...free, ...(state.error ? { error: state.error } : {}) };
        }, 'data directory check'),
        timed(
          () => checkCsvHeader({ file: path.join(config.dataDir, 'runs.csv'), columns: SEED_COLUMNS, missing: 'degraded', expected: 'the 16 seed columns' }),
          'runs.csv check',
        ),
        timed(
          // A missing scores.csv is fine: the first score creates it.
          () => checkCsvHeader({ file: path.join(config.dataDir, 'scores.csv'), columns: SCORE_COLUMNS, missing: 'ok', expected: 'the score columns' }),
          'scores.csv check',
        ),
        timed(async () => {
          const directory = path.join(config.dataDir, 'sessions');
          try {
            const names = await readdir(directory);
            return { status: 'ok', path: directory, readable: true, files: names.filter((name) => name.endsWith('.json')).length };
          } catch (error) {
            return { status: 'degraded', path: directory, readable: false, error: errorText(error) };
          }
        }, 'sessions check'),
      ]);
      return { data_dir: dataDirCheck, runs_csv: runsCsv, scores_csv: scoresCsv, sessions };
    };
    const [files, databaseCheck, providerCheck] = await Promise.all([
      database ? undefined : fileChecks(),
      database
        ? timed(async () => {
            const result = await pingDatabase(database);
            noteDatabase(result);
            return result;
          }, 'database check')
        : undefined,
      provider().catch((error: unknown): ComponentCheck => ({ status: 'degraded', duration_ms: 0, error: errorText(error) })),
    ]);

    const breakers = listBreakers(sources.breakerStates());
    const catalog = sources.catalogInfo();
    const fetchedAt = catalog.fetched_at ? Date.parse(catalog.fetched_at) : Number.NaN;
    const checks: DetailedHealth['checks'] = {
      ...files,
      ...(databaseCheck ? { database: databaseCheck } : {}),
      provider: providerCheck,
      circuit_breakers: { status: breakers.open > 0 ? 'degraded' : 'ok', duration_ms: 0, ...breakers },
      catalog: {
        status: catalog.source === 'dynamic' ? 'ok' : 'degraded',
        duration_ms: 0,
        source: catalog.source,
        fetched_at: catalog.fetched_at,
        age_seconds: Number.isFinite(fetchedAt) ? Math.max(0, Math.round((Date.now() - fetchedAt) / 1000)) : null,
        model_count: catalog.model_count,
        last_error: catalog.last_error,
      },
      flags: {
        status: readOnly || maintenance ? 'degraded' : 'ok',
        duration_ms: 0,
        read_only: readOnly,
        maintenance,
        read_only_flag: config.readOnlyFlag,
        maintenance_flag: config.maintenanceFlag,
      },
    };
    const statuses = Object.values(checks).map((check) => check.status);
    // only the data directory (or the database) decides whether the lab can serve; the rest degrades
    const status: OverallStatus =
      files?.data_dir?.status === 'down' || databaseCheck?.status === 'down'
        ? 'unhealthy'
        : maintenance
          ? 'maintenance'
          : readOnly
            ? 'read_only'
            : statuses.includes('degraded') || statuses.includes('down')
              ? 'degraded'
              : 'healthy';
    const memory = process.memoryUsage();
    return {
      statusCode: status === 'unhealthy' ? 503 : 200,
      body: {
        status,
        checked_at: new Date().toISOString(),
        version: sources.version,
        uptime_seconds: Math.round((Date.now() - sources.startedAt.getTime()) / 1000),
        api_key_configured: Boolean(config.openRouterApiKey),
        auth_required: Boolean(config.labAuthToken),
        read_only: readOnly,
        maintenance,
        active_runs: sources.activeRuns(),
        memory: { rss_mb: megabytes(memory.rss), heap_used_mb: megabytes(memory.heapUsed), heap_total_mb: megabytes(memory.heapTotal) },
        event_loop_lag_ms: metrics ? metrics.eventLoopLag() : null,
        checks,
      },
    };
  };

  return { basic, detailed, refresh, close: () => clearInterval(timer) };
}

/** A CSV file's header against the columns it must start with (runs.csv, scores.csv). */
async function checkCsvHeader(options: { file: string; columns: readonly string[]; missing: ComponentStatus; expected: string }): Promise<CheckResult> {
  const { file } = options;
  let header: string;
  try {
    header = await firstLine(file);
  } catch (error) {
    return { status: options.missing, path: file, exists: false, header_ok: false, error: errorText(error) };
  }
  const columns = header.split(',');
  const headerOk = options.columns.every((column, index) => columns[index] === column);
  return {
    status: headerOk ? 'ok' : 'degraded',
    path: file,
    exists: true,
    header_ok: headerOk,
    columns: columns.length,
    ...(headerOk ? {} : { error: `the header does not start with ${options.expected}` }),
  };
}
