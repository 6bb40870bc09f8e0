import { describe, expect, it } from 'vitest';
import { chatRequestSchema, MAX_MESSAGE_CHARS, parseSimpleChatRequest } from './chat-service.js';

describe('parseSimpleChatRequest', () => {
  const bodies: unknown[] = [
    { agent_id: 'a1', message: 'hi' },
    { agent_id: 'a1', message: 'hi', stream: false },
    { agent_id: 'a1', message: 'hi', stream: true, session_id: 'sess_01-x' },
    { agent_id: 'a'.repeat(64), message: 'x'.repeat(MAX_MESSAGE_CHARS) },
    { agent_id: 'a'.repeat(65), message: 'hi' },
    { agent_id: '', message: 'hi' },
    { agent_id: 'a1', message: '' },
    { agent_id: 'a1', message: 'x'.repeat(MAX_MESSAGE_CHARS + 1) },
    { agent_id: 'a1', message: 'hi', stream: 'yes' },
    { agent_id: 'a1', message: 'hi', session_id: '../etc' },
    { agent_id: 'a1', message: 'hi', session_id: 'x'.repeat(65) },
    { agent_id: 'a1', message: 'hi', extra: 1 },
    { agent_id: 'a1', message: 'hi', tags: { experiment_id: 'e' } },
    { agent_id: 7, message: 'hi' },
    { message: 'hi' },
    { agent: { name: 'x', model: 'm' }, message: 'hi' },
    [],
    null,
    'text',
  ];

  it('accepts only what the schema accepts, with the same result', () => {
    for (const body of bodies) {
      const fast = parseSimpleChatRequest(body);
      const schema = chatRequestSchema.safeParse(body);
      if (fast !== undefined) {
        expect(schema.success, JSON.stringify(body)?.slice(0, 80)).toBe(true);
        expect(fast).toEqual(schema.data);
      }
    }
    expect(parseSimpleChatRequest({ agent_id: 'a1', message: 'hi' })).toEqual({ agent_id: 'a1', message: 'hi', stream: true });
    expect(parseSimpleChatRequest({ agent_id: 'a1', message: 'hi', tags: {} })).toBeUndefined();
  });
});
