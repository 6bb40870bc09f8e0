import { describe, expect, it } from 'vitest';
import type { BreakerInfo, LabStatusSources } from '../context.js';
import type { ServiceFlags } from '../../ops/service-flags.js';
import { labStatus } from './status.js';

describe('GET /api/status', () => {
  it('names the models whose circuit is open, once each, so the banner can say which', () => {
    const breakers: BreakerInfo[] = [
      { key: 'a', baseUrl: 'http://x', model: 'openai/gpt-4o', state: 'open', failures: 5 },
      { key: 'b', baseUrl: 'http://y', model: 'openai/gpt-4o', state: 'open', failures: 5 },
      { key: 'c', baseUrl: 'http://x', model: 'anthropic/claude-3.5-haiku', state: 'open', failures: 5 },
      { key: 'd', baseUrl: 'http://x', model: 'openai/gpt-4o-mini', state: 'half-open', failures: 5 },
    ];
    const sources = { config: { openRouterApiKey: 'k', labAuthToken: undefined }, version: '1', breakerStates: () => breakers } as unknown as LabStatusSources;
    const flags = { readOnly: () => false, maintenance: () => false } as unknown as ServiceFlags;
    const status = labStatus({ sources, flags });
    expect(status.circuit_open).toBe(true);
    expect(status.open_circuits).toEqual(['anthropic/claude-3.5-haiku', 'openai/gpt-4o']);
    breakers.length = 0;
    expect(labStatus({ sources, flags })).toMatchObject({ circuit_open: false, open_circuits: [] });
  });
});
