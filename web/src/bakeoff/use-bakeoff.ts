import { useCallback, useEffect, useRef, useState } from 'react';
import { api, ApiError } from '../api/client.js';
import type { RunRecord, RunTags } from '../api/types.js';
import { streamBakeoff } from './bakeoff-api.js';
import { notifyLabChanged } from '../state/lab-events.js';
import type { BakeoffEvent, BakeoffLaneRequest } from './wire-types.js';

/**
 * A bake-off in the browser: lanes streaming at once, each with live figures (TTFT,
 * tokens/s, tokens, cost) measured as deltas arrive and replaced by the lab's run record at
 * the end. Deltas land in mutable lane objects and the view re-renders at most once a frame.
 */

export type LaneStatus = 'waiting' | 'streaming' | 'done' | 'failed' | 'stopped';

/** One exchange of a lane: the user's message and this lane's answer. */
export interface LaneTurn {
  message: string;
  text: string;
  run: RunRecord | null;
  error: string | null;
}

export interface LaneState {
  lane: number;
  label: string;
  model: string;
  agentId: string;
  sessionId: string | null;
  runId: string | null;
  status: LaneStatus;
  turns: LaneTurn[];
  startedAt: number;
  firstTokenAt: number | null;
  lastTokenAt: number | null;
  /** Text deltas so far: a live estimate of completion tokens until `run-end`. */
  deltas: number;
  /** USD per completion token from the catalog, for the live cost estimate. */
  completionPrice: number | null;
}

/** A lane as the user set it up. */
export interface LaneSpec {
  label: string;
  model: string;
  request: BakeoffLaneRequest;
  completionPrice: number | null;
}

export interface BakeoffState {
  lanes: LaneState[];
  running: boolean;
  bakeoffId: string | null;
  experimentId: string | null;
  fastestLane: number | null;
  cheapestLane: number | null;
  error: string | null;
  /** Bumped once per completed bake-off (panels reload on it). */
  completed: number;
}

/** Live figures of a lane at `now`. */
export function laneFigures(lane: LaneState, now: number) {
  const turn = lane.turns.at(-1);
  const run = turn?.run ?? null;
  const ttft = run?.ttft_ms ?? (lane.firstTokenAt !== null ? lane.firstTokenAt - lane.startedAt : null);
  const tokens = run?.completion_tokens ?? lane.deltas;
  const end = lane.status === 'streaming' ? now : (lane.lastTokenAt ?? now);
  const liveSeconds = lane.firstTokenAt !== null ? (end - lane.firstTokenAt) / 1000 : 0;
  const tokensPerSecond = run?.tokens_per_s ?? (liveSeconds > 0.05 && tokens > 1 ? (tokens - 1) / liveSeconds : null);
  const cost = run ? run.cost_usd : lane.completionPrice !== null ? lane.completionPrice * tokens : null;
  return { ttft, tokens, tokensPerSecond, cost, estimated: run === null, unpriced: run !== null && run.cost_usd === null };
}

const IDLE: BakeoffState = { lanes: [], running: false, bakeoffId: null, experimentId: null, fastestLane: null, cheapestLane: null, error: null, completed: 0 };

