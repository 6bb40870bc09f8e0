import { describe, expect, it } from 'vitest';
import { statusFromHealth } from './use-lab-status.js';

describe('service state read from /health/detailed', () => {
  it('reads flags, the key and the breaker from whichever shape the document has', () => {
    expect(statusFromHealth({ status: 'read_only', checks: { provider: { api_key_configured: false }, circuit_breaker: { state: 'open' } } })).toMatchObject({
      read_only: true,
      maintenance: false,
      api_key_configured: false,
      circuit_open: true,
    });
    expect(statusFromHealth({ status: 'healthy', checks: { flags: { maintenance: { active: true } } } })).toMatchObject({ maintenance: true, read_only: false, api_key_configured: true });
  });

  it('names the models whose breaker is open in the lab’s own health document', () => {
    const body = { checks: { circuit_breakers: { status: 'degraded', open: 2, breakers: [{ model: 'b/m', state: 'open' }, { model: 'a/m', state: 'open' }, { model: 'c/m', state: 'closed' }] } } };
    expect(statusFromHealth(body)).toMatchObject({ circuit_open: true, open_circuits: ['a/m', 'b/m'] });
  });

  it('assumes nothing is wrong when the document says nothing', () => {
    expect(statusFromHealth(null)).toEqual({ read_only: false, maintenance: false, api_key_configured: true, circuit_open: false, open_circuits: [], version: '', auth_required: false });
  });
});
