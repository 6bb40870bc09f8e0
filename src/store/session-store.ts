import { mkdir, readdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { LabError } from '../domain/errors.js';
import { SESSION_ID_PATTERN, sessionRunSchema, sessionSchema, toSession } from '../domain/session.js';
import type { Session } from '../domain/session.js';
import { newSession, parseTranscript, startSession, toSessionDocument, toSessionListEntry, withChanges, withTurn, type SessionTurn } from '../domain/session-edit.js';
import { matchesSearch, searchWords, type AppendTurnOptions, type SessionInput, type SessionListOptions, type SessionRepository, type SessionSummary } from '../domain/session-repository.js';
import { DamagedFileError, fsyncDirectory, readJsonFile, writeFileAtomic } from './atomic-file.js';
import { withDataLock } from './data-lock.js';
import { GroupCommit } from './group-commit.js';

/**
 * `data/sessions/<id>.json`: one conversation per file, replaced atomically on every
 * save, so each file parses at every instant. Writes run under the data lock, whose
 * in-process queue also serialises them: two runs finishing on one session both land.
 * Turns recorded while a save is in flight are saved together by the next one (group
 * commit: one lock acquisition for the batch, the sessions written in parallel, one
 * directory fsync). The last session saved is kept in memory and reused while its file's
 * identity (inode, size, mtime, ctime) is unchanged, checked under the lock, so a file
 * replaced or edited by the CLI's restore/quarantine (which take the lock) is read again.
 * Files of the Python Agent Lab load, and saving one keeps the fields the lab does not know.
 */

export type {
  AppendTurnOptions,
  DamagedSessionEntry,
  SessionInput,
  SessionListEntry,
  SessionSummary,
} from '../domain/session-repository.js';

const LIST_CONCURRENCY = 32;
/**
 * How long the list trusts a session's cached summary without checking its file (a `stat`
 * each, which at 50,000 sessions took 2-3 s per list). The store's own writes refresh their
 * session's summary at once, and files added or removed by others show at once (the
 * directory is read every time); another tool's rewrite of an existing file shows within this.
 */
export const LIST_VERIFY_MS = 30_000;
/** Sessions of one group commit written at the same time. */
const SAVE_CONCURRENCY = 32;
/** Recently saved sessions kept in memory (reused while their file is unchanged): count and JSON bytes. */
const RECENT_MAX_SESSIONS = 64;
const RECENT_MAX_BYTES = 16 * 1024 * 1024;

/** An appendTurn call with its transcript entries already validated. */
type TurnJob = SessionTurn;

/** The session files of one data directory. */
export class SessionStore implements SessionRepository {
  readonly dataDir: string;
  readonly directory: string;
  readonly #summaries = new Map<string, { key: string; summary: SessionSummary; time: number }>();
  /** When the list last checked every cached summary against its file. */
  #verifiedAt = Number.NEGATIVE_INFINITY;
  /** Counts this store's writes, so a list that raced one does not cache what it read before it. */
  #writes = 0;
  readonly #now: () => number;
  readonly #listVerifyMs: number;
  /** Sessions as last saved by this store, by id (least recently saved first), with their file's identity. */
  readonly #recent = new Map<string, { key: string; session: Session; bytes: number }>();
  #recentBytes = 0;
  readonly #turns: GroupCommit<TurnJob, Session>;

  constructor(options: { dataDir: string; now?: () => number; listVerifyMs?: number }) {
    this.#now = options.now ?? (() => performance.now());
    this.#listVerifyMs = options.listVerifyMs ?? LIST_VERIFY_MS;
    this.dataDir = path.resolve(options.dataDir);
    this.directory = path.join(this.dataDir, 'sessions');
    this.#turns = new GroupCommit(this.dataDir, (jobs) => this.#commitTurns(jobs));
  }

  /** Sessions newest first (see SessionRepository.list); unreadable files are listed as damaged rather than thrown. */
  async list(options: SessionListOptions = {}): Promise<SessionSummary[]> {
    let names: string[];
    try {
      names = await readdir(this.directory);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const files = names.filter((name) => name.endsWith('.json') && !name.startsWith('.'));
    const startedAt = this.#now();
    const verify = startedAt - this.#verifiedAt >= this.#listVerifyMs;
    const writes = this.#writes;
    const entries: Array<{ summary: SessionSummary; time: number }> = [];
    const unknown: string[] = [];
    for (const name of files) {
      const id = name.slice(0, -'.json'.length);
      const cached = verify ? undefined : this.#summaries.get(id);
      if (cached) entries.push(cached);
      else unknown.push(id);
    }
    for (let index = 0; index < unknown.length; index += LIST_CONCURRENCY) {
      const batch = unknown.slice(index, index + LIST_CONCURRENCY);
      const results = await Promise.all(batch.map((id) => this.#summarise(id, writes)));
      for (const result of results) if (result) entries.push(result);
    }
    if (verify) this.#verifiedAt = startedAt;
    const live = new Set(files.map((name) => name.slice(0, -'.json'.length)));
    for (const id of this.#summaries.keys()) if (!live.has(id)) this.#summaries.delete(id);
    const words = searchWords(options.q);
    const matching = words.length === 0 ? entries : entries.filter((entry) => matchesSearch(entry.summary, words));
    matching.sort((a, b) => b.time - a.time || (a.summary.id < b.summary.id ? 1 : a.summary.id > b.summary.id ? -1 : 0));
    return matching.slice(0, options.limit ?? matching.length).map((entry) => entry.summary);
  }

  /** A session's summary from its file (reread only when the file changed); cached unless this store wrote since `writes`. */
  async #summarise(id: string, writes: number): Promise<{ summary: SessionSummary; time: number } | undefined> {
    let info;
    try {
      info = await stat(this.#pathOf(id, { validate: false }));
    } catch (error) {
      // Deleted between readdir and stat: it is simply no longer in the list.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    const key = `${info.ino}:${info.size}:${info.mtimeMs}`;
    const cached = this.#summaries.get(id);
    if (cached?.key === key) return cached;
    let summary: SessionSummary;
    try {
      summary = toSessionListEntry(await this.#load(id));
    } catch (error) {
      if (error instanceof LabError && error.code === 'not_found:session') return undefined;
      summary = { id, damaged: true, error: error instanceof Error ? error.message : String(error) };
    }
    const time = summary.damaged ? info.mtimeMs : Date.parse(summary.updated_at) || Date.parse(summary.created_at) || info.mtimeMs;
    const entry = { key, summary, time };
    if (this.#writes === writes) this.#summaries.set(id, entry);
    return entry;
  }

  /**
   * One session. Rejects with LabError `bad_request:id` for an id that is not 1-64
   * characters of `[A-Za-z0-9_-]`, `not_found:session`, or `unavailable:store` when the
   * file is damaged.
   */
  async get(id: string): Promise<Session> {
    return this.#load(id);
  }

  /** Start a session with a new UUIDv7 id (time-ordered, so `ls sessions | tail` shows the newest). */
  async create(input: SessionInput = {}): Promise<Session> {
    const session = newSession(uuidv7(), input);
    await withDataLock(this.dataDir, () => this.#save(session));
    return session;
  }

  /** Change the given fields of a session (the others, and fields the lab does not know, are kept). */
  async update(id: string, patch: SessionInput): Promise<Session> {
    this.#pathOf(id);
    const transcript = patch.transcript === undefined ? undefined : parseTranscript(patch.transcript);
    return withDataLock(this.dataDir, async () => {
      const session = await this.#loadCurrent(id);
      const updated = withChanges(session, { ...patch, transcript });
      await this.#save(updated);
      return updated;
    });
  }

  /** Remove a session file. Rejects with `not_found:session` when there is none. */
  async delete(id: string): Promise<void> {
    const file = this.#pathOf(id);
    await withDataLock(this.dataDir, async () => {
      try {
        await unlink(file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
          throw new LabError('not_found:session', `Session ${id} does not exist`, { cause: error });
        }
        throw error;
      }
      await fsyncDirectory(this.directory);
      this.#writes += 1;
      this.#summaries.delete(id);
      this.#forget(id);
    });
  }

  /**
   * Add one turn to a session after a run: its transcript entries and the full run record.
   * Creates the session (with the given id) when `createIfMissing` is set and there is none.
   * Resolves once the session file is durably replaced (group commit: see the class comment).
   * The returned session must not be mutated (the store may reuse it for the next save).
   */
  async appendTurn(options: AppendTurnOptions): Promise<Session> {
    this.#pathOf(options.sessionId);
    return this.#turns.submit({ ...options, entries: parseTranscript(options.entries) });
  }

  /**
   * One group commit of turns, under the data lock: each session is loaded once, gets its
   * turns in the order they came, and is written once; sessions are written in parallel and
   * the directory is fsynced once at the end. A turn that cannot be applied (no such session)
   * fails alone; a session that cannot be loaded or written fails its own turns only.
   */
  async #commitTurns(jobs: TurnJob[]): Promise<Array<PromiseSettledResult<Session>>> {
    const results: Array<PromiseSettledResult<Session>> = jobs.map(() => ({ status: 'rejected', reason: new Error('not committed') }));
    const bySession = new Map<string, number[]>();
    jobs.forEach((job, index) => bySession.set(job.sessionId, [...(bySession.get(job.sessionId) ?? []), index]));
    const saved: number[] = [];
    await mkdir(this.directory, { recursive: true });
    await forEachLimited([...bySession], SAVE_CONCURRENCY, async ([sessionId, indexes]) => {
      let session: Session | undefined;
      let missing: unknown;
      try {
        session = await this.#loadCurrent(sessionId);
      } catch (error) {
        if (!(error instanceof LabError && error.code === 'not_found:session')) {
          for (const index of indexes) results[index] = { status: 'rejected', reason: error };
          return;
        }
        missing = error;
      }
      const applied: Array<[number, Session]> = [];
      let cacheable = true;
      for (const index of indexes) {
        const job = jobs[index] as TurnJob;
        if (!session) {
          if (!job.createIfMissing) {
            results[index] = { status: 'rejected', reason: missing };
            continue;
          }
          session = startSession(sessionId, job.createIfMissing);
        }
        if (job.run && !sessionRunSchema.safeParse(job.run).success) cacheable = false;
        session = withTurn(session, job);
        applied.push([index, session]);
      }
      if (!session || applied.length === 0) return;
      try {
        await this.#save(session, { syncDirectory: false, cache: cacheable });
      } catch (error) {
        for (const [index] of applied) results[index] = { status: 'rejected', reason: error };
        return;
      }
      for (const [index, state] of applied) {
        results[index] = { status: 'fulfilled', value: state };
        saved.push(index);
      }
    });
    if (saved.length > 0) {
      try {
        await fsyncDirectory(this.directory);
      } catch (error) {
        for (const index of saved) results[index] = { status: 'rejected', reason: error };
      }
    }
    return results;
  }

  /** Path of a session file; validates the id unless told not to (listing existing files). */
  #pathOf(id: string, options: { validate?: boolean } = {}): string {
    if ((options.validate ?? true) && !SESSION_ID_PATTERN.test(id)) {
      throw new LabError('bad_request:id', 'Session id must be 1-64 characters of A-Z, a-z, 0-9, _ or -');
    }
    return path.join(this.directory, `${id}.json`);
  }

  async #load(id: string): Promise<Session> {
    const file = this.#pathOf(id);
    let raw: unknown;
    try {
      raw = await readJsonFile(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new LabError('not_found:session', `Session ${id} does not exist`, { cause: error });
      }
      if (error instanceof DamagedFileError) throw damaged(id, 'it is not valid JSON', error);
      throw error;
    }
    const parsed = sessionSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
      throw damaged(id, `it is not a session (${issue?.message ?? 'invalid'}${where})`, parsed.error);
    }
    return toSession(parsed.data, id);
  }

  /**
   * The session as on disk, for a write under the lock: the copy this store last saved when
   * the file's identity is still the one it wrote, else read from the file.
   */
  async #loadCurrent(id: string): Promise<Session> {
    const recent = this.#recent.get(id);
    if (recent) {
      const key = await fileKey(this.#pathOf(id));
      if (key === recent.key) return recent.session;
      this.#forget(id);
    }
    return this.#load(id);
  }

  async #save(session: Session, options: { syncDirectory?: boolean; cache?: boolean } = {}): Promise<void> {
    const file = this.#pathOf(session.id);
    this.#forget(session.id);
    if (options.syncDirectory ?? true) await mkdir(this.directory, { recursive: true });
    const text = `${JSON.stringify(toSessionDocument(session), null, 2)}\n`;
    await writeFileAtomic(file, text, { syncDirectory: options.syncDirectory ?? true });
    // The list reads this session's file again (one stat and read), not every file.
    this.#writes += 1;
    this.#summaries.delete(session.id);
    if (options.cache === false || text.length > RECENT_MAX_BYTES / 4) return;
    // The file is written: failing to stat it only means it is read again next time.
    const key = await fileKey(file).catch(() => undefined);
    if (key === undefined) return;
    this.#recent.set(session.id, { key, session, bytes: text.length });
    this.#recentBytes += text.length;
    for (const [oldest, entry] of this.#recent) {
      if (this.#recent.size <= RECENT_MAX_SESSIONS && this.#recentBytes <= RECENT_MAX_BYTES) break;
      this.#recent.delete(oldest);
      this.#recentBytes -= entry.bytes;
    }
  }

  #forget(id: string): void {
    const entry = this.#recent.get(id);
    if (!entry) return;
    this.#recent.delete(id);
    this.#recentBytes -= entry.bytes;
  }
}

function damaged(id: string, reason: string, cause: unknown): LabError {
  return new LabError(
    'unavailable:store',
    `Session file sessions/${id}.json is damaged: ${reason}. Run \`npx --no-install agent-lab check\` (and \`quarantine\` or \`restore\`).`,
    { cause, retryable: false },
  );
}

/** A file's identity: any replacement (new inode) or change (size, mtime, ctime) gives another key. */
async function fileKey(file: string): Promise<string | undefined> {
  try {
    const info = await stat(file, { bigint: true });
    return `${info.dev}:${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Run `fn` over `items`, at most `limit` at a time. */
async function forEachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next] as T;
      next += 1;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
