import { agentSchema } from '../domain/agent.js';

/**
 * Validation of agents.json as the store reads it: strict UTF-8 JSON, an object whose
 * `agents` is a list; entries the lab cannot read are counted (the store skips them).
 */

const decoder = new TextDecoder('utf-8', { fatal: true });
const storedAgentSchema = agentSchema.loose();

export interface AgentsCheck {
  problem: { message: string } | undefined;
  agents: number;
  invalidEntries: number;
}

/** Check agents.json's bytes. */
export function checkAgentsBytes(bytes: Buffer): AgentsCheck {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    return { problem: { message: 'contains bytes that are not UTF-8 (garbage)' }, agents: 0, invalidEntries: 0 };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const truncated = /end of JSON input/i.test((error as Error).message);
    return {
      problem: { message: `${truncated ? 'truncated' : 'invalid'} JSON (${(error as Error).message})` },
      agents: 0,
      invalidEntries: 0,
    };
  }
  const list = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as { agents?: unknown }).agents : undefined;
  if (!Array.isArray(list)) return { problem: { message: 'has no "agents" list' }, agents: 0, invalidEntries: 0 };
  const valid = list.filter((entry) => storedAgentSchema.safeParse(entry).success).length;
  return { problem: undefined, agents: valid, invalidEntries: list.length - valid };
}
