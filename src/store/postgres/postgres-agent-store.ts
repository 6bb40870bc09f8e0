import { sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import type { z } from 'zod';
import { agentSchema, type Agent, type AgentUpdate, type agentInputSchema } from '../../domain/agent.js';
import type { AgentRepository } from '../../domain/agent-repository.js';
import { LabError } from '../../domain/errors.js';
import { databaseCall } from './database-error.js';
import { replaceUnstorableCharacters } from './storable-text.js';
import type { Insertable } from 'kysely';
import type { AgentsTable, Database } from './database.js';

/** An agent as stored, with any fields a newer lab added kept. */
const storedAgentSchema = agentSchema.loose();

function readAgent(document: unknown): Agent | undefined {
  const parsed = storedAgentSchema.safeParse(document);
  return parsed.success ? (parsed.data as Agent) : undefined;
}

function notFound(id: string): LabError {
  return new LabError('not_found:agent', `Agent ${id} does not exist`);
}

/** Agents in the `agents` table: the same behaviour as agents.json, shared by every instance. */
export class PostgresAgentStore implements AgentRepository {
  readonly #db: Database;

  constructor(options: { db: Database }) {
    this.#db = options.db;
  }

  async list(): Promise<Agent[]> {
    const rows = await databaseCall('listing agents', () => this.#db.selectFrom('agents').select('document').orderBy('seq').execute());
    return rows.flatMap((row) => {
      const agent = readAgent(row.document);
      return agent ? [agent] : [];
    });
  }

  async get(id: string): Promise<Agent> {
    const row = await databaseCall('reading an agent', () => this.#db.selectFrom('agents').select('document').where('id', '=', id).executeTakeFirst());
    const agent = row ? readAgent(row.document) : undefined;
    if (!agent) throw notFound(id);
    return agent;
  }

  async create(input: z.output<typeof agentInputSchema>): Promise<Agent> {
    const now = new Date().toISOString();
    const agent = replaceUnstorableCharacters<Agent>({ id: uuidv7(), ...input, created_at: now, updated_at: now });
    await databaseCall('saving an agent', () => this.#db.insertInto('agents').values(agentRow(agent)).execute());
    return agent;
  }

  /** Under a transaction-scoped advisory lock, so instances starting together create one agent. */
  async createIfNone(input: z.output<typeof agentInputSchema>): Promise<Agent | undefined> {
    const now = new Date().toISOString();
    const agent = replaceUnstorableCharacters<Agent>({ id: uuidv7(), ...input, created_at: now, updated_at: now });
    return databaseCall('saving an agent', () =>
      this.#db.transaction().execute(async (transaction) => {
        await sql`select pg_advisory_xact_lock(hashtext('agent-lab:first-agent'))`.execute(transaction);
        const existing = await transaction.selectFrom('agents').select('id').limit(1).executeTakeFirst();
        if (existing) return undefined;
        await transaction.insertInto('agents').values(agentRow(agent)).execute();
        return agent;
      }),
    );
  }

  async update(id: string, patch: AgentUpdate): Promise<Agent> {
    return databaseCall('saving an agent', () =>
      this.#db.transaction().execute(async (transaction) => {
        const row = await transaction.selectFrom('agents').select('document').where('id', '=', id).forUpdate().executeTakeFirst();
        const current = row ? readAgent(row.document) : undefined;
        if (!current) throw notFound(id);
        const defined = Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined));
        const updated = replaceUnstorableCharacters<Agent>({ ...current, ...defined, id: current.id, created_at: current.created_at, updated_at: new Date().toISOString() });
        await transaction
          .updateTable('agents')
          .set({ name: updated.name, updated_at: updated.updated_at, document: JSON.stringify(updated) })
          .where('id', '=', id)
          .execute();
        return updated;
      }),
    );
  }

  async delete(id: string): Promise<void> {
    const result = await databaseCall('deleting an agent', () => this.#db.deleteFrom('agents').where('id', '=', id).executeTakeFirst());
    if (result.numDeletedRows === 0n) throw notFound(id);
  }
}

/** An agent as a row of `agents` (for `agent-lab import`, which keeps ids and times). */
export function agentRow(agent: Agent): Insertable<AgentsTable> {
  const clean = replaceUnstorableCharacters(agent);
  return { id: clean.id, name: clean.name, created_at: clean.created_at, updated_at: clean.updated_at, document: JSON.stringify(clean) };
}
