import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabError } from '../../domain/errors.js';
import { listLocalModels, SHIPPED_MODEL_ID, SHIPPED_MODEL_PATH } from './local-models.js';

describe('listLocalModels', () => {
  let directory: string;

  beforeAll(async () => {
    directory = await mkdtemp(path.join(os.tmpdir(), 'agent-lab-models-'));
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('always lists the shipped model, labelled as a free offline demo', async () => {
    const models = await listLocalModels({ shippedModelPath: SHIPPED_MODEL_PATH });
    expect(models).toHaveLength(1);
    expect(models[0]).toMatchObject({
      id: SHIPPED_MODEL_ID,
      name: 'Agent Lab tiny (offline demo, ~1M params)',
      provider: 'local',
      source: 'local',
      pricing: { prompt: 0, completion: 0 },
      path: SHIPPED_MODEL_PATH,
      chat_format: 'agent-lab-tiny',
    });
    expect(models[0]!.context_length).toBeGreaterThanOrEqual(256);
    expect(models[0]!.description).toMatch(/toy model/);
  });

  it('adds one GGUF file, or every .gguf file of a folder, after the shipped model', async () => {
    const folder = path.join(directory, 'folder');
    await mkdir(folder);
    await copyFile(SHIPPED_MODEL_PATH, path.join(folder, 'b-model.gguf'));
    await copyFile(SHIPPED_MODEL_PATH, path.join(folder, 'a-model.gguf'));
    await writeFile(path.join(folder, 'notes.txt'), 'not a model');

    const fromFolder = await listLocalModels({ localModelPath: folder, shippedModelPath: SHIPPED_MODEL_PATH });
    expect(fromFolder.map((model) => model.id)).toEqual([SHIPPED_MODEL_ID, 'local/a-model', 'local/b-model']);
    expect(fromFolder[1]).toMatchObject({ source: 'local', chat_format: 'auto', name: 'Agent Lab tiny (local GGUF)', pricing: { prompt: 0, completion: 0 } });

    const fromFile = await listLocalModels({ localModelPath: path.join(folder, 'b-model.gguf'), shippedModelPath: SHIPPED_MODEL_PATH });
    expect(fromFile.map((model) => model.id)).toEqual([SHIPPED_MODEL_ID, 'local/b-model']);
  });

  it('lists the shipped model once when LOCAL_MODEL_PATH points at it', async () => {
    const models = await listLocalModels({ localModelPath: SHIPPED_MODEL_PATH, shippedModelPath: SHIPPED_MODEL_PATH });
    expect(models.map((model) => model.id)).toEqual([SHIPPED_MODEL_ID]);
  });

  it.each([
    ['a path that does not exist', () => path.join(directory, 'nowhere'), /^LOCAL_MODEL_PATH does not exist: .*nowhere$/],
    ['a folder without .gguf files', () => path.join(directory, 'empty'), /^LOCAL_MODEL_PATH holds no \.gguf files: .*empty$/],
    ['a file that is not GGUF', () => path.join(directory, 'fake.gguf'), /^Local model file is not a GGUF model \(no GGUF header\): .*fake\.gguf$/],
  ])('rejects %s with a clear LabError', async (_label, localModelPath, message) => {
    await mkdir(path.join(directory, 'empty'), { recursive: true });
    await writeFile(path.join(directory, 'fake.gguf'), '<html>a download error page</html>');
    const error = await listLocalModels({ localModelPath: localModelPath(), shippedModelPath: SHIPPED_MODEL_PATH }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(LabError);
    expect((error as LabError).code).toBe('provider:local_model');
    expect((error as LabError).message).toMatch(message);
  });
});
