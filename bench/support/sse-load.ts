import http from 'node:http';
import { performance } from 'node:perf_hooks';

/**
 * A lean SSE client for load: node:http with keep-alive, no event parsing, only a count of
 * a marker string per token (`event: text-delta` from the lab, `"content":"` from the test
 * server). The same code times both sides of every comparison.
 */

/** Markers that count one token in each wire format. */
export const LAB_TOKEN = 'event: text-delta';
export const PROVIDER_TOKEN = '"content":"';

/** What one stream's timing looked like, on this process's performance.now() clock. */
export interface StreamTiming {
  status: number;
  startedAt: number;
  firstTokenAt?: number;
  lastTokenAt?: number;
  endedAt?: number;
  tokens: number;
  /** Everything received, only when `keepText` was asked for. */
  text?: string;
  error?: string;
}

export interface OpenStream {
  /** Settles when the response ends, fails or is destroyed. */
  done: Promise<StreamTiming>;
  /** Resolves at the first token (true), or when the stream ends without one (false). */
  firstToken: Promise<boolean>;
  /** Drop the connection; returns performance.now() at that moment. */
  destroy(): number;
}

/** One keep-alive agent per target, no socket limit. */
export function loadAgent(): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 1024 });
}

/** POST `body` as JSON and time the SSE answer. */
export function openStream(options: {
  url: string;
  body: unknown;
  marker: string;
  agent: http.Agent;
  headers?: Record<string, string>;
  keepText?: boolean;
  /** Called with the running token count whenever tokens arrive. */
  onTokens?: (count: number) => void;
  /** Default POST; a GET sends no body. */
  method?: 'GET' | 'POST';
  /** Called with every chunk as text. */
  onChunk?: (text: string) => void;
}): OpenStream {
  const payload = JSON.stringify(options.body);
  const timing: StreamTiming = { status: 0, startedAt: performance.now(), tokens: 0 };
  let request: http.ClientRequest | undefined;
  let resolveFirst!: (got: boolean) => void;
  const firstToken = new Promise<boolean>((resolve) => (resolveFirst = resolve));
  const done = new Promise<StreamTiming>((resolve) => {
    const finish = (error?: string) => {
      if (timing.endedAt !== undefined) return;
      timing.endedAt = performance.now();
      if (error) timing.error = error;
      resolveFirst(false);
      resolve(timing);
    };
    timing.startedAt = performance.now();
    request = http.request(
      options.url,
      {
        method: options.method ?? 'POST',
        agent: options.agent,
        headers: options.method === 'GET' ? { ...options.headers } : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...options.headers },
      },
      (response) => {
        timing.status = response.statusCode ?? 0;
        const marker = options.marker;
        let tail = '';
        let text = '';
        response.on('data', (chunk: Buffer) => {
          const now = performance.now();
          const piece = tail + chunk.toString('latin1');
          options.onChunk?.(chunk.toString('utf8'));
          if (options.keepText) text += chunk.toString('latin1');
          let found = 0;
          for (let index = piece.indexOf(marker); index !== -1; index = piece.indexOf(marker, index + marker.length)) found += 1;
          tail = piece.slice(-(marker.length - 1));
          if (found > 0) {
            timing.tokens += found;
            timing.firstTokenAt ??= now;
            timing.lastTokenAt = now;
            resolveFirst(true);
            options.onTokens?.(timing.tokens);
          }
        });
        response.on('end', () => {
          if (options.keepText) timing.text = text;
          finish();
        });
        response.on('error', (error) => finish(error.message));
        response.on('aborted', () => finish('aborted'));
      },
    );
    request.on('error', (error) => finish(error.message));
    request.on('close', () => finish(timing.endedAt === undefined ? 'closed' : undefined));
    request.end(options.method === 'GET' ? undefined : payload);
  });
  return {
    done,
    firstToken,
    destroy() {
      const at = performance.now();
      request?.destroy();
      return at;
    },
  };
}

/** Run `count` tasks made by `start`, at most `concurrency` at a time; results in completion order. */
export async function runLimited<T>(count: number, concurrency: number, start: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      results.push(await start(index));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return results;
}
