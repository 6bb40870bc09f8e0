/**
 * The model catalog: the provider's `GET /models` (OpenRouter's format), validated entry by
 * entry and cached for a TTL, with a curated fallback list when the provider cannot be
 * reached, plus any local (in-process) models. Prices are USD per token; a price the
 * provider does not give (`"-1"`, missing, unparseable) is `null`: not priced.
 */
import { z } from 'zod';
import { authorizationHeader } from './authorization.js';
import { FALLBACK_MODELS } from './fallback-models.js';
import { parsePrice } from './pricing.js';

export interface CatalogModel {
  id: string;
  name: string;
  /** The part of the id before `/` (`openai` for `openai/gpt-4o`). */
  provider: string;
  context_length: number | null;
  /** USD per token; `null` when not priced. */
  pricing: { prompt: number | null; completion: number | null };
  source: 'dynamic' | 'fallback' | 'local';
  description?: string | undefined;
}

export interface CatalogSnapshot {
  source: 'dynamic' | 'fallback';
  /** ISO time of the successful fetch, `null` for the fallback list. */
  fetched_at: string | null;
  models: CatalogModel[];
}

/** What health checks show about the catalog. */
export interface CatalogStatus {
  source: 'dynamic' | 'fallback';
  fetched_at: string | null;
  /** Models in the current snapshot, local ones included. */
  model_count: number;
  /** Why the last fetch failed, when it did. */
  last_error: string | null;
  last_attempt_at: string | null;
}

export interface ModelCatalogOptions {
  /** The provider's base URL; the catalog is `${baseUrl}/models`. */
  baseUrl: string;
  apiKey?: string | undefined;
  /** `user:password` sent as HTTP Basic auth when there is no API key. */
  basicAuth?: string | undefined;
  ttlSeconds: number;
  timeoutMs: number;
  fetch?: typeof fetch;
  /** In-process models, listed after the provider's. */
  localModels?: () => CatalogModel[];
  /** The clock the TTL is measured on (epoch ms); tests pass their own. */
  now?: () => number;
}

const entrySchema = z.object({
  id: z.string().trim().min(1),
  name: z.string().nullish(),
  description: z.string().nullish(),
  context_length: z.number().nonnegative().nullish(),
  pricing: z.object({ prompt: z.unknown(), completion: z.unknown() }).partial().nullish(),
});
const listSchema = z.object({ data: z.array(z.unknown()) });

/** A fallback snapshot is retried sooner than a good one, so the catalog recovers quickly. */
const FALLBACK_TTL_SECONDS = 60;

export class ModelCatalog {
  readonly #options: ModelCatalogOptions;
  readonly #fetch: typeof fetch;
  readonly #now: () => number;
  #snapshot: CatalogSnapshot | undefined;
  #expiresAt = 0;
  #inFlight: Promise<CatalogSnapshot> | undefined;
  #lastError: string | null = null;
  #lastAttemptAt: string | null = null;
  /** The curated list used before the first fetch (one object, so lookups can be memoised). */
  readonly #fallback = fallbackSnapshot();
  #combined: { base: CatalogSnapshot; local: readonly CatalogModel[]; value: CatalogSnapshot } | undefined;

  constructor(options: ModelCatalogOptions) {
    this.#options = { ...options, baseUrl: options.baseUrl.replace(/\/+$/, '') };
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#now = options.now ?? Date.now;
  }

  /** Fetch the catalog now (at start-up). Never throws: falls back to the curated list. */
  load(): Promise<CatalogSnapshot> {
    return this.refresh();
  }

