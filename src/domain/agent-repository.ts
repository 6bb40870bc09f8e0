import type { Agent, AgentUpdate, agentInputSchema } from './agent.js';
import type { z } from 'zod';

/**
 * Where agents are kept, as the routes, the chat, scoring and evals ask for them: implemented
 * by the files engine (`data/agents.json`, src/store AgentStore) and by PostgreSQL
 * (src/store/postgres). Missing agents reject with LabError `not_found:agent`.
 */
export interface AgentRepository {
  /** Every readable agent, in creation order. */
  list(): Promise<Agent[]>;
  /** One agent; rejects with `not_found:agent` when there is none. */
  get(id: string): Promise<Agent>;
  /** Store a new agent with a UUIDv7 id and ISO timestamps. */
  create(input: z.output<typeof agentInputSchema>): Promise<Agent>;
  /**
   * Create the agent only when there is no agent at all, atomically (instances starting
   * together on one store create one); resolves with it, or undefined when there were agents.
   */
  createIfNone(input: z.output<typeof agentInputSchema>): Promise<Agent | undefined>;
  /** Change the given fields; rejects with `not_found:agent` when there is none. */
  update(id: string, patch: AgentUpdate): Promise<Agent>;
  /** Remove an agent; rejects with `not_found:agent` when there is none. */
  delete(id: string): Promise<void>;
}
