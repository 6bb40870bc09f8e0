import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import type { z } from 'zod';
import { agentSchema } from '../domain/agent.js';
import type { Agent, AgentUpdate, agentInputSchema } from '../domain/agent.js';
import { LabError } from '../domain/errors.js';
import { DamagedFileError, readJsonFile, writeJsonAtomic } from './atomic-file.js';
import { withDataLock } from './data-lock.js';
import type { AgentRepository } from '../domain/agent-repository.js';

/**
 * `data/agents.json` (`{ "agents": [...] }`): every agent in one file, replaced atomically
 * under the data lock. A damaged file is reported on every access and never overwritten;
 * an entry the lab cannot read is skipped when listing but written back untouched.
 */

/** What `AgentStore.check()` reports, for health checks and `agent-lab check`. */
export type AgentFileStatus =
  | { ok: true; agents: number; invalidEntries: number }
  | { ok: false; error: string };

/** An agent as stored, with any fields a newer lab added kept. */
const storedAgentSchema = agentSchema.loose();

interface AgentFile {
  /** Every entry as read, valid or not, in file order. */
  entries: unknown[];
  /** Top-level fields other than `agents`, kept on save. */
  extras: Record<string, unknown>;
}

/** The agents of one data directory. */
export class AgentStore implements AgentRepository {
  readonly dataDir: string;
  readonly #file: string;
  /** The readable agents of the file as last read, keyed by its inode, size and mtime (ns). */
  #cache: { key: string; agents: Agent[] } | undefined;

  constructor(options: { dataDir: string }) {
    this.dataDir = path.resolve(options.dataDir);
    this.#file = path.join(this.dataDir, 'agents.json');
  }

  /** Absolute path of agents.json. */
  get path(): string {
    return this.#file;
  }

  /** Every readable agent, in creation order. */
  async list(): Promise<Agent[]> {
    return (await this.#agents()).map((agent) => cloneJson(agent));
  }

  /** One agent; rejects with LabError `not_found:agent` when there is none. */
  async get(id: string): Promise<Agent> {
    const agent = (await this.#agents()).find((candidate) => candidate.id === id);
    if (!agent) throw new LabError('not_found:agent', `Agent ${id} does not exist`);
    return cloneJson(agent);
  }

  /**
   * The readable agents, parsed once per version of the file: a stat decides whether the
   * copy in memory is still the file's content (every save renames a new file into place,
   * so the inode changes too). Callers get clones, never the cached objects.
   */
  async #agents(): Promise<Agent[]> {
    let key: string | undefined;
    try {
      // Not statSync: cheaper on average, but it blocks the event loop for milliseconds when
      // the disk is busy with fsyncs (measured: p99 70 us, max 6.5 ms under write churn).
      const info = await stat(this.#file, { bigint: true });
      key = `${info.dev}:${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    if (key !== undefined && this.#cache?.key === key) return this.#cache.agents;
    const file = await this.#read();
    const agents = file.entries.flatMap((entry) => {
      const agent = readAgent(entry);
      return agent ? [agent] : [];
    });
    this.#cache = key === undefined ? undefined : { key, agents };
    return agents;
  }

  /** Store a new agent with a UUIDv7 id and ISO timestamps. */
  async create(input: z.output<typeof agentInputSchema>): Promise<Agent> {
    const now = new Date().toISOString();
    const agent: Agent = { id: uuidv7(), ...input, created_at: now, updated_at: now };
    await this.#modify((file) => ({ ...file, entries: [...file.entries, agent] }));
    return agent;
  }

  /** Store a new agent only when agents.json holds no readable agent (checked under the data lock). */
  async createIfNone(input: z.output<typeof agentInputSchema>): Promise<Agent | undefined> {
    const now = new Date().toISOString();
    const agent: Agent = { id: uuidv7(), ...input, created_at: now, updated_at: now };
    let created = false;
    await this.#modify((file) => {
      if (file.entries.some((entry) => readAgent(entry) !== undefined)) return undefined;
      created = true;
      return { ...file, entries: [...file.entries, agent] };
    });
    return created ? agent : undefined;
  }

  /** Change the given fields of an agent; rejects with `not_found:agent` when there is none. */
  async update(id: string, patch: AgentUpdate): Promise<Agent> {
    let updated: Agent | undefined;
    await this.#modify((file) => {
      const index = file.entries.findIndex((entry) => readAgent(entry)?.id === id);
      const current = index >= 0 ? readAgent(file.entries[index]) : undefined;
      if (!current) throw new LabError('not_found:agent', `Agent ${id} does not exist`);
      const defined = Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined));
      updated = { ...current, ...defined, id: current.id, created_at: current.created_at, updated_at: new Date().toISOString() };
      const entries = [...file.entries];
      entries[index] = updated;
      return { ...file, entries };
    });
    return updated as Agent;
  }

  /** Remove an agent; rejects with `not_found:agent` when there is none. */
  async delete(id: string): Promise<void> {
    await this.#modify((file) => {
      const entries = file.entries.filter((entry) => readAgent(entry)?.id !== id);
      if (entries.length === file.entries.length) throw new LabError('not_found:agent', `Agent ${id} does not exist`);
      return { ...file, entries };
    });
  }

  /** Whether agents.json is readable, without throwing (a missing file is fine: no agents yet). */
  async check(): Promise<AgentFileStatus> {
    try {
      const file = await this.#read();
      const valid = file.entries.filter((entry) => readAgent(entry) !== undefined).length;
      return { ok: true, agents: valid, invalidEntries: file.entries.length - valid };
    } catch (error) {
      return { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
  }

  /** Change agents.json under the data lock; a change that returns undefined leaves the file as it is. */
  async #modify(change: (file: AgentFile) => AgentFile | undefined): Promise<void> {
    await withDataLock(this.dataDir, async () => {
      // Read again under the lock: a damaged file throws here, so it is never overwritten.
      const next = change(await this.#read());
      if (next === undefined) return;
      await mkdir(this.dataDir, { recursive: true });
      this.#cache = undefined;
      await writeJsonAtomic(this.#file, { ...next.extras, agents: next.entries });
    });
  }

  async #read(): Promise<AgentFile> {
    let raw: unknown;
    try {
      raw = await readJsonFile(this.#file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], extras: {} };
      if (error instanceof DamagedFileError) throw this.#damaged('it is not valid JSON', error);
      throw error;
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || !Array.isArray((raw as { agents?: unknown }).agents)) {
      throw this.#damaged('it has no "agents" list', undefined);
    }
    const { agents, ...extras } = raw as { agents: unknown[] } & Record<string, unknown>;
    return { entries: agents, extras };
  }

  #damaged(reason: string, cause: unknown): LabError {
    return new LabError(
      'unavailable:store',
      `${this.#file} is damaged: ${reason}. It has been left as it is and agents cannot be read or saved until it is ` +
        'repaired or restored (`npx --no-install agent-lab check`, `restore --type agents`).',
      { cause, retryable: false },
    );
  }
}

/** A deep copy of JSON data (what agents.json parses to), far cheaper than structuredClone. */
function cloneJson<T>(value: T): T {
  if (Array.isArray(value)) return value.map(cloneJson) as T;
  if (typeof value !== 'object' || value === null) return value;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const item = cloneJson((value as Record<string, unknown>)[key]);
    if (key === '__proto__') Object.defineProperty(copy, key, { value: item, enumerable: true, writable: true, configurable: true });
    else copy[key] = item;
  }
  return copy as T;
}

function readAgent(entry: unknown): Agent | undefined {
  const parsed = storedAgentSchema.safeParse(entry);
  return parsed.success ? (parsed.data as Agent) : undefined;
}
