/**
 * The in-process provider: GGUF models run on the CPU with node-llama-cpp, behind the same
 * stream interface as the OpenAI-compatible adapter. Models load lazily on first use and stay
 * cached; each run gets its own small context, so runs never see each other's state.
 * Tools are not offered to local models (the shipped one was not trained to call them); tool
 * results already in a conversation are shown to the model as user text.
 */
import os from 'node:os';
import type { Llama, LlamaContext, LlamaModel, Token } from 'node-llama-cpp';
import { LabError, isLabError } from '../../domain/errors.js';
import type { ChatMessage, StreamPart } from '../../domain/stream-part.js';
import type { ChatProvider, ChatRequest } from '../provider.js';
import { checkGgufFile } from './gguf-file.js';
import type { LocalModel } from './local-models.js';
import { tinyPromptTokens, toTemplateTurns, type TemplateTurn } from './tiny-chat-format.js';

export interface LocalLlamaProviderOptions {
  /** The models this provider may run, from `listLocalModels`. */
  models: readonly LocalModel[];
  /** `false` runs on the CPU (the default); `'auto'` uses a GPU build when one is installed. */
  gpu?: false | 'auto';
  /** Threads for a model smaller than `smallModelBytes` (tiny models are fastest on one). */
  smallModelThreads?: number;
  smallModelBytes?: number;
  /** Threads for larger models. */
  threads?: number;
  /** Largest context a run gets, to bound memory on models trained for long contexts. */
  maxContextSize?: number;
  /** Bytes of memory free for a model; a larger model file is refused before loading. */
  availableMemoryBytes?: () => number;
}

/** A ChatProvider for local models, with explicit loading (to warm up or check) and disposal. */
export interface LocalLlamaProvider extends ChatProvider {
  /** Loads a model (or returns the cached one); rejects with a LabError `provider:local_model`. */
  load(modelId: string): Promise<{ loadMs: number; cached: boolean }>;
  /** Frees every loaded model and the native backend. */
  dispose(): Promise<void>;
}

interface LoadedModel {
  model: LlamaModel;
  info: LocalModel;
  threads: number;
  contextSize: number;
}

/** Tokens reserved for the answer when an old conversation has to be trimmed to fit. */
const MIN_ANSWER_TOKENS = 32;

