import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { getLlama, LlamaLogLevel, type Llama, type LlamaModel } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabError } from '../../domain/errors.js';
import type { ChatMessage, StreamPart } from '../../domain/stream-part.js';
import type { ChatRequest } from '../provider.js';
import { createLocalProvider, type LocalLlamaProvider } from './local-llama-provider.js';
import { listLocalModels, SHIPPED_MODEL_ID, SHIPPED_MODEL_PATH, type LocalModel } from './local-models.js';
import { tinyPromptTokens } from './tiny-chat-format.js';

interface ReferenceCase {
  messages: ChatMessage[];
  prompt_token_ids: number[];
  output_token_ids: number[];
  output_text: string;
  stopped_at_end_token: boolean;
}
interface Reference {
  max_new_tokens: number;
  end_token_id: number;
  cases: ReferenceCase[];
}

const reference = JSON.parse(await readFile(SHIPPED_MODEL_PATH.replace(/\.gguf$/, '.reference.json'), 'utf8')) as Reference;

function request(overrides: Partial<ChatRequest> = {}): ChatRequest {
  return {
    model: SHIPPED_MODEL_ID,
    messages: [{ role: 'user', content: 'What is Agent Lab?' }],
    temperature: 0,
    topP: 1,
    maxTokens: 256,
    stream: true,
    ...overrides,
  };
}

async function collect(parts: AsyncIterable<StreamPart>): Promise<StreamPart[]> {
  const out: StreamPart[] = [];
  for await (const part of parts) out.push(part);
  return out;
}

const textOf = (parts: StreamPart[]) => parts.map((part) => (part.type === 'text-delta' ? part.delta : '')).join('');

describe('the shipped model exported to GGUF', () => {
  let llama: Llama;
  let model: LlamaModel;

  beforeAll(async () => {
    llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
    model = await llama.loadModel({ modelPath: SHIPPED_MODEL_PATH, gpuLayers: 0 });
  });
  afterAll(async () => {
    await llama.dispose();
  });

  it.each(reference.cases.map((entry, index) => [index, entry] as const))(
    'reproduces PyTorch greedy token ids for reference case %i',
    async (_index, entry) => {
      const prompt = tinyPromptTokens(model, entry.messages.map((message) => ({ role: message.role as 'system' | 'user', content: message.content ?? '' })));
      expect(prompt).toEqual(entry.prompt_token_ids);
      const context = await model.createContext({ contextSize: model.trainContextSize, threads: 1 });
      try {
        const generated: number[] = [];
        for await (const token of context.getSequence().evaluate(prompt, { temperature: 0, yieldEogToken: true })) {
          generated.push(token);
          if (token === reference.end_token_id || generated.length >= reference.max_new_tokens) break;
        }
        expect(generated).toEqual(entry.output_token_ids);
      } finally {
        await context.dispose();
      }
    },
  );
});

