import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_TEST_MODELS, startOpenRouterServer, type OpenRouterServer } from '../../test/support/openrouter-server.js';
import { ModelCatalog, type CatalogModel } from './catalog.js';
import { FALLBACK_MODELS } from './fallback-models.js';

let server: OpenRouterServer;

beforeAll(async () => {
  server = await startOpenRouterServer();
});
afterAll(() => server.close());
beforeEach(() => {
  server.reset();
  server.setModelsFailure(undefined);
  server.setModels(DEFAULT_TEST_MODELS);
});

const catalog = (overrides: Partial<ConstructorParameters<typeof ModelCatalog>[0]> = {}) =>
  new ModelCatalog({ baseUrl: server.url, ttlSeconds: 3600, timeoutMs: 2000, ...overrides });
const modelRequests = () => server.requests.filter((request) => request.path === '/api/v1/models');

describe('ModelCatalog', () => {
  it('loads the provider catalog with per-token prices as numbers', async () => {
    const snapshot = await catalog().load();
    expect(snapshot.source).toBe('dynamic');
    expect(Date.parse(snapshot.fetched_at!)).not.toBeNaN();
    expect(snapshot.models.find((model) => model.id === 'openai/gpt-4o-mini')).toEqual({
      id: 'openai/gpt-4o-mini',
      name: 'OpenAI: GPT-4o-mini',
      provider: 'openai',
      context_length: 128000,
      pricing: { prompt: 0.00000015, completion: 0.0000006 },
      source: 'dynamic',
      description: expect.any(String),
    });
  });

  it('treats "-1" and missing pricing as not priced, and free models as priced at zero', async () => {
    const models = (await catalog().load()).models;
    expect(models.find((model) => model.id === 'openrouter/auto')?.pricing).toEqual({ prompt: null, completion: null });
    expect(models.find((model) => model.id === 'mystery/unpriced-model')?.pricing).toEqual({ prompt: null, completion: null });
    expect(models.find((model) => model.id.endsWith(':free'))?.pricing).toEqual({ prompt: 0, completion: 0 });
  });

  it('skips malformed entries without dropping the list', async () => {
    server.setModels([
      { id: 'good/one', name: 'Good', context_length: 4096, pricing: { prompt: '1.5e-6', completion: 'abc' } },
      { name: 'no id' },
      { id: 'bad/context', context_length: 'huge' },
      'not an object',
      { id: 'bare-model' },
    ]);
    const snapshot = await catalog().load();
    expect(snapshot.source).toBe('dynamic');
    expect(snapshot.models.map((model) => model.id)).toEqual(['good/one', 'bare-model']);
    expect(snapshot.models[0]?.pricing).toEqual({ prompt: 0.0000015, completion: null });
    expect(snapshot.models[1]).toMatchObject({ name: 'bare-model', provider: 'bare-model', context_length: null });
  });

  it('falls back to the curated list when the provider fails, keeping the reason for health', async () => {
    server.setModelsFailure(500);
    const models = catalog();
    const snapshot = await models.load();
    expect(snapshot).toMatchObject({ source: 'fallback', fetched_at: null });
    expect(snapshot.models.length).toBeGreaterThanOrEqual(8);
    expect(snapshot.models.every((model) => model.source === 'fallback')).toBe(true);
    expect(models.info()).toMatchObject({ source: 'fallback', model_count: snapshot.models.length, last_error: expect.stringContaining('answered 500') });
    expect(models.find('openai/gpt-4o-mini')?.pricing).toEqual({ prompt: 0.00000015, completion: 0.0000006 });

    server.setModelsFailure(undefined);
    expect((await models.refresh()).source).toBe('dynamic');
    expect(models.info().last_error).toBeNull();
  });

  it('falls back when the catalog is not reachable in time, or has no data array', async () => {
    const dead = await startOpenRouterServer();
    const deadUrl = dead.url;
    await dead.close();
    const unreachable = catalog({ baseUrl: deadUrl });
    expect((await unreachable.load()).source).toBe('fallback');
    expect(unreachable.info().last_error).toContain('Model catalog request failed');

    server.setModels('nope' as unknown as unknown[]);
    expect((await catalog().load()).source).toBe('fallback');
  });

  it('caches within the TTL and shares one request between concurrent callers', async () => {
    const models = catalog();
    await Promise.all([models.load(), models.get(), models.get()]);
    await models.get();
    expect(modelRequests()).toHaveLength(1);
    await models.refresh();
    expect(modelRequests()).toHaveLength(2);
  });

  it('fetches again once the TTL has passed, not before', async () => {
    let now = Date.parse('2026-12-01T00:00:00Z');
    const models = catalog({ ttlSeconds: 3600, now: () => now });
    await models.load();
    now += 3599_000;
    await models.get();
    expect(modelRequests()).toHaveLength(1);
    now += 2_000;
    await models.get();
    expect(modelRequests()).toHaveLength(2);
  });

  it('lists local models after the provider models', async () => {
    const local: CatalogModel = { id: 'local/tiny', name: 'Tiny', provider: 'local', context_length: 512, pricing: { prompt: 0, completion: 0 }, source: 'local' };
    const snapshot = await catalog({ localModels: () => [local] }).load();
    expect(snapshot.models.at(-1)).toEqual(local);
  });

  it('finds models by id, and a bare id such as gpt-3.5-turbo', async () => {
    const models = catalog();
    expect(models.find('gpt-3.5-turbo')?.id).toBe('openai/gpt-3.5-turbo');
    await models.load();
    expect(models.find('openai/gpt-4o')?.pricing.prompt).toBe(0.0000025);
    expect(models.find('unknown/model')).toBeUndefined();
  });

  it('ships a curated fallback list of priced well-known models', () => {
    expect(FALLBACK_MODELS.length).toBeGreaterThanOrEqual(8);
    for (const model of FALLBACK_MODELS) {
      expect(model.pricing.prompt).toBeGreaterThan(0);
      expect(model.pricing.completion).toBeGreaterThan(model.pricing.prompt!);
      expect(model.id.startsWith(`${model.provider}/`)).toBe(true);
    }
  });
});
