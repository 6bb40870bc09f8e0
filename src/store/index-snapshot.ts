import { createHash } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { fsyncDirectory, ignoreMissing, temporaryPathFor } from './atomic-file.js';
import { CODED_COLUMNS, FIGURE_COLUMNS, type CodedColumn, type RunIndexArrays, type RunIndexState, type WholeNumbers } from './run-index.js';

/**
 * `data/.runs-index`: a snapshot of the run index (run-index.ts), so start-up does not
 * re-read the whole of runs.csv. Derived and safe to delete (the next start rebuilds it);
 * never trusted: it names how many bytes of runs.csv it covers and their SHA-256, and a
 * snapshot whose bytes or whose prefix do not match is ignored. Written atomically (a
 * temporary file, fsync, rename), array by array without copying them.
 *
 * Layout: `ALRUNIX1` · SHA-256 of everything after it (32 bytes) · meta length (u32 LE) ·
 * meta JSON · padding to 8 · each array's bytes, each starting at a multiple of 8.
 */

export const INDEX_SNAPSHOT_NAME = '.runs-index';
const MAGIC = Buffer.from('ALRUNIX1', 'latin1');
const VERSION = 1;

/** What a snapshot says about the runs.csv it was taken from. */
export interface SnapshotCoverage {
  /** Bytes of runs.csv the index covers (whole records only). */
  coveredBytes: number;
  /** SHA-256 (hex) of runs.csv[0, coveredBytes). */
  prefixSha256: string;
}

export interface IndexSnapshot extends SnapshotCoverage {
  state: RunIndexState;
}

const ARRAY_TYPES = { Float64Array, Uint32Array, Uint16Array, Uint8Array, Int32Array } as const;
type ArrayTypeName = keyof typeof ARRAY_TYPES;

const metaSchema = z.object({
  version: z.literal(VERSION),
  coveredBytes: z.number().int().nonnegative(),
  prefixSha256: z.string().regex(/^[0-9a-f]{64}$/),
  columns: z.array(z.string()),
  rowCount: z.number().int().nonnegative(),
  skipped: z.number().int().nonnegative(),
  dictionaries: z.record(z.enum(CODED_COLUMNS), z.array(z.string())),
  arrays: z.array(
    z.object({
      name: z.string(),
      type: z.enum(Object.keys(ARRAY_TYPES) as [ArrayTypeName, ...ArrayTypeName[]]),
      offset: z.number().int().nonnegative(),
      length: z.number().int().nonnegative(),
    }),
  ),
});

/** The snapshot's file beside runs.csv. */
export function indexSnapshotPath(dataDir: string): string {
  return path.join(dataDir, INDEX_SNAPSHOT_NAME);
}

function namedArrays(arrays: RunIndexArrays): Array<[string, Float64Array | Uint32Array | Uint16Array | Uint8Array | Int32Array]> {
  return [
    ['offsets', arrays.offsets],
    ['lengths', arrays.lengths],
    ['flags', arrays.flags],
    ['runIdHashes', arrays.runIdHashes],
    ...CODED_COLUMNS.map((column): [string, WholeNumbers] => [`codes.${column}`, arrays.codes[column]]),
    ...FIGURE_COLUMNS.map((column): [string, Float64Array | WholeNumbers] => [`figures.${column}`, arrays.figures[column]]),
  ];
}

