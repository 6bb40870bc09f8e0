import path from 'node:path';
import { z } from 'zod';
import { DamagedFileError, readJsonFile, writeJsonAtomic } from './atomic-file.js';
import { withDataLock } from './data-lock.js';

/**
 * `data/revoked-sessions.json` (docs/data-files.md): the sign-in sessions signed out before
 * their cookie expired, `{ "revoked": [{ "id", "expires_at" }] }`, so a logout still holds
 * after a restart and on every process sharing DATA_DIR. Entries leave the file once their
 * cookie would have expired anyway. Written atomically under the data lock.
 */

/** The file's name inside DATA_DIR. */
export const REVOKED_SESSIONS_FILE = 'revoked-sessions.json';

/** One logout: the sign-in session's id and when its cookie would have expired. */
export const revokedSessionSchema = z.object({ id: z.string().min(1).max(64), expires_at: z.iso.datetime() });
export type RevokedSession = z.infer<typeof revokedSessionSchema>;

/** The whole file, as the lab writes it (`agent-lab check` and `restore` read it through this too). */
export const revokedSessionsFileSchema = z.object({ revoked: z.array(revokedSessionSchema) });

export class RevokedSessionsFile {
  readonly path: string;
  readonly #dataDir: string;
  readonly #now: () => number;

  constructor(options: { dataDir: string; now?: () => number }) {
    this.#dataDir = path.resolve(options.dataDir);
    this.path = path.join(this.#dataDir, REVOKED_SESSIONS_FILE);
    this.#now = options.now ?? Date.now;
  }

  /** Unexpired revocations; none when the file does not exist; DamagedFileError when it is not one the lab wrote. */
  async load(): Promise<Map<string, number>> {
    const now = this.#now();
    const revoked = new Map<string, number>();
    for (const entry of await this.#read()) {
      const expiresAt = Date.parse(entry.expires_at);
      if (expiresAt > now) revoked.set(entry.id, expiresAt);
    }
    return revoked;
  }

  async add(id: string, expiresAt: number): Promise<void> {
    await withDataLock(this.#dataDir, async () => {
      // A damaged list is replaced: keeping this logout matters more than entries nobody can read.
      const current = await this.#read().catch((error: unknown) => {
        if (error instanceof DamagedFileError) return [];
        throw error;
      });
      const now = this.#now();
      const kept = current.filter((entry) => entry.id !== id && Date.parse(entry.expires_at) > now);
      await writeJsonAtomic(this.path, { revoked: [...kept, { id, expires_at: new Date(expiresAt).toISOString() }] });
    });
  }

  async #read(): Promise<RevokedSession[]> {
    let value: unknown;
    try {
      value = await readJsonFile(this.path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const parsed = revokedSessionsFileSchema.safeParse(value);
    if (!parsed.success) throw new DamagedFileError(this.path, `not a list of revoked sessions (${parsed.error.issues[0]?.message ?? 'invalid'})`);
    return parsed.data.revoked;
  }
}
