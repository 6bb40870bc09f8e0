import type { WebStatus } from '../domain/run.js';

/**
 * What a tool call gives back: the text the model sees, and what it did on the web —
 * `off` for tools that do not touch it, `ok` when fetch_url was allowed (a fetched page,
 * or an error while fetching it), `blocked` when its policy refused a URL or an address.
 */
export interface ToolResult {
  result: string;
  web_status: WebStatus;
}