  /** Fetch again, ignoring the cache; concurrent callers share one request. */
  refresh(): Promise<CatalogSnapshot> {
    this.#inFlight ??= this.#fetchSnapshot().finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  /** The cached snapshot while fresh, else a new fetch. */
  async get(): Promise<CatalogSnapshot> {
    if (this.#snapshot && this.#now() < this.#expiresAt) return this.#withLocal(this.#snapshot);
    return this.refresh();
  }

  /**
   * The model with this id in the current snapshot (the fallback list before any fetch).
   * A bare id such as `gpt-3.5-turbo` matches `openai/gpt-3.5-turbo` when only one does.
   */
  find(modelId: string): CatalogModel | undefined {
    const models = this.#withLocal(this.#snapshot ?? this.#fallback).models;
    const exact = models.find((model) => model.id === modelId);
    if (exact || modelId.includes('/')) return exact;
    const bare = models.filter((model) => model.id.endsWith(`/${modelId}`));
    return bare.length === 1 ? bare[0] : undefined;
  }

  /** The catalog's state for health and metrics, without fetching. */
  info(): CatalogStatus {
    const snapshot = this.#withLocal(this.#snapshot ?? this.#fallback);
    return {
      source: snapshot.source,
      fetched_at: snapshot.fetched_at,
      model_count: snapshot.models.length,
      last_error: this.#lastError,
      last_attempt_at: this.#lastAttemptAt,
    };
  }

  async #fetchSnapshot(): Promise<CatalogSnapshot> {
    const url = `${this.#options.baseUrl}/models`;
    this.#lastAttemptAt = new Date().toISOString();
    try {
      const models = await this.#fetchModels(url);
      this.#snapshot = { source: 'dynamic', fetched_at: new Date().toISOString(), models };
      this.#expiresAt = this.#now() + this.#options.ttlSeconds * 1000;
      this.#lastError = null;
    } catch (error) {
      this.#lastError = error instanceof Error ? error.message : String(error);
      this.#snapshot = fallbackSnapshot();
      this.#expiresAt = this.#now() + Math.min(this.#options.ttlSeconds, FALLBACK_TTL_SECONDS) * 1000;
    }
    return this.#withLocal(this.#snapshot);
  }

  async #fetchModels(url: string): Promise<CatalogModel[]> {
    const headers: Record<string, string> = { accept: 'application/json' };
    const authorization = authorizationHeader({ apiKey: this.#options.apiKey, basicAuth: this.#options.basicAuth });
    if (authorization) headers.authorization = authorization;
    let response: Response;
    let body: unknown;
    try {
      response = await this.#fetch(url, { headers, signal: AbortSignal.timeout(this.#options.timeoutMs) });
      if (!response.ok) throw new Error(`Model catalog request failed: GET ${url} answered ${response.status}`);
      body = await response.json();
    } catch (error) {
      if (error instanceof Error && error.name === 'TimeoutError') {
        throw new Error(`Model catalog request timed out after ${this.#options.timeoutMs} ms: GET ${url}`, { cause: error });
      }
      if (error instanceof Error && error.message.startsWith('Model catalog')) throw error;
      throw new Error(`Model catalog request failed: GET ${url} (${error instanceof Error ? error.message : String(error)})`, { cause: error });
    }
    const list = listSchema.safeParse(body);
    if (!list.success) throw new Error(`Model catalog has an unexpected shape (no "data" array): GET ${url}`);
    // One malformed entry must not cost the whole list.
    const models = list.data.data.flatMap((raw) => {
      const entry = entrySchema.safeParse(raw);
      return entry.success ? [toCatalogModel(entry.data)] : [];
    });
    if (models.length === 0) throw new Error(`Model catalog lists no usable models: GET ${url}`);
    return models;
  }

  /** The snapshot with the local models appended; memoised per snapshot and local list (called on every run). */
  #withLocal(snapshot: CatalogSnapshot): CatalogSnapshot {
    const local = this.#options.localModels?.() ?? [];
    if (this.#combined?.base === snapshot && this.#combined.local === local) return this.#combined.value;
    let value = snapshot;
    if (local.length > 0) {
      const known = new Set(snapshot.models.map((model) => model.id));
      value = { ...snapshot, models: [...snapshot.models, ...local.filter((model) => !known.has(model.id)).map((model) => ({ ...model, source: 'local' as const }))] };
    }
    this.#combined = { base: snapshot, local, value };
    return value;
  }
}

function toCatalogModel(entry: z.infer<typeof entrySchema>): CatalogModel {
  return {
    id: entry.id,
    name: entry.name?.trim() || entry.id,
    provider: providerOf(entry.id),
    context_length: entry.context_length ?? null,
    pricing: { prompt: parsePrice(entry.pricing?.prompt), completion: parsePrice(entry.pricing?.completion) },
    source: 'dynamic',
    ...(entry.description ? { description: entry.description } : {}),
  };
}

function providerOf(id: string): string {
  const slash = id.indexOf('/');
  return slash > 0 ? id.slice(0, slash) : id;
}

function fallbackSnapshot(): CatalogSnapshot {
  return { source: 'fallback', fetched_at: null, models: FALLBACK_MODELS.map((model) => ({ ...model, pricing: { ...model.pricing } })) };
}
