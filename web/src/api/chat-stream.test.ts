import { createParser } from 'eventsource-parser';
import { describe, expect, it } from 'vitest';
import { toChatEvent } from './chat-stream.js';
import type { ChatEvent } from './types.js';

function parse(wire: string): ChatEvent[] {
  const events: ChatEvent[] = [];
  const parser = createParser({ onEvent: (message) => {
    const event = toChatEvent(message);
    if (event) events.push(event);
  } });
  // Fed in awkward pieces, as a network delivers them.
  for (let index = 0; index < wire.length; index += 7) parser.feed(wire.slice(index, index + 7));
  return events;
}

describe('the chat SSE stream as the UI reads it', () => {
  it('yields the lab events in order, skipping keep-alive comments and unknown events', () => {
    const wire = [
      ': keep-alive',
      '',
      'event: run-start',
      'data: {"run_id":"r1","session_id":"s1","agent_id":"a1","model":"m"}',
      '',
      'event: text-delta',
      'data: {"delta":"Hel"}',
      '',
      'event: something-new',
      'data: {}',
      '',
      'event: text-delta',
      'data: {"delta":"lo\\n"}',
      '',
      'event: error',
      'data: {"code":"provider:stream","message":"boom","retryable":true}',
      '',
      '',
    ].join('\n');
    expect(parse(wire)).toEqual([
      { type: 'run-start', run_id: 'r1', session_id: 's1', agent_id: 'a1', model: 'm' },
      { type: 'text-delta', delta: 'Hel' },
      { type: 'text-delta', delta: 'lo\n' },
      { type: 'error', code: 'provider:stream', message: 'boom', retryable: true },
    ]);
  });

  it('keeps an unreadable error event as an error, and drops other unreadable data', () => {
    expect(parse('event: error\ndata: not json\n\nevent: text-delta\ndata: {oops\n\n')).toEqual([
      { type: 'error', code: 'client:bad_event', message: 'not json', retryable: true },
    ]);
  });
});