describe('createLocalProvider', () => {
  let models: LocalModel[];
  let provider: LocalLlamaProvider;

  beforeAll(async () => {
    models = await listLocalModels({ shippedModelPath: SHIPPED_MODEL_PATH });
    provider = createLocalProvider({ models });
    await provider.load(SHIPPED_MODEL_ID);
  });
  afterAll(async () => {
    await provider.dispose();
  });

  it('streams the reference answer as text-delta parts, then usage (cost 0) and finish', async () => {
    const entry = reference.cases[0]!;
    const parts = await collect(provider.streamChat(request({ messages: entry.messages, maxTokens: reference.max_new_tokens }), { signal: new AbortController().signal }));
    const deltas = parts.filter((part) => part.type === 'text-delta');
    expect(deltas.length).toBeGreaterThan(5);
    expect(textOf(parts)).toBe(entry.output_text);
    const answerTokens = entry.output_token_ids.filter((token) => token !== reference.end_token_id).length;
    expect(parts.at(-2)).toEqual({
      type: 'usage',
      usage: { prompt_tokens: entry.prompt_token_ids.length, completion_tokens: answerTokens, total_tokens: entry.prompt_token_ids.length + answerTokens, cost: 0 },
    });
    expect(parts.at(-1)).toEqual({ type: 'finish', finishReason: entry.stopped_at_end_token ? 'stop' : 'length', model: SHIPPED_MODEL_ID });
  });

  it('runs two conversations on the same model at once without mixing them (a bake-off)', async () => {
    const [first, second] = await Promise.all(
      reference.cases.map((entry) =>
        collect(provider.streamChat(request({ messages: entry.messages, maxTokens: reference.max_new_tokens }), { signal: new AbortController().signal })),
      ),
    );
    expect(textOf(first!)).toBe(reference.cases[0]!.output_text);
    expect(textOf(second!)).toBe(reference.cases[1]!.output_text);
  });

  it('keeps the model cached after the first load', async () => {
    expect((await provider.load(SHIPPED_MODEL_ID)).cached).toBe(true);
  });

  it('stops within a few tokens of an abort and reports finish reason abort', async () => {
    const controller = new AbortController();
    const parts: StreamPart[] = [];
    let deltasAfterAbort = 0;
    for await (const part of provider.streamChat(request(), { signal: controller.signal })) {
      parts.push(part);
      if (part.type !== 'text-delta') continue;
      if (controller.signal.aborted) deltasAfterAbort += 1;
      else if (parts.length === 3) controller.abort();
    }
    expect(deltasAfterAbort).toBeLessThanOrEqual(2);
    const usage = parts.find((part) => part.type === 'usage');
    expect(usage?.type === 'usage' && usage.usage.completion_tokens).toBeLessThanOrEqual(5);
    expect(parts.at(-1)).toMatchObject({ type: 'finish', finishReason: 'abort' });
  });

  it('generates nothing when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const parts = await collect(provider.streamChat(request(), { signal: controller.signal }));
    expect(textOf(parts)).toBe('');
    expect(parts.at(-1)).toMatchObject({ type: 'finish', finishReason: 'abort' });
  });

  it('ends with finish reason length at max tokens', async () => {
    const parts = await collect(provider.streamChat(request({ maxTokens: 4 }), { signal: new AbortController().signal }));
    expect(parts.find((part) => part.type === 'usage')).toMatchObject({ usage: { completion_tokens: 4 } });
    expect(parts.at(-1)).toMatchObject({ type: 'finish', finishReason: 'length' });
  });

  it('runs a GGUF from LOCAL_MODEL_PATH through the chat template node-llama-cpp resolves from the file', async () => {
    const directory = await mkdtemp(path.join(os.tmpdir(), 'agent-lab-auto-'));
    try {
      await copyFile(SHIPPED_MODEL_PATH, path.join(directory, 'copy.gguf'));
      const listed = await listLocalModels({ localModelPath: directory, shippedModelPath: SHIPPED_MODEL_PATH });
      const copy = listed.find((model) => model.id === 'local/copy');
      expect(copy?.chat_format).toBe('auto');
      const entry = reference.cases[1]!;
      const withCopy = createLocalProvider({ models: listed });
      const parts = await collect(withCopy.streamChat(request({ model: 'local/copy', messages: entry.messages, maxTokens: reference.max_new_tokens }), { signal: new AbortController().signal }));
      await withCopy.dispose();
      // The GGUF's jinja template renders the same tokens as the shipped model's own template.
      expect(textOf(parts)).toBe(entry.output_text);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('drops the oldest turns of a conversation longer than the context', async () => {
    const long: ChatMessage[] = [{ role: 'system', content: 'You are a helpful assistant.' }];
    for (let turn = 0; turn < 12; turn += 1) {
      long.push({ role: 'user', content: 'What is runs.csv?' }, { role: 'assistant', content: 'Every run is one row of data/runs.csv, a plain CSV file.' });
    }
    long.push({ role: 'user', content: 'What is TTFT?' });
    const parts = await collect(provider.streamChat(request({ messages: long, maxTokens: 8 }), { signal: new AbortController().signal }));
    const usage = parts.find((part) => part.type === 'usage');
    expect(usage?.type === 'usage' && usage.usage.prompt_tokens).toBeLessThanOrEqual(models[0]!.context_length!);
    expect(textOf(parts).length).toBeGreaterThan(0);
  });
});

describe('createLocalProvider loading errors', () => {
  let directory: string;
  let provider: LocalLlamaProvider | undefined;

  beforeAll(async () => {
    directory = await mkdtemp(path.join(os.tmpdir(), 'agent-lab-local-'));
  });
  afterAll(async () => {
    await provider?.dispose();
    await rm(directory, { recursive: true, force: true });
  });

  const entry = (file: string): LocalModel => ({
    id: 'local/test',
    name: 'test',
    provider: 'local',
    context_length: 256,
    pricing: { prompt: 0, completion: 0 },
    source: 'local',
    path: file,
    description: 'test',
    size_bytes: 0,
    chat_format: 'auto',
  });

  async function loadError(model: LocalModel, availableMemoryBytes?: () => number): Promise<LabError> {
    provider = createLocalProvider({ models: [model], ...(availableMemoryBytes ? { availableMemoryBytes } : {}) });
    const error = await collect(provider.streamChat(request({ model: model.id }), { signal: new AbortController().signal })).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(LabError);
    expect((error as LabError).code).toBe('provider:local_model');
    return error as LabError;
  }

  it('names a missing file', async () => {
    const missing = path.join(directory, 'missing.gguf');
    expect((await loadError(entry(missing))).message).toBe(`Local model file not found: ${missing}`);
  });

  it('refuses a file that is not GGUF', async () => {
    const fake = path.join(directory, 'fake.gguf');
    await writeFile(fake, 'this is not a model');
    expect((await loadError(entry(fake))).message).toMatch(/is not a GGUF model/);
  });

  it('refuses a model larger than the free memory before loading it', async () => {
    expect((await loadError(entry(SHIPPED_MODEL_PATH), () => 1024 * 1024)).message).toMatch(/too large for memory.*needs 3\.\d MiB, 1\.0 MiB free/);
  });

  it('refuses an unknown model id', async () => {
    provider = createLocalProvider({ models: [] });
    await expect(collect(provider.streamChat(request(), { signal: new AbortController().signal }))).rejects.toThrow(/No local model with id local\/agent-lab-tiny/);
  });
});
