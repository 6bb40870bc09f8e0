/**
 * Local models run in-process (node-llama-cpp, CPU): the shipped tiny model and any GGUF file
 * `LOCAL_MODEL_PATH` names, listed in the catalog's shape and streamed like hosted models.
 */
export { checkGgufFile, type GgufFile } from './gguf-file.js';
export { createLocalProvider, type LocalLlamaProvider, type LocalLlamaProviderOptions } from './local-llama-provider.js';
export {
  listLocalModels,
  SHIPPED_MODEL_ID,
  SHIPPED_MODEL_PATH,
  type ListLocalModelsOptions,
  type LocalChatFormat,
  type LocalModel,
} from './local-models.js';
export { tinyPromptTokens, toTemplateTurns, type TemplateTurn } from './tiny-chat-format.js';
