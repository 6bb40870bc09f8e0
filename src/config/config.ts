import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { z } from 'zod';

/**
 * The lab's configuration: environment variables and an optional `.env`, parsed once at
 * start-up and validated. Nothing else in the lab reads `process.env`.
 */

const booleanFlag = z
  .string()
  .trim()
  .toLowerCase()
  .refine((value) => ['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'].includes(value), 'must be true or false')
  .transform((value) => ['true', '1', 'yes', 'on'].includes(value));

const positiveNumber = z.coerce.number({ message: 'must be a number' }).positive('must be greater than 0');
const positiveInteger = z.coerce.number({ message: 'must be a number' }).int('must be a whole number').positive('must be at least 1');

/**
 * A base URL without its userinfo, and that userinfo decoded (`user:password`), so the
 * credentials are split off once here: everything else sees only the clean URL.
 */
function splitUserinfo(value: string): { url: string; basicAuth: string | undefined } {
  const parsed = new URL(value);
  const decoded = (part: string) => {
    try {
      return decodeURIComponent(part);
    } catch {
      return part;
    }
  };
  const basicAuth = parsed.username === '' && parsed.password === '' ? undefined : `${decoded(parsed.username)}:${decoded(parsed.password)}`;
  parsed.username = '';
  parsed.password = '';
  return { url: parsed.toString().replace(/\/+$/, ''), basicAuth };
}

/** A value as it may appear in an error message: credentials in a URL masked. */
function printable(value: string): string {
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, '$1***@');
}

/** A postgres:// or postgresql:// URL naming a host and a database. */
function isPostgresUrl(value: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    return false;
  }
  return ['postgres:', 'postgresql:'].includes(parsed.protocol) && parsed.hostname !== '' && parsed.pathname.length > 1;
}

