/** The tools an agent can call: add_numbers, utc_now and fetch_url (with its URL guard). */
export { createToolRegistry, type ToolCall, type ToolRegistry, type ToolRegistryOptions } from './registry.js';
export type { ToolResult } from './tool-result.js';
export { addNumbers, addNumbersDefinition } from './add-numbers.js';
export { formatUtc, utcNow, utcNowDefinition } from './utc-now.js';
export {
  DEFAULT_FETCH_LIMITS,
  DEFAULT_TIMEOUT_SECONDS,
  MAX_TIMEOUT_SECONDS,
  fetchUrl,
  fetchUrlDefinition,
  type FetchLimits,
} from './fetch-url.js';
export {
  checkUrl,
  domainRefusal,
  isHostAllowed,
  resolveVetted,
  type FetchPolicy,
  type HostResolver,
} from './url-guard.js';
export { classifyAddress, isAddressAllowed, type AddressKind } from './address-policy.js';
