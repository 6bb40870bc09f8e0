import { LabError } from '../domain/errors.js';

/** Runs in flight, by run id, so `POST /api/runs/:id/cancel` and shutdown can stop them. */
export class RunRegistry {
  private readonly running = new Map<string, AbortController>();
  private closed = false;

  /** Refuse new runs from now on (graceful shutdown); runs in flight go on until cancelled. */
  close(): void {
    this.closed = true;
  }

  /** Register a run; returns the signal the run must honour and a function to unregister. */
  register(runId: string, parent?: AbortSignal): { signal: AbortSignal; done: () => void } {
    if (this.closed) throw new LabError('shutting_down:service', 'Agent Lab is shutting down; try again in a moment.');
    const controller = new AbortController();
    const onParentAbort = () => controller.abort(parent?.reason);
    if (parent) {
      if (parent.aborted) controller.abort(parent.reason);
      else parent.addEventListener('abort', onParentAbort, { once: true });
    }
    this.running.set(runId, controller);
    return {
      signal: controller.signal,
      done: () => {
        parent?.removeEventListener('abort', onParentAbort);
        this.running.delete(runId);
      },
    };
  }

  /** Stop one run; 404 when it is not running (finished, or never existed). */
  cancel(runId: string, reason = 'cancelled by request'): void {
    const controller = this.running.get(runId);
    if (!controller) throw new LabError('not_found:run', `Run ${runId} is not running (it may have finished already).`);
    controller.abort(new DOMException(reason, 'AbortError'));
  }

  /** Stop every run (graceful shutdown). */
  cancelAll(reason: string): number {
    for (const controller of this.running.values()) controller.abort(new DOMException(reason, 'AbortError'));
    return this.running.size;
  }

  get size(): number {
    return this.running.size;
  }
}