const envSchema = z.object({
  PORT: z.coerce.number({ message: 'must be a number' }).int('must be a whole number').min(0).max(65535, 'must be 0-65535').default(7860),
  HOST: z.string().trim().min(1, 'must not be empty').default('127.0.0.1'),
  OPENROUTER_API_KEY: z
    .string()
    .optional()
    .transform((value) => (value && value.trim() !== '' ? value.trim() : undefined)),
  OPENROUTER_BASE_URL: z
    .string()
    .trim()
    .url('must be a URL such as https://openrouter.ai/api/v1')
    .refine((value) => /^https?:\/\//.test(value), 'must be an http(s) URL')
    .default('https://openrouter.ai/api/v1')
    .transform(splitUserinfo),
  DATA_DIR: z.string().trim().min(1).default('./data'),
  // empty means unset: files mode
  DATABASE_URL: z.preprocess(
    (value) => (typeof value === 'string' && value.trim() === '' ? undefined : value),
    z
      .string()
      .trim()
      .refine(isPostgresUrl, 'must be a PostgreSQL URL such as postgres://user:password@host:5432/agent_lab (postgres:// or postgresql://, with a host and a database name)')
      .optional(),
  ),
  DATABASE_POOL_SIZE: positiveInteger.max(1000, 'must be at most 1000').default(10),
  // 0 = no limit, as PostgreSQL's own statement_timeout
  DATABASE_STATEMENT_TIMEOUT_SECONDS: z.coerce.number({ message: 'must be a number' }).min(0, 'must be 0 (no limit) or more').max(86_400, 'must be at most 86400 (a day)').default(30),
  LOG_FILE: z.string().trim().min(1).default('./logs/app.log'),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
  ACCESS_LOG: z.string().trim().min(1).default('./logs/access.log'),
  BACKUP_DIR: z.string().trim().min(1).default('./backups'),
  BACKUP_INTERVAL_HOURS: z.coerce.number({ message: 'must be a number' }).min(0, 'must be 0 (off) or more').default(6),
  BACKUP_RETENTION_DAYS: positiveNumber.default(90),
  READ_ONLY_FLAG: z.string().trim().min(1).default('./READ_ONLY_MODE'),
  MAINTENANCE_FLAG: z.string().trim().min(1).default('./MAINTENANCE_MODE'),
  STREAMING_ENABLED: booleanFlag.default(true),
  FETCH_ALLOWLIST: z
    .string()
    .default('example.com,api.github.com,raw.githubusercontent.com')
    .transform((value) =>
      value
        .split(',')
        .map((host) => host.trim().toLowerCase())
        .filter((host) => host !== ''),
    ),
  FETCH_ALLOW_PRIVATE: booleanFlag.default(false),
  LAB_AUTH_TOKEN: z
    .string()
    .optional()
    .transform((value) => (value && value.trim() !== '' ? value.trim() : undefined))
    .refine((value) => value === undefined || value.length >= 8, 'must be at least 8 characters'),
  RATE_LIMIT_PER_MINUTE: positiveInteger.default(600),
  BREAKER_FAILURE_THRESHOLD: positiveInteger.default(5),
  BREAKER_RESET_SECONDS: positiveNumber.default(60),
  RETRY_MAX_ATTEMPTS: positiveInteger.max(10, 'must be at most 10').default(3),
  ALLOW_INSECURE_BIND: booleanFlag.default(false),
  LOCAL_MODEL_PATH: z.string().trim().optional().transform((value) => (value ? value : undefined)),
  MODEL_CATALOG_TTL_SECONDS: positiveNumber.default(3600),
  PROVIDER_TIMEOUT_SECONDS: positiveNumber.default(30),
  CHUNK_TIMEOUT_SECONDS: positiveNumber.default(60),
  SHUTDOWN_TIMEOUT_SECONDS: positiveNumber.default(10),
  MAX_BODY_BYTES: positiveInteger.default(1_048_576),
  TRUST_PROXY: z.string().trim().optional().transform((value) => (value ? value : undefined)),
  // empty (as `PUBLIC_URL=` in a copied .env.example) means unset, like the other optional values
  PUBLIC_URL: z.preprocess((value) => (typeof value === 'string' && value.trim() === '' ? undefined : value), z.string().trim().url('must be a URL').optional()),
});

/** Every variable the lab reads (docs/configuration.md and .env.example list them all). */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(envSchema.shape);

/** The validated configuration, with paths resolved against the working directory. */
export interface LabConfig {
  port: number;
  host: string;
  openRouterApiKey: string | undefined;
  /** The provider's base URL without credentials: the only form logged, shown or used as a key. */
  openRouterBaseUrl: string;
  /** `user:password` from the userinfo of OPENROUTER_BASE_URL, sent as HTTP Basic auth; a secret. */
  openRouterBasicAuth: string | undefined;
  dataDir: string;
  /** `DATABASE_URL`: PostgreSQL mode when set (a secret: it holds the password; show `redactDatabaseUrl(...)`). */
  databaseUrl: string | undefined;
  /** `DATABASE_POOL_SIZE`: the most connections one lab process opens to the database. */
  databasePoolSize: number;
  /** `DATABASE_STATEMENT_TIMEOUT_SECONDS` in ms: PostgreSQL cancels a query (lock waits included) running longer; 0 = no limit. */
  databaseStatementTimeoutMs: number;
  logFile: string;
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
  accessLog: string;
  backupDir: string;
  backupIntervalHours: number;
  backupRetentionDays: number;
  readOnlyFlag: string;
  maintenanceFlag: string;
  streamingEnabled: boolean;
  fetchAllowlist: string[];
  fetchAllowPrivate: boolean;
  labAuthToken: string | undefined;
  rateLimitPerMinute: number;
  breakerFailureThreshold: number;
  breakerResetSeconds: number;
  retryMaxAttempts: number;
  allowInsecureBind: boolean;
  localModelPath: string | undefined;
  modelCatalogTtlSeconds: number;
  providerTimeoutSeconds: number;
  chunkTimeoutSeconds: number;
  shutdownTimeoutSeconds: number;
  maxBodyBytes: number;
  trustProxy: string | undefined;
  publicUrl: string;
}

/** Thrown when a variable is invalid: the message names the variable and the rule. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Parse the environment (values from `env` win over `.env` in `cwd`) into a LabConfig.
 * Throws ConfigError naming every invalid variable.
 */
export function loadConfig(options: { env?: NodeJS.ProcessEnv; cwd?: string; dotenvFile?: string | false } = {}): LabConfig {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const dotenvPath = options.dotenvFile === false ? undefined : path.resolve(cwd, options.dotenvFile ?? '.env');
  let fromFile: Record<string, string> = {};
  if (dotenvPath && existsSync(dotenvPath)) {
    try {
      fromFile = parseDotenv(readFileSync(dotenvPath));
    } catch (error) {
      throw new ConfigError(`Could not read ${dotenvPath}: ${(error as Error).message}`, { cause: error });
    }
  }
  const merged: Record<string, string | undefined> = { ...fromFile };
  for (const key of Object.keys(envSchema.shape)) {
    if (env[key] !== undefined) merged[key] = env[key];
  }
  const parsed = envSchema.safeParse(merged);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const variable = String(issue.path[0] ?? 'environment');
      // DATABASE_URL holds a password that may not parse as a URL's userinfo: never echoed
      const value = variable.includes('KEY') || variable.includes('TOKEN') || variable === 'DATABASE_URL' ? '' : ` (got "${printable(String(merged[variable] ?? ''))}")`;
      return `${variable} ${issue.message}${value}`;
    });
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }
  const value = parsed.data;
  const resolve = (target: string) => path.resolve(cwd, target);
  const config: LabConfig = {
    port: value.PORT,
    host: value.HOST,
    openRouterApiKey: value.OPENROUTER_API_KEY,
    openRouterBaseUrl: value.OPENROUTER_BASE_URL.url,
    openRouterBasicAuth: value.OPENROUTER_BASE_URL.basicAuth,
    dataDir: resolve(value.DATA_DIR),
    databaseUrl: value.DATABASE_URL,
    databasePoolSize: value.DATABASE_POOL_SIZE,
    databaseStatementTimeoutMs: Math.round(value.DATABASE_STATEMENT_TIMEOUT_SECONDS * 1000),
    logFile: resolve(value.LOG_FILE),
    logLevel: value.LOG_LEVEL,
    accessLog: resolve(value.ACCESS_LOG),
    backupDir: resolve(value.BACKUP_DIR),
    backupIntervalHours: value.BACKUP_INTERVAL_HOURS,
    backupRetentionDays: value.BACKUP_RETENTION_DAYS,
    readOnlyFlag: resolve(value.READ_ONLY_FLAG),
    maintenanceFlag: resolve(value.MAINTENANCE_FLAG),
    streamingEnabled: value.STREAMING_ENABLED,
    fetchAllowlist: value.FETCH_ALLOWLIST,
    fetchAllowPrivate: value.FETCH_ALLOW_PRIVATE,
    labAuthToken: value.LAB_AUTH_TOKEN,
    rateLimitPerMinute: value.RATE_LIMIT_PER_MINUTE,
    breakerFailureThreshold: value.BREAKER_FAILURE_THRESHOLD,
    breakerResetSeconds: value.BREAKER_RESET_SECONDS,
    retryMaxAttempts: value.RETRY_MAX_ATTEMPTS,
    allowInsecureBind: value.ALLOW_INSECURE_BIND,
    localModelPath: value.LOCAL_MODEL_PATH ? resolve(value.LOCAL_MODEL_PATH) : undefined,
    modelCatalogTtlSeconds: value.MODEL_CATALOG_TTL_SECONDS,
    providerTimeoutSeconds: value.PROVIDER_TIMEOUT_SECONDS,
    chunkTimeoutSeconds: value.CHUNK_TIMEOUT_SECONDS,
    shutdownTimeoutSeconds: value.SHUTDOWN_TIMEOUT_SECONDS,
    maxBodyBytes: value.MAX_BODY_BYTES,
    trustProxy: value.TRUST_PROXY,
    publicUrl: value.PUBLIC_URL ?? `http://${value.HOST.includes(':') ? `[${value.HOST}]` : value.HOST}:${value.PORT}`,
  };
  return config;
}

/** True for loopback bind addresses, where running without a token is safe. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\./.test(host);
}
