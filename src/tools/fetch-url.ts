import type { LookupAddress } from 'node:dns';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { z } from 'zod';
import type { ToolDefinition } from '../domain/stream-part.js';
import { numberLike } from './tool-arguments.js';
import type { ToolResult } from './tool-result.js';
import { checkUrl, resolveVetted, type FetchPolicy, type GuardRefusal, type HostResolver } from './url-guard.js';

/**
 * `fetch_url(url, timeout_s)`: GET one page from an allow-listed host and give the model
 * its text. Redirects are followed by hand so that every hop passes the URL guard, and
 * each connection goes to the addresses the guard vetted (node:http with a pinned
 * `lookup`), never to a second DNS answer. At most `maxBytes` of the body are read; the
 * text shown is cut to `maxChars`. The timeout covers everything: DNS, every hop, the body.
 */

/** The limits of one fetch. */
export interface FetchLimits {
  /** Bytes of the body read before the connection is closed. */
  maxBytes: number;
  /** Characters of the decoded body shown to the model. */
  maxChars: number;
  maxRedirects: number;
}

export const DEFAULT_FETCH_LIMITS: Readonly<FetchLimits> = { maxBytes: 65_536, maxChars: 4_096, maxRedirects: 5 };
export const DEFAULT_TIMEOUT_SECONDS = 10;
export const MAX_TIMEOUT_SECONDS = 30;

export const fetchUrlArguments = z.object({
  url: z
    .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
    .trim()
    .min(1, 'must not be empty')
    .max(8_192, 'must be at most 8,192 characters'),
  timeout_s: numberLike
    .refine((value) => value > 0, 'must be greater than 0')
    .refine((value) => value <= MAX_TIMEOUT_SECONDS, `must be at most ${MAX_TIMEOUT_SECONDS} (seconds)`)
    .nullish()
    .transform((value) => value ?? DEFAULT_TIMEOUT_SECONDS),
});

export const fetchUrlDefinition: ToolDefinition = {
  type: 'function',
  function: {
    name: 'fetch_url',
    description:
      'Fetch a web page over http(s) with GET and return its status and up to 4,096 characters of its text. Only allow-listed hosts can be reached.',
    parameters: {
      type: 'object',
      properties: {
        url: { type: 'string', description: 'The absolute http or https URL to fetch.' },
        timeout_s: {
          type: 'number',
          description: `Seconds to wait for the whole fetch (default ${DEFAULT_TIMEOUT_SECONDS}, at most ${MAX_TIMEOUT_SECONDS}).`,
          exclusiveMinimum: 0,
          maximum: MAX_TIMEOUT_SECONDS,
        },
      },
      required: ['url'],
      additionalProperties: false,
    },
  },
};

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** Content types shown as text; others are described, not dumped into the model's context. */
const TEXTUAL = /^(text\/|application\/([\w.+-]*\+)?(json|xml|javascript|ecmascript|x-www-form-urlencoded)\b)/i;

const REQUEST_HEADERS = {
  'user-agent': 'AgentLab/0.1 (fetch_url tool)',
  accept: 'text/html,application/xhtml+xml,application/json,text/plain;q=0.9,*/*;q=0.5',
  // No compression: the byte limit then bounds what the server sends, not a decompressed size.
  'accept-encoding': 'identity',
};

/** A `lookup` for net.connect that answers only with the addresses the guard vetted. */
function pinnedLookup(addresses: readonly LookupAddress[]): LookupFunction {
  return (hostname, options, callback) => {
    const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family;
    const candidates = family === 4 || family === 6 ? addresses.filter((entry) => entry.family === family) : [...addresses];
    const first = candidates[0];
    if (!first) {
      const error: NodeJS.ErrnoException = new Error(`no vetted IPv${String(family)} address for '${hostname}'`);
      error.code = 'ENOTFOUND';
      callback(error, '');
      return;
    }
    if (options.all) callback(null, candidates);
    else callback(null, first.address, first.family);
  };
}

/** One GET, no redirects followed, answered with the response head. */
function requestOnce(options: { url: URL; addresses: readonly LookupAddress[]; signal: AbortSignal }): Promise<IncomingMessage> {
  const { url, addresses, signal } = options;
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = transport.request(url, {
      method: 'GET',
      headers: REQUEST_HEADERS,
      // A fresh connection per hop: no pooled socket opened under another check is reused.
      agent: false,
      lookup: pinnedLookup(addresses),
      signal,
    });
    request.once('response', resolve);
    request.on('error', reject);
    request.end();
  });
}

/** Up to `maxBytes` of the body; the connection is closed as soon as the limit is hit. */
async function readLimited(response: IncomingMessage, maxBytes: number): Promise<{ bytes: Buffer; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let total = 0;
  let truncated = false;
  try {
    for await (const chunk of response as AsyncIterable<Buffer>) {
      const room = maxBytes - total;
      if (chunk.length > room) {
        chunks.push(chunk.subarray(0, room));
        total += room;
        truncated = true;
        break;
      }
      chunks.push(chunk);
      total += chunk.length;
    }
  } finally {
    response.destroy();
  }
  return { bytes: Buffer.concat(chunks, total), truncated };
}

