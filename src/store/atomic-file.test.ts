import { readFile, readdir, utimes, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DamagedFileError, readJsonFile, removeStaleTemporaryFiles, temporaryPathFor, writeJsonAtomic } from './atomic-file.js';
import { temporaryDataDir } from './test-support.js';

describe('atomic JSON files', () => {
  let dataDir: string;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    ({ dataDir, cleanup } = await temporaryDataDir());
    await mkdir(dataDir, { recursive: true });
  });
  afterEach(async () => {
    await cleanup();
  });

  it('replaces a file whole and leaves no temporary file behind', async () => {
    const file = path.join(dataDir, 'thing.json');
    await writeJsonAtomic(file, { a: 1 });
    await writeJsonAtomic(file, { a: 2, text: 'é😀\n"' });
    expect(await readJsonFile(file)).toEqual({ a: 2, text: 'é😀\n"' });
    expect(await readFile(file, 'utf8')).toMatch(/\n$/);
    expect(await readdir(dataDir)).toEqual(['thing.json']);
  });

  it('names temporary files so that *.json globs and ls never show them', () => {
    const temporary = path.basename(temporaryPathFor(path.join(dataDir, 'sessions', 'abc.json')));
    expect(temporary).toMatch(/^\.abc\.json\.[0-9a-f]{12}\.tmp$/);
    expect(temporary.endsWith('.json')).toBe(false);
  });

  it('tells a damaged file from a missing one', async () => {
    await writeFile(path.join(dataDir, 'bad.json'), '{"a":');
    await expect(readJsonFile(path.join(dataDir, 'bad.json'))).rejects.toBeInstanceOf(DamagedFileError);
    await expect(readJsonFile(path.join(dataDir, 'none.json'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('removes only old temporary files', async () => {
    const old = path.basename(temporaryPathFor(path.join(dataDir, 'a.json')));
    const fresh = path.basename(temporaryPathFor(path.join(dataDir, 'b.json')));
    await writeFile(path.join(dataDir, old), '{');
    await writeFile(path.join(dataDir, fresh), '{');
    await writeFile(path.join(dataDir, '.keep.tmp'), 'not ours');
    await utimes(path.join(dataDir, old), new Date(0), new Date(0));
    expect(await removeStaleTemporaryFiles(dataDir)).toEqual([old]);
    expect((await readdir(dataDir)).sort()).toEqual(['.keep.tmp', fresh].sort());
  });
});