export function useBakeoff() {
  const [state, setState] = useState<BakeoffState>(IDLE);
  const lanesRef = useRef<LaneState[]>([]);
  const meta = useRef<Omit<BakeoffState, 'lanes'>>(IDLE);
  const frame = useRef<number | null>(null);
  const controller = useRef<AbortController | null>(null);
  const specsRef = useRef<LaneSpec[]>([]);

  const flush = useCallback(() => {
    frame.current = null;
    setState({ ...meta.current, lanes: lanesRef.current.map((lane) => ({ ...lane })) });
  }, []);
  const schedule = useCallback(() => {
    if (frame.current === null) frame.current = requestAnimationFrame(flush);
  }, [flush]);

  useEffect(() => () => controller.current?.abort(), []);

  const apply = useCallback(
    (event: BakeoffEvent) => {
      const now = performance.now();
      if (event.type === 'bakeoff-start') {
        meta.current = { ...meta.current, bakeoffId: event.bakeoff_id, experimentId: event.experiment_id };
        for (const info of event.lanes) {
          const lane = lanesRef.current[info.lane];
          if (!lane) continue;
          Object.assign(lane, { runId: info.run_id, sessionId: info.session_id, agentId: info.agent_id, model: info.model, status: 'waiting' });
        }
      } else if (event.type === 'bakeoff-end') {
        meta.current = { ...meta.current, fastestLane: event.fastest_lane, cheapestLane: event.cheapest_lane };
      } else if (event.type === 'error' && event.lane === undefined) {
        meta.current = { ...meta.current, error: event.message };
      } else {
        const lane = event.lane !== undefined ? lanesRef.current[event.lane] : undefined;
        const turn = lane?.turns.at(-1);
        if (!lane || !turn) return;
        switch (event.type) {
          case 'text-delta':
            if (lane.firstTokenAt === null) lane.firstTokenAt = now;
            lane.lastTokenAt = now;
            lane.deltas += 1;
            lane.status = 'streaming';
            turn.text += event.delta;
            break;
          case 'tool-call':
            lane.status = 'streaming';
            turn.text += `\n[tool ${event.name}…]\n`;
            break;
          case 'error':
            turn.error = event.message;
            break;
          case 'run-end':
            turn.run = event.run;
            lane.lastTokenAt ??= now;
            lane.status = event.run.aborted ? 'stopped' : event.run.error || turn.error ? 'failed' : 'done';
            if (!turn.error && event.run.error) turn.error = event.run.error;
            break;
          default:
            break;
        }
      }
      schedule();
    },
    [schedule],
  );

  /** Start a bake-off: new lanes from `specs`, or a follow-up on the current lanes (their sessions). */
  const run = useCallback(
    async (options: { message: string; specs?: LaneSpec[]; tags: Partial<RunTags> }) => {
      if (controller.current) return;
      const startedAt = performance.now();
      const followUp = options.specs === undefined;
      if (!followUp) {
        lanesRef.current = options.specs!.map((spec, index) => ({
          lane: index,
          label: spec.label,
          model: spec.model,
          agentId: '',
          sessionId: null,
          runId: null,
          status: 'waiting',
          turns: [],
          startedAt,
          firstTokenAt: null,
          lastTokenAt: null,
          deltas: 0,
          completionPrice: spec.completionPrice,
        }));
        specsRef.current = options.specs!;
      }
      const requests: BakeoffLaneRequest[] = lanesRef.current.map((lane, index) => {
        const base = specsRef.current[index]!.request;
        return lane.sessionId ? { ...base, session_id: lane.sessionId } : base;
      });
      for (const lane of lanesRef.current) {
        Object.assign(lane, { status: 'waiting', runId: null, startedAt, firstTokenAt: null, lastTokenAt: null, deltas: 0 });
        lane.turns.push({ message: options.message, text: '', run: null, error: null });
      }
      const tags = followUp && meta.current.experimentId ? { ...options.tags, experiment_id: meta.current.experimentId } : options.tags;
      meta.current = { ...meta.current, running: true, fastestLane: null, cheapestLane: null, error: null, ...(followUp ? {} : { bakeoffId: null, experimentId: null }) };
      schedule();
      const abort = new AbortController();
      controller.current = abort;
      try {
        await streamBakeoff({ request: { message: options.message, lanes: requests, tags: Object.fromEntries(Object.entries(tags).filter(([, value]) => value)) }, signal: abort.signal, onEvent: apply });
      } catch (error) {
        if (!abort.signal.aborted) meta.current = { ...meta.current, error: error instanceof ApiError || error instanceof Error ? error.message : String(error) };
      } finally {
        controller.current = null;
        for (const lane of lanesRef.current) {
          if (lane.status === 'waiting' || lane.status === 'streaming') {
            lane.status = abort.signal.aborted ? 'stopped' : 'failed';
            // The lane's own reason: the lab refused the whole bake-off, or the stream ended before this lane did.
            const turn = lane.turns.at(-1);
            if (turn && !turn.error && lane.status === 'failed') turn.error = meta.current.error ?? 'The stream closed before this lane finished.';
          }
        }
        meta.current = { ...meta.current, running: false, completed: meta.current.completed + 1 };
        schedule();
        notifyLabChanged('runs', 'sessions', 'scores');
      }
    },
    [apply, schedule],
  );

  /** Stop one lane (its run is cancelled in the lab; the others go on). */
  const stopLane = useCallback(async (lane: number) => {
    const runId = lanesRef.current[lane]?.runId;
    if (!runId) return;
    try {
      await api.cancelRun(runId);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) throw error; // already finished
    }
  }, []);

  /** Stop every lane: closing the stream stops all runs. */
  const stopAll = useCallback(() => controller.current?.abort(), []);

  const reset = useCallback(() => {
    controller.current?.abort();
    lanesRef.current = [];
    meta.current = { ...IDLE, completed: meta.current.completed };
    schedule();
  }, [schedule]);

  return { state, run, stopLane, stopAll, reset };
}
