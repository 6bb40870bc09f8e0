import { createParser } from 'eventsource-parser';
import { api, labFetch } from '../api/client.js';
import type { BakeoffEvent, BakeoffRequest, Comparison, ModelSummary } from './wire-types.js';

/** The bake-off's HTTP calls: the multiplexed stream, the experiment summary and the comparison. */

const EVENTS = new Set(['bakeoff-start', 'run-start', 'text-delta', 'tool-call', 'tool-result', 'run-end', 'error', 'bakeoff-end']);

/** `POST /api/bakeoff`, calling `onEvent` per event; aborting `signal` closes the stream (Stop all). */
export async function streamBakeoff(options: { request: BakeoffRequest; signal: AbortSignal; onEvent: (event: BakeoffEvent) => void }): Promise<void> {
  const response = await labFetch('/api/bakeoff', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify(options.request),
    signal: options.signal,
  });
  if (!response.body) throw new Error('The bake-off response had no body to read.');
  const parser = createParser({
    onEvent: (message) => {
      const name = message.event ?? 'message';
      if (!EVENTS.has(name)) return;
      try {
        options.onEvent({ ...(JSON.parse(message.data) as object), type: name } as BakeoffEvent);
      } catch (error) {
        console.warn('Unreadable bake-off event', name, error);
      }
    },
  });
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  const stop = () => void reader.cancel().catch(() => undefined);
  options.signal.addEventListener('abort', stop, { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done || options.signal.aborted) break;
      parser.feed(value);
    }
  } finally {
    options.signal.removeEventListener('abort', stop);
    reader.releaseLock();
  }
}

export async function fetchExperimentSummary(experimentId: string): Promise<{ count: number; models: ModelSummary[] }> {
  const response = await labFetch(`/api/runs/summary?experiment_id=${encodeURIComponent(experimentId)}`, { headers: { accept: 'application/json' } });
  return (await response.json()) as { count: number; models: ModelSummary[] };
}

export async function fetchComparison(options: { by: 'experiment' | 'agent'; a: string; b: string }): Promise<Comparison> {
  const query: Record<string, string> = options.by === 'experiment' ? { a: options.a, b: options.b } : { agent_a: options.a, agent_b: options.b };
  const response = await labFetch(`/api/compare?${new URLSearchParams(query).toString()}`, { headers: { accept: 'application/json' } });
  return (await response.json()) as Comparison;
}

/** Experiment ids of the whole history, the most recently used first (suggestions for the pickers). */
export async function fetchExperimentIds(): Promise<string[]> {
  return (await api.listExperiments()).experiments.map((experiment) => experiment.experiment_id);
}