/** Creates the local provider; nothing is loaded until the first run or `load()`. */
export function createLocalProvider({
  models,
  gpu = false,
  smallModelThreads = 1,
  smallModelBytes = 64 * 1024 * 1024,
  threads = Math.max(1, Math.min(4, os.availableParallelism())),
  maxContextSize = 4096,
  availableMemoryBytes = () => os.freemem(),
}: LocalLlamaProviderOptions): LocalLlamaProvider {
  let llama: Promise<Llama> | undefined;
  const loaded = new Map<string, Promise<LoadedModel>>();

  function backend(): Promise<Llama> {
    llama ??= (async () => {
      const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
      // build: 'never' — only the prebuilt binaries from npm; compiling needs a toolchain and network.
      return getLlama({ gpu, build: 'never', logLevel: LlamaLogLevel.error, progressLogs: false });
    })().catch((error: unknown) => {
      llama = undefined;
      throw new LabError('provider:local_model', 'Could not start the local model runtime (node-llama-cpp has no usable binary here)', { cause: error });
    });
    return llama;
  }

  async function loadModel(info: LocalModel): Promise<LoadedModel> {
    const file = await checkGgufFile(info.path);
    const available = availableMemoryBytes();
    if (file.sizeBytes > available) {
      throw new LabError(
        'provider:local_model',
        `Local model is too large for memory: ${info.path} needs ${formatBytes(file.sizeBytes)}, ${formatBytes(available)} free`,
      );
    }
    const runtime = await backend();
    const { InsufficientMemoryError } = await import('node-llama-cpp');
    const model = await runtime.loadModel({ modelPath: info.path, gpuLayers: gpu === false ? 0 : 'auto' }).catch((error: unknown) => {
      if (error instanceof InsufficientMemoryError) {
        throw new LabError('provider:local_model', `Local model is too large for memory: ${info.path}`, { cause: error });
      }
      throw new LabError('provider:local_model', `Could not load the local model ${info.path}: ${errorMessage(error)}`, { cause: error });
    });
    return {
      model,
      info,
      threads: file.sizeBytes < smallModelBytes ? smallModelThreads : threads,
      contextSize: Math.min(model.trainContextSize || maxContextSize, maxContextSize),
    };
  }

  function modelFor(modelId: string): { promise: Promise<LoadedModel>; cached: boolean } {
    const info = models.find((entry) => entry.id === modelId);
    if (!info) throw new LabError('provider:local_model', `No local model with id ${modelId}`);
    const existing = loaded.get(modelId);
    if (existing) return { promise: existing, cached: true };
    const promise = loadModel(info);
    loaded.set(modelId, promise);
    // A failed load is not cached: the user may fix the file and try again.
    promise.catch(() => loaded.delete(modelId));
    return { promise, cached: false };
  }

  async function* streamChat(request: ChatRequest, { signal }: { signal: AbortSignal }): AsyncGenerator<StreamPart> {
    const { model, info, threads: modelThreads, contextSize } = await modelFor(request.model).promise;
    const prompt = await promptTokens({ model, info, messages: request.messages, contextSize });
    const maxTokens = Math.max(0, Math.min(request.maxTokens ?? contextSize, contextSize - prompt.tokens.length));
    if (signal.aborted) {
      yield* closingParts({ promptTokens: prompt.tokens.length, completionTokens: 0, finishReason: 'abort', model: request.model });
      return;
    }

    const context = await createContext({ model, contextSize, threads: modelThreads });
    const generated: Token[] = [];
    let finishReason: 'stop' | 'length' | 'abort' = 'length';
    try {
      const detokenizer = incrementalDetokenizer(model);
      const tokens = context.getSequence().evaluate(prompt.tokens, {
        // OpenAI's defaults when the caller sets none
        temperature: request.temperature ?? 1,
        topP: request.topP ?? 1,
        seed: request.seed ?? undefined,
        yieldEogToken: true,
      });
      if (maxTokens > 0) {
        for await (const token of tokens) {
          if (signal.aborted) {
            finishReason = 'abort';
            break;
          }
          if (model.isEogToken(token)) {
            finishReason = 'stop';
            break;
          }
          generated.push(token);
          const delta = detokenizer.push(token);
          if (delta !== '') yield { type: 'text-delta', delta };
          if (signal.aborted) {
            finishReason = 'abort';
            break;
          }
          if (endsWithAny(generated, prompt.stopSequences)) {
            finishReason = 'stop';
            break;
          }
          if (generated.length >= maxTokens) break;
        }
      }
      const rest = detokenizer.flush();
      if (rest !== '') yield { type: 'text-delta', delta: rest };
    } finally {
      await context.dispose();
    }
    yield* closingParts({ promptTokens: prompt.tokens.length, completionTokens: generated.length, finishReason, model: request.model });
  }

  return {
    id: 'local',
    streamChat,
    async load(modelId) {
      const started = performance.now();
      const { promise, cached } = modelFor(modelId);
      await promise;
      return { loadMs: performance.now() - started, cached };
    },
    async dispose() {
      const pending = [...loaded.values()];
      loaded.clear();
      await Promise.allSettled(pending.map(async (entry) => (await entry).model.dispose()));
      const runtime = llama;
      llama = undefined;
      if (runtime) await (await runtime.catch(() => undefined))?.dispose();
    },
  };
}

function* closingParts(options: { promptTokens: number; completionTokens: number; finishReason: string; model: string }): Generator<StreamPart> {
  const { promptTokens, completionTokens } = options;
  yield {
    type: 'usage',
    usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens, cost: 0 },
  };
  yield { type: 'finish', finishReason: options.finishReason, model: options.model };
}

