import type { ToolName } from '../domain/agent.js';
import { TOOL_NAMES } from '../domain/agent.js';
import type { ToolDefinition } from '../domain/stream-part.js';
import { addNumbers, addNumbersArguments, addNumbersDefinition } from './add-numbers.js';
import { fetchUrl, fetchUrlArguments, fetchUrlDefinition, type FetchLimits } from './fetch-url.js';
import { parseToolArguments } from './tool-arguments.js';
import type { ToolResult } from './tool-result.js';
import type { HostResolver } from './url-guard.js';
import { utcNow, utcNowArguments, utcNowDefinition } from './utc-now.js';

/**
 * The tools an agent can call, behind one registry: their function-calling definitions
 * for the provider, and `execute`, which turns a model's raw tool call into a result
 * text. `execute` never throws — bad JSON, unknown tools and failures are text the model
 * reads and can act on.
 */

export interface ToolRegistryOptions {
  /** Hosts fetch_url may reach (config `fetchAllowlist`); `*.domain` entries allow subdomains. */
  fetchAllowlist: readonly string[];
  /** Let fetch_url reach loopback/private addresses (config `fetchAllowPrivate`, tests only). */
  allowPrivate: boolean;
  /** DNS for fetch_url (default `dns.lookup`); a test seam, the answer is still vetted. */
  resolveHost?: HostResolver;
  /** The clock for utc_now (default `new Date()`). */
  now?: () => Date;
  /** Overrides of fetch_url's byte, character and redirect limits. */
  fetchLimits?: Partial<FetchLimits>;
}

export interface ToolCall {
  name: string;
  /** The arguments exactly as the model sent them (a JSON object as text). */
  args: string;
  signal: AbortSignal;
  /** The tools this agent was given; a call to any other is refused. Default: all. */
  enabled?: readonly ToolName[];
}

export interface ToolRegistry {
  /** OpenAI function-calling definitions of `names`, in that order, without duplicates. */
  definitions(names: readonly ToolName[]): ToolDefinition[];
  execute(call: ToolCall): Promise<ToolResult>;
}

const DEFINITIONS: Readonly<Record<ToolName, ToolDefinition>> = {
  add_numbers: addNumbersDefinition,
  utc_now: utcNowDefinition,
  fetch_url: fetchUrlDefinition,
};

function isToolName(name: string): name is ToolName {
  return (TOOL_NAMES as readonly string[]).includes(name);
}

/** A registry bound to the lab's configuration. */
export function createToolRegistry(options: ToolRegistryOptions): ToolRegistry {
  const policy = { allowlist: [...options.fetchAllowlist], allowPrivate: options.allowPrivate };

  async function run(name: ToolName, call: ToolCall): Promise<ToolResult> {
    switch (name) {
      case 'add_numbers': {
        const parsed = parseToolArguments({ tool: name, raw: call.args, schema: addNumbersArguments });
        return { result: parsed.ok ? addNumbers(parsed.value) : parsed.message, web_status: 'off' };
      }
      case 'utc_now': {
        const parsed = parseToolArguments({ tool: name, raw: call.args, schema: utcNowArguments });
        const result = parsed.ok ? utcNow({ fmt: parsed.value.fmt, ...(options.now ? { now: options.now } : {}) }) : parsed.message;
        return { result, web_status: 'off' };
      }
      case 'fetch_url': {
        const parsed = parseToolArguments({ tool: name, raw: call.args, schema: fetchUrlArguments });
        if (!parsed.ok) return { result: parsed.message, web_status: 'ok' };
        return fetchUrl({
          url: parsed.value.url,
          timeoutSeconds: parsed.value.timeout_s,
          policy,
          signal: call.signal,
          resolve: options.resolveHost,
          ...(options.fetchLimits ? { limits: options.fetchLimits } : {}),
        });
      }
    }
  }

  return {
    definitions(names) {
      return [...new Set(names)].map((name) => DEFINITIONS[name]);
    },

    async execute(call) {
      const name = call.name.trim();
      if (!isToolName(name)) {
        return { result: `Error: unknown tool '${call.name.slice(0, 100)}'. Available tools: ${TOOL_NAMES.join(', ')}.`, web_status: 'off' };
      }
      if (call.enabled && !call.enabled.includes(name)) {
        const available = call.enabled.length > 0 ? call.enabled.join(', ') : 'none';
        return { result: `Error: tool '${name}' is not enabled for this agent. Available tools: ${available}.`, web_status: 'off' };
      }
      if (call.signal.aborted) return { result: `Error: ${name} was cancelled.`, web_status: name === 'fetch_url' ? 'ok' : 'off' };
      try {
        return await run(name, call);
      } catch (error) {
        // Tools report their own failures as text; this is the last line for a bug in one.
        return { result: `Error: ${name} failed: ${error instanceof Error ? error.message : String(error)}`, web_status: name === 'fetch_url' ? 'ok' : 'off' };
      }
    },
  };
}
