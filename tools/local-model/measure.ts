/**
 * Measures the shipped tiny model through the lab's own local provider: runtime start-up,
 * model load, time to first token, tokens/s and peak memory on this machine.
 *
 *     npx tsx tools/local-model/measure.ts [path/to/model.gguf]
 */
import { createLocalProvider, listLocalModels, SHIPPED_MODEL_ID, SHIPPED_MODEL_PATH, tinyPromptTokens } from '../../src/providers/local/index.js';

const localModelPath = process.argv[2];
const models = await listLocalModels({ localModelPath, shippedModelPath: SHIPPED_MODEL_PATH });
const model = models.at(-1) ?? models[0]!;
const provider = createLocalProvider({ models });

const rssBefore = process.memoryUsage().rss;
const first = await provider.load(model.id);
const second = await provider.load(model.id);
console.log(`model ${model.id} (${(model.size_bytes / 1e6).toFixed(1)} MB file)`);
console.log(`first load (runtime start-up + model): ${first.loadMs.toFixed(0)} ms; cached load: ${second.loadMs.toFixed(2)} ms`);

const questions = ['What is Agent Lab?', 'What is TTFT?', 'How do I make the lab read-only?', 'What is runs.csv?', 'Tell me a joke.'];
const ttfts: number[] = [];
const rates: number[] = [];
for (let round = 0; round < 3; round += 1) {
  for (const question of questions) {
    const started = performance.now();
    let firstAt: number | undefined;
    let lastAt = started;
    let completion = 0;
    for await (const part of provider.streamChat(
      { model: model.id, messages: [{ role: 'user', content: question }], temperature: 0, topP: 1, maxTokens: 256, stream: true },
      { signal: new AbortController().signal },
    )) {
      if (part.type === 'text-delta') {
        firstAt ??= performance.now();
        lastAt = performance.now();
      }
      if (part.type === 'usage') completion = part.usage.completion_tokens;
    }
    if (firstAt === undefined) continue;
    ttfts.push(firstAt - started);
    if (completion > 1 && lastAt > firstAt) rates.push((completion - 1) / ((lastAt - firstAt) / 1000));
  }
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
console.log(`TTFT median ${median(ttfts).toFixed(1)} ms over ${ttfts.length} runs (a fresh context per run, prompt evaluation included)`);
console.log(`tokens/s median ${median(rates).toFixed(0)} (completion tokens after the first over the time after the first), one thread`);
console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB (process, incl. Node); RSS grew ${((process.memoryUsage().rss - rssBefore) / 1e6).toFixed(0)} MB after loading`);
await provider.dispose();

// The same model straight through node-llama-cpp, to separate runtime start-up from model load
// and to see the provider's own per-token cost (detokenising, parts). It generates past <|end|>.
const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
let mark = performance.now();
const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
const runtimeMs = performance.now() - mark;
mark = performance.now();
const raw = await llama.loadModel({ modelPath: model.path, gpuLayers: 0 });
const modelMs = performance.now() - mark;
const context = await raw.createContext({ contextSize: Math.min(raw.trainContextSize, 4096), threads: 1 });
const prompt = tinyPromptTokens(raw, [{ role: 'user', content: 'What is Agent Lab?' }]);
let generated = 0;
mark = performance.now();
for await (const token of context.getSequence().evaluate(prompt, { temperature: 0, yieldEogToken: true })) {
  void token;
  generated += 1;
  if (generated >= 200) break;
}
console.log(`raw node-llama-cpp: runtime start-up ${runtimeMs.toFixed(0)} ms, model load ${modelMs.toFixed(1)} ms, ${(generated / ((performance.now() - mark) / 1000)).toFixed(0)} tokens/s over ${generated} tokens`);
await llama.dispose();
if (model.id === SHIPPED_MODEL_ID) console.log('(shipped model)');