async function createContext(options: { model: LlamaModel; contextSize: number; threads: number }): Promise<LlamaContext> {
  const { InsufficientMemoryError } = await import('node-llama-cpp');
  return options.model
    .createContext({
      contextSize: options.contextSize,
      batchSize: Math.min(options.contextSize, 512),
      threads: options.threads,
      sequences: 1,
    })
    .catch((error: unknown) => {
      if (error instanceof InsufficientMemoryError) {
        throw new LabError('provider:local_model', 'Not enough memory for the local model context', { cause: error });
      }
      throw new LabError('provider:local_model', `Could not create a context for the local model: ${errorMessage(error)}`, { cause: error });
    });
}

/**
 * The prompt as tokens. The shipped model gets its own template; any other GGUF gets the chat
 * template node-llama-cpp resolves for it (the model's jinja template or a known family).
 * Oldest turns (never the system prompt or the last message) are dropped until it fits.
 */
async function promptTokens(options: {
  model: LlamaModel;
  info: LocalModel;
  messages: readonly ChatMessage[];
  contextSize: number;
}): Promise<{ tokens: Token[]; stopSequences: Token[][] }> {
  const { model, info, contextSize } = options;
  let turns = toTemplateTurns(options.messages);
  const render = info.chat_format === 'agent-lab-tiny' ? async (list: TemplateTurn[]) => ({ tokens: tinyPromptTokens(model, list), stopSequences: [] }) : (list: TemplateTurn[]) => autoPromptTokens(model, list);
  for (;;) {
    const prompt = await render(turns);
    if (prompt.tokens.length + MIN_ANSWER_TOKENS <= contextSize) return prompt;
    const oldest = turns.findIndex((turn, index) => turn.role !== 'system' && index < turns.length - 1);
    if (oldest === -1) {
      throw new LabError('provider:local_model', `The conversation is too long for ${info.id}: ${prompt.tokens.length} tokens, context ${contextSize}`);
    }
    turns = turns.filter((_, index) => index !== oldest);
  }
}

async function autoPromptTokens(model: LlamaModel, turns: readonly TemplateTurn[]): Promise<{ tokens: Token[]; stopSequences: Token[][] }> {
  const { resolveChatWrapper } = await import('node-llama-cpp');
  const wrapper = resolveChatWrapper(model);
  const state = wrapper.generateContextState({
    chatHistory: [
      ...turns.map((turn) =>
        turn.role === 'assistant' ? { type: 'model' as const, response: [turn.content] } : { type: turn.role, text: turn.content },
      ),
      { type: 'model', response: [] },
    ],
  });
  return {
    tokens: state.contextText.tokenize(model.tokenizer),
    stopSequences: state.stopGenerationTriggers.map((trigger) => trigger.tokenize(model.tokenizer)).filter((tokens) => tokens.length > 0),
  };
}

function endsWithAny(tokens: readonly Token[], sequences: readonly Token[][]): boolean {
  return sequences.some(
    (sequence) => sequence.length <= tokens.length && sequence.every((token, index) => tokens[tokens.length - sequence.length + index] === token),
  );
}

/**
 * Turns tokens into text as they arrive without splitting a UTF-8 character that spans
 * several byte tokens: text ending in U+FFFD is held back until the character completes.
 */
function incrementalDetokenizer(model: LlamaModel): { push(token: Token): string; flush(): string } {
  const done: Token[] = [];
  let pending: Token[] = [];
  const decode = () => model.detokenize(pending, false, done.slice(-8));
  const take = () => {
    const text = decode();
    done.push(...pending);
    pending = [];
    return text;
  };
  return {
    push(token) {
      pending.push(token);
      return decode().endsWith('\uFFFD') && pending.length < 4 ? '' : take();
    },
    flush: () => (pending.length > 0 ? take() : ''),
  };
}

function formatBytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(bytes < 1024 * 1024 * 1024 ? 1 : 0)} MiB`;
}

function errorMessage(error: unknown): string {
  if (isLabError(error)) return error.message;
  return error instanceof Error ? error.message : String(error);
}