/** Write the snapshot atomically and durably. */
export async function writeIndexSnapshot(file: string, snapshot: IndexSnapshot): Promise<{ bytes: number }> {
  const { state } = snapshot;
  const entries = namedArrays(state.arrays);
  const layout: Array<{ name: string; type: ArrayTypeName; offset: number; length: number }> = [];
  let offset = 0;
  for (const [name, array] of entries) {
    layout.push({ name, type: array.constructor.name as ArrayTypeName, offset, length: array.length });
    offset += Math.ceil(array.byteLength / 8) * 8;
  }
  const meta = Buffer.from(
    JSON.stringify({
      version: VERSION,
      coveredBytes: snapshot.coveredBytes,
      prefixSha256: snapshot.prefixSha256,
      columns: state.columns,
      rowCount: state.rowCount,
      skipped: state.skipped,
      dictionaries: state.dictionaries,
      arrays: layout,
    }),
  );
  const lengthField = Buffer.alloc(4);
  lengthField.writeUInt32LE(meta.length);
  const headerBytes = MAGIC.length + 32 + 4 + meta.length;
  const headerPadding = Buffer.alloc((8 - (headerBytes % 8)) % 8);
  const pieces: Uint8Array[] = [lengthField, meta, headerPadding];
  for (const [, array] of entries) {
    pieces.push(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
    pieces.push(Buffer.alloc((8 - (array.byteLength % 8)) % 8));
  }
  const hash = createHash('sha256');
  for (const piece of pieces) hash.update(piece);

  const temporary = temporaryPathFor(file);
  let renamed = false;
  let written = MAGIC.length + 32;
  try {
    const handle = await open(temporary, 'wx', 0o644);
    try {
      await handle.write(MAGIC);
      await handle.write(hash.digest());
      for (const piece of pieces) {
        let done = 0;
        while (done < piece.byteLength) done += (await handle.write(piece, done, piece.byteLength - done)).bytesWritten;
        written += piece.byteLength;
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, file);
    renamed = true;
    await fsyncDirectory(path.dirname(file));
  } finally {
    if (!renamed) await unlink(temporary).catch(ignoreMissing);
  }
  return { bytes: written };
}

/** A snapshot file could not be used (absent, damaged, another version): the index is rebuilt. */
export class IndexSnapshotUnusableError extends Error {
  override readonly name = 'IndexSnapshotUnusableError';
  readonly code = 'unusable:index-snapshot';
}

/**
 * Read and check a snapshot (its checksum and layout); throws IndexSnapshotUnusableError when
 * it cannot be used. Each array is read straight into a typed array with room for the rows
 * appended after it (no copy of the whole file in memory).
 */
export async function readIndexSnapshot(file: string): Promise<IndexSnapshot> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    throw new IndexSnapshotUnusableError(`no readable snapshot (${(error as Error).message})`, { cause: error });
  }
  try {
    const size = (await handle.stat()).size;
    let position = 0;
    const hash = createHash('sha256');
    const read = async (target: Uint8Array, options: { hashed: boolean }): Promise<void> => {
      if (position + target.byteLength > size) throw new IndexSnapshotUnusableError('it is shorter than its description says (truncated)');
      let done = 0;
      while (done < target.byteLength) {
        const { bytesRead } = await handle.read(target, done, target.byteLength - done, position + done);
        if (bytesRead === 0) throw new IndexSnapshotUnusableError('it ended early (truncated)');
        done += bytesRead;
      }
      position += target.byteLength;
      if (options.hashed) hash.update(target);
    };
    const prefix = Buffer.alloc(MAGIC.length + 36);
    if (size < prefix.length) throw new IndexSnapshotUnusableError('not a run index snapshot of this version');
    await read(prefix, { hashed: false });
    if (!prefix.subarray(0, MAGIC.length).equals(MAGIC)) throw new IndexSnapshotUnusableError('not a run index snapshot of this version');
    const expectedHash = prefix.subarray(MAGIC.length, MAGIC.length + 32);
    const lengthField = prefix.subarray(MAGIC.length + 32);
    hash.update(lengthField);
    const metaBytes = Buffer.alloc(lengthField.readUInt32LE(0));
    await read(metaBytes, { hashed: true });
    let meta: z.infer<typeof metaSchema>;
    try {
      meta = metaSchema.parse(JSON.parse(metaBytes.toString('utf8')));
    } catch (error) {
      throw new IndexSnapshotUnusableError(`its description is not readable (${(error as Error).message})`, { cause: error });
    }
    await read(Buffer.alloc((8 - (position % 8)) % 8), { hashed: true });
    const dataStart = position;
    const capacity = meta.rowCount + Math.max(1024, Math.ceil(meta.rowCount / 8));
    const arraysByName = new Map<string, Float64Array | Uint32Array | Uint16Array | Uint8Array | Int32Array>();
    for (const entry of meta.arrays) {
      if (entry.length !== meta.rowCount || dataStart + entry.offset !== position) throw new IndexSnapshotUnusableError(`array ${entry.name} is not where its description says`);
      const array = new ARRAY_TYPES[entry.type](capacity);
      await read(new Uint8Array(array.buffer, 0, entry.length * array.BYTES_PER_ELEMENT), { hashed: true });
      await read(Buffer.alloc((8 - (position % 8)) % 8), { hashed: true });
      arraysByName.set(entry.name, array);
    }
    if (position !== size || !hash.digest().equals(expectedHash)) throw new IndexSnapshotUnusableError('its checksum does not match (damaged)');

    const array = <T>(name: string, type: new (...args: never[]) => T): T => {
      const found = arraysByName.get(name);
      if (!(found instanceof type)) throw new IndexSnapshotUnusableError(`array ${name} is missing`);
      return found;
    };
    /** Whole numbers are kept in 4 bytes, or 8 once one did not fit. */
    const whole = (name: string): WholeNumbers => {
      const found = arraysByName.get(name);
      if (!(found instanceof Uint16Array || found instanceof Uint32Array || found instanceof Float64Array)) throw new IndexSnapshotUnusableError(`array ${name} is missing`);
      return found;
    };
    const dictionaries = meta.dictionaries as Partial<Record<CodedColumn, string[]>>;
    const arrays: RunIndexArrays = {
      offsets: whole('offsets'),
      lengths: whole('lengths'),
      flags: array('flags', Uint8Array),
      runIdHashes: array('runIdHashes', Int32Array),
      codes: Object.fromEntries(
        CODED_COLUMNS.map((column) => {
          const codes = whole(`codes.${column}`);
          const known = dictionaries[column]?.length ?? 0;
          for (let row = 0; row < meta.rowCount; row++) {
            const code = codes[row] as number;
            if (code < 0 || code >= known) throw new IndexSnapshotUnusableError(`codes of ${column} are out of range`);
          }
          return [column, codes];
        }),
      ) as Record<CodedColumn, WholeNumbers>,
      figures: Object.fromEntries(
        FIGURE_COLUMNS.map((column) => [column, column.endsWith('_tokens') ? whole(`figures.${column}`) : array(`figures.${column}`, Float64Array)]),
      ) as RunIndexArrays['figures'],
    };
    return {
      coveredBytes: meta.coveredBytes,
      prefixSha256: meta.prefixSha256,
      state: {
        columns: meta.columns,
        rowCount: meta.rowCount,
        skipped: meta.skipped,
        arrays,
        dictionaries: Object.fromEntries(CODED_COLUMNS.map((column) => [column, dictionaries[column] ?? []])) as Record<CodedColumn, string[]>,
      },
    };
  } finally {
    await handle.close();
  }
}