function decoderFor(contentType: string): TextDecoder {
  const charset = /charset\s*=\s*"?([\w.:-]+)/i.exec(contentType)?.[1];
  if (charset) {
    try {
      return new TextDecoder(charset);
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      // An unknown charset label: fall back to UTF-8, the web's default.
    }
  }
  return new TextDecoder('utf-8');
}

/** `text` cut to `maxChars` UTF-16 units without splitting a surrogate pair. */
function cut(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const head = text.slice(0, maxChars);
  return /[\uD800-\uDBFF]$/.test(head) ? head.slice(0, -1) : head;
}

function describeResponse(options: {
  response: IncomingMessage;
  url: URL;
  redirects: number;
  bytes: Buffer;
  bytesTruncated: boolean;
  limits: FetchLimits;
}): string {
  const { response, url, redirects, bytes, bytesTruncated, limits } = options;
  const contentType = response.headers['content-type'] ?? '';
  const via = redirects === 0 ? '' : ` (after ${redirects} redirect${redirects === 1 ? '' : 's'})`;
  const head = [
    `Status: ${response.statusCode ?? 0} ${response.statusMessage ?? ''}`.trimEnd(),
    `URL: ${url.href}${via}`,
    `Content-Type: ${contentType || 'unknown'}`,
  ].join('\n');
  if (contentType !== '' && !TEXTUAL.test(contentType)) {
    const size = bytesTruncated ? `more than ${limits.maxBytes.toLocaleString('en-US')}` : bytes.length.toLocaleString('en-US');
    return `${head}\n\n(${size} bytes of ${contentType.split(';')[0] ?? contentType} not shown: fetch_url returns text only.)`;
  }
  // `stream: true` when the bytes were cut, so a character split at the limit is dropped, not mangled.
  const text = decoderFor(contentType).decode(bytes, { stream: bytesTruncated });
  const shown = cut(text, limits.maxChars);
  const truncated = bytesTruncated || shown.length < text.length;
  const note = truncated ? `\n\n[Body truncated: showing the first ${shown.length.toLocaleString('en-US')} characters.]` : '';
  return `${head}\n\n${shown === '' ? '(empty body)' : shown}${note}`;
}

function refusal(check: GuardRefusal): ToolResult {
  return { result: check.message, web_status: check.blocked ? 'blocked' : 'ok' };
}

function describeNetworkError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as NodeJS.ErrnoException).code;
  return code && !error.message.includes(code) ? `${error.message} (${code})` : error.message;
}

/**
 * Fetch `url` under `policy`. Never throws: refusals and failures come back as text for
 * the model. `web_status` is `blocked` when the policy refused a URL or an address at any
 * hop, `ok` otherwise (a fetched page, or an error such as a timeout or a refused
 * connection, since the fetch itself was allowed).
 */
export async function fetchUrl(options: {
  url: string;
  policy: FetchPolicy;
  timeoutSeconds?: number;
  signal?: AbortSignal | undefined;
  resolve?: HostResolver | undefined;
  limits?: Partial<FetchLimits>;
}): Promise<ToolResult> {
  const { policy, timeoutSeconds = DEFAULT_TIMEOUT_SECONDS, resolve } = options;
  const limits: FetchLimits = { ...DEFAULT_FETCH_LIMITS, ...options.limits };
  const timeoutSignal = AbortSignal.timeout(Math.round(timeoutSeconds * 1000));
  const signal = options.signal ? AbortSignal.any([options.signal, timeoutSignal]) : timeoutSignal;
  let target = options.url;
  let redirects = 0;
  try {
    for (;;) {
      const urlCheck = checkUrl(target, policy);
      if (!urlCheck.allowed) return refusal(urlCheck);
      const addressCheck = await resolveVetted({ host: urlCheck.host, allowPrivate: policy.allowPrivate, resolve, signal });
      if (!addressCheck.allowed) return refusal(addressCheck);
      const response = await requestOnce({ url: urlCheck.url, addresses: addressCheck.addresses, signal });
      const location = response.headers.location;
      if (REDIRECT_STATUSES.has(response.statusCode ?? 0) && location !== undefined) {
        response.destroy();
        if (redirects >= limits.maxRedirects) {
          return { result: `Error: too many redirects (more than ${limits.maxRedirects}) fetching ${options.url}.`, web_status: 'ok' };
        }
        redirects += 1;
        target = URL.canParse(location, urlCheck.url) ? new URL(location, urlCheck.url).href : location;
        continue;
      }
      const { bytes, truncated } = await readLimited(response, limits.maxBytes);
      return {
        result: describeResponse({ response, url: urlCheck.url, redirects, bytes, bytesTruncated: truncated, limits }),
        web_status: 'ok',
      };
    }
  } catch (error) {
    if (timeoutSignal.aborted) return { result: `Error: fetching ${target} timed out after ${timeoutSeconds} s.`, web_status: 'ok' };
    if (options.signal?.aborted) return { result: `Error: fetching ${target} was cancelled.`, web_status: 'ok' };
    return { result: `Error: could not fetch ${target}: ${describeNetworkError(error)}.`, web_status: 'ok' };
  }
}
