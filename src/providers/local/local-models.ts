/**
 * The in-process models the lab offers: the shipped tiny model (always) and every GGUF file
 * that `LOCAL_MODEL_PATH` names (one file, or a folder of `.gguf` files). Each entry has the
 * catalog's shape, so it shows up in `/api/models` with `source: 'local'` and cost 0.
 */
import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LabError } from '../../domain/errors.js';
import { checkGgufFile } from './gguf-file.js';

/** The tiny model the project trains and ships (tools/local-model/ reproduces it). */
export const SHIPPED_MODEL_PATH = fileURLToPath(new URL('../../../models/agent-lab-tiny.gguf', import.meta.url));
export const SHIPPED_MODEL_ID = 'local/agent-lab-tiny';

/** How a model's prompt is rendered: the shipped model's own template, or the model's own (via node-llama-cpp). */
export type LocalChatFormat = 'agent-lab-tiny' | 'auto';

/** One in-process model, in the model catalog's shape plus where its file is. */
export interface LocalModel {
  id: string;
  name: string;
  provider: 'local';
  context_length: number | null;
  pricing: { prompt: 0; completion: 0 };
  source: 'local';
  path: string;
  description: string;
  size_bytes: number;
  chat_format: LocalChatFormat;
}

export interface ListLocalModelsOptions {
  /** `LOCAL_MODEL_PATH`: one `.gguf` file or a folder of them. */
  localModelPath?: string | undefined;
  shippedModelPath: string;
}

/**
 * Lists the shipped model and the models under `localModelPath`. A path that does not exist,
 * a folder with no `.gguf` file, or a file that is not GGUF rejects with a LabError
 * (`provider:local_model`) naming the path, so the server can log it and go on without them.
 */
export async function listLocalModels(options: ListLocalModelsOptions): Promise<LocalModel[]> {
  const models = [await describeModel({ file: options.shippedModelPath, shipped: true })];
  if (options.localModelPath !== undefined) {
    for (const file of await ggufFilesAt(options.localModelPath)) {
      models.push(await describeModel({ file, shipped: false }));
    }
  }
  return uniqueModels(models);
}

async function ggufFilesAt(localModelPath: string): Promise<string[]> {
  const resolved = path.resolve(localModelPath);
  const stats = await stat(resolved).catch((error: unknown) => {
    throw new LabError('provider:local_model', `LOCAL_MODEL_PATH does not exist: ${resolved}`, { cause: error });
  });
  if (!stats.isDirectory()) return [resolved];
  const entries = await readdir(resolved, { withFileTypes: true });
  const files = entries
    .filter((entry) => !entry.isDirectory() && entry.name.toLowerCase().endsWith('.gguf'))
    .map((entry) => path.join(resolved, entry.name))
    .sort();
  if (files.length === 0) throw new LabError('provider:local_model', `LOCAL_MODEL_PATH holds no .gguf files: ${resolved}`);
  return files;
}

async function describeModel(options: { file: string; shipped: boolean }): Promise<LocalModel> {
  const { path: file, sizeBytes } = await checkGgufFile(options.file);
  const metadata = await readMetadata(file);
  const sizeMb = `${(sizeBytes / 1_000_000).toFixed(sizeBytes < 100_000_000 ? 1 : 0)} MB`;
  if (options.shipped) {
    return {
      id: SHIPPED_MODEL_ID,
      name: 'Agent Lab tiny (offline demo, ~1M params)',
      provider: 'local',
      context_length: metadata.contextLength,
      pricing: { prompt: 0, completion: 0 },
      source: 'local',
      path: file,
      description:
        'A toy model of about one million parameters that Agent Lab trains on its own guide and ships, ' +
        `so the lab works offline: it shows streaming, Stop and tokens/s, not useful answers. Runs in-process on the CPU (${sizeMb} GGUF).`,
      size_bytes: sizeBytes,
      chat_format: 'agent-lab-tiny',
    };
  }
  const baseName = path.basename(file).replace(/\.gguf$/i, '');
  return {
    id: `local/${baseName}`,
    name: `${metadata.name ?? baseName} (local GGUF)`,
    provider: 'local',
    context_length: metadata.contextLength,
    pricing: { prompt: 0, completion: 0 },
    source: 'local',
    path: file,
    description: `${path.basename(file)}, run in-process on the CPU with node-llama-cpp (${sizeMb}${metadata.architecture ? `, ${metadata.architecture}` : ''}).`,
    size_bytes: sizeBytes,
    chat_format: 'auto',
  };
}

/** Keys whose arrays (a large vocabulary) are not needed to describe a model. */
const SKIPPED_KEYS = ['tokenizer.ggml.tokens', 'tokenizer.ggml.scores', 'tokenizer.ggml.token_type', 'tokenizer.ggml.merges'];

async function readMetadata(file: string): Promise<{ name: string | null; architecture: string | null; contextLength: number | null }> {
  const { readGgufFileInfo } = await import('node-llama-cpp');
  const info = await readGgufFileInfo(file, { readTensorInfo: false, ignoreKeys: SKIPPED_KEYS, logWarnings: false }).catch(
    (error: unknown) => {
      throw new LabError('provider:local_model', `Local model file has an unreadable GGUF header: ${file}`, { cause: error });
    },
  );
  const metadata = info.metadata as unknown as Record<string, Record<string, unknown> | undefined>;
  const general = metadata['general'];
  const architecture = typeof general?.['architecture'] === 'string' ? general['architecture'] : null;
  const contextLength = architecture ? metadata[architecture]?.['context_length'] : undefined;
  return {
    name: typeof general?.['name'] === 'string' && general['name'].trim() !== '' ? general['name'].trim() : null,
    architecture,
    contextLength: typeof contextLength === 'number' ? contextLength : null,
  };
}

/** The same file listed twice (the shipped model inside LOCAL_MODEL_PATH) appears once; clashing ids get a suffix. */
async function uniqueModels(models: LocalModel[]): Promise<LocalModel[]> {
  const seenFiles = new Set<string>();
  const seenIds = new Set<string>();
  const unique: LocalModel[] = [];
  for (const model of models) {
    const real = await realpath(model.path);
    if (seenFiles.has(real)) continue;
    seenFiles.add(real);
    let id = model.id;
    for (let n = 2; seenIds.has(id); n += 1) id = `${model.id}-${n}`;
    seenIds.add(id);
    unique.push({ ...model, id });
  }
  return unique;
}
