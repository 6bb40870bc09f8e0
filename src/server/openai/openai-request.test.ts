import { describe, expect, it } from 'vitest';
import { labHeadersSchema, openAiChatRequestSchema, requestParameters, requestTags, toChatMessages, turnEntries, turnText } from './openai-request.js';

const parse = (body: unknown) => openAiChatRequestSchema.parse(body);

describe('OpenAI chat request', () => {
  it('turns string and text-part content, developer and tool messages into provider messages', () => {
    const body = parse({
      model: 'm',
      messages: [
        { role: 'developer', content: [{ type: 'text', text: 'Be ' }, { type: 'text', text: 'brief.' }] },
        { role: 'user', content: 'Add 2 and 3', name: 'ada' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'add', arguments: '{"a":2,"b":3}' } }] },
        { role: 'tool', tool_call_id: 'c1', content: '5' },
      ],
      user: 'someone', // an OpenAI field the lab does not use: accepted
    });
    expect(toChatMessages(body.messages)).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Add 2 and 3' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'add', arguments: '{"a":2,"b":3}' } }] },
      { role: 'tool', tool_call_id: 'c1', content: '5' },
    ]);
    // what the turn adds to its session: the tool result with its call's name and args
    expect(turnEntries(body.messages, 'T')).toEqual([{ role: 'tool', content: '5', ts: 'T', tool_call_id: 'c1', name: 'add', args: '{"a":2,"b":3}' }]);
    expect(turnText(body.messages)).toBe('Add 2 and 3');
  });

  it('refuses wrong types and unsupported content, naming the field', () => {
    const cases: Array<[unknown, string]> = [
      [{ model: 'm', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }] }, 'messages.0.content'],
      [{ model: 'm', messages: [{ role: 'wizard', content: 'x' }] }, 'messages.0.role'],
      [{ model: 'm', messages: [{ role: 'user', content: 'x' }], n: 2 }, 'n'],
      [{ model: 'm', messages: [{ role: 'user', content: 'x' }], stream: 'yes' }, 'stream'],
      [{ model: 'm', messages: [{ role: 'user', content: 'x' }], tools: [{ type: 'function', function: { name: 'has space' } }] }, 'tools.0.function.name'],
      [{ messages: [{ role: 'user', content: 'x' }] }, 'model'],
    ];
    for (const [body, field] of cases) {
      const result = openAiChatRequestSchema.safeParse(body);
      expect(result.success, field).toBe(false);
      expect(result.error!.issues[0]!.path.join('.'), field).toBe(field);
    }
  });

  it('sends only the parameters the request sets; max_completion_tokens wins over max_tokens', () => {
    expect(requestParameters(parse({ model: 'm', messages: [{ role: 'user', content: 'x' }] }))).toEqual({});
    expect(
      requestParameters(parse({ model: 'm', messages: [{ role: 'user', content: 'x' }], temperature: 0, max_tokens: 10, max_completion_tokens: 20, stop: 'END', seed: null })),
    ).toEqual({ temperature: 0, maxTokens: 20, stop: ['END'] });
  });

  it('takes tags from headers over metadata, and the session header as none, an id, or refused', () => {
    const headers = labHeadersSchema.parse({ 'x-agent-lab-experiment': 'from-header', 'x-agent-lab-session': 'NONE', host: 'lab' });
    expect(requestTags({ headers, metadata: { experiment_id: 'from-metadata', task_label: 'task' } })).toEqual({ experiment_id: 'from-header', task_label: 'task', run_notes: '' });
    expect(headers['x-agent-lab-session']).toBeNull();
    expect(labHeadersSchema.parse({ 'x-agent-lab-session': 'abc-123' })['x-agent-lab-session']).toBe('abc-123');
    expect(labHeadersSchema.parse({})['x-agent-lab-session']).toBeUndefined();
    expect(labHeadersSchema.safeParse({ 'x-agent-lab-session': '../etc/passwd' }).success).toBe(false);
  });
});
