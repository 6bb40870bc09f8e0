import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { agentInputSchema, agentUpdateSchema, type Agent, type AgentUpdate } from '../../domain/agent.js';
import { parseOrThrow } from '../http-error.js';

/** The agent storage the routes need (src/store AgentStore). */
export interface AgentsPort {
  list(): Promise<Agent[]>;
  get(id: string): Promise<Agent>;
  create(input: z.output<typeof agentInputSchema>): Promise<Agent>;
  update(id: string, patch: AgentUpdate): Promise<Agent>;
  delete(id: string): Promise<void>;
}

export const agentIdParams = z.object({ id: z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, 'agent id must be 1-64 characters of A-Z, a-z, 0-9, _ or -') });

/** `/api/agents`: create, list, read, update, delete. Unknown models are flagged, not refused. */
export function agentRoutes(app: FastifyInstance, options: { agents: AgentsPort; isKnownModel: (model: string) => boolean }): void {
  const withFlag = (agent: Agent) => ({ ...agent, model_known: options.isKnownModel(agent.model) });

  app.get('/api/agents', async () => {
    const agents = await options.agents.list();
    return { agents: agents.map(withFlag) };
  });

  app.post('/api/agents', async (request, reply) => {
    const input = parseOrThrow(agentInputSchema, request.body ?? {}, 'agent');
    const agent = await options.agents.create(input);
    request.log.info({ agent_id: agent.id, model: agent.model }, 'Agent saved');
    return reply.status(201).send(withFlag(agent));
  });

  app.get('/api/agents/:id', async (request) => {
    const { id } = parseOrThrow(agentIdParams, request.params, 'agent id');
    return withFlag(await options.agents.get(id));
  });

  app.put('/api/agents/:id', async (request) => {
    const { id } = parseOrThrow(agentIdParams, request.params, 'agent id');
    const patch = parseOrThrow(agentUpdateSchema, request.body ?? {}, 'agent');
    const agent = await options.agents.update(id, patch);
    request.log.info({ agent_id: agent.id }, 'Agent saved');
    return withFlag(agent);
  });

  app.delete('/api/agents/:id', async (request, reply) => {
    const { id } = parseOrThrow(agentIdParams, request.params, 'agent id');
    await options.agents.delete(id);
    request.log.info({ agent_id: id }, 'Agent deleted');
    return reply.status(204).send();
  });
}
