import type { WebStatus } from '../api/types.js';
import { appendText, type Part, type ToolPart } from './turn.js';

/**
 * The answer being streamed, kept outside React state so that only the live message
 * re-renders, at most once per animation frame, however fast the tokens arrive.
 */
export interface LiveSnapshot {
  active: boolean;
  runId: string | null;
  parts: Part[];
  webStatus: WebStatus | null;
}

const IDLE: LiveSnapshot = { active: false, runId: null, parts: [], webStatus: null };

export class LiveMessageStore {
  private snapshot: LiveSnapshot = IDLE;
  private pendingText = '';
  private frame: number | null = null;
  private readonly listeners = new Set<() => void>();

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly getSnapshot = (): LiveSnapshot => this.snapshot;

  start(): void {
    this.cancelFrame();
    this.pendingText = '';
    this.snapshot = { active: true, runId: null, parts: [], webStatus: null };
    this.emit();
  }

  setRunId(runId: string): void {
    this.snapshot = { ...this.snapshot, runId };
    this.emit();
  }

  /** Buffers a token; the screen catches up on the next animation frame. */
  appendText(delta: string): void {
    if (!this.snapshot.active || delta === '') return;
    this.pendingText += delta;
    if (this.frame === null) this.frame = requestAnimationFrame(() => this.flush());
  }

  addToolCall(call: { id: string; name: string; args: unknown }): void {
    this.flushText();
    this.snapshot = { ...this.snapshot, parts: [...this.snapshot.parts, { kind: 'tool', ...call }] };
    this.emit();
  }

  addToolResult(result: { id: string; name: string; result: unknown; webStatus: WebStatus | null }): void {
    this.flushText();
    const parts = [...this.snapshot.parts];
    const index = parts.findIndex((part) => part.kind === 'tool' && part.id === result.id && part.result === undefined);
    const part: ToolPart = {
      kind: 'tool',
      id: result.id,
      name: result.name,
      args: index >= 0 ? (parts[index] as ToolPart).args : undefined,
      result: result.result,
      webStatus: result.webStatus,
    };
    if (index >= 0) parts[index] = part;
    else parts.push(part);
    const webStatus = worstWebStatus(this.snapshot.webStatus, result.webStatus);
    this.snapshot = { ...this.snapshot, parts, webStatus };
    this.emit();
  }

  /** Ends the live message and returns its parts with every buffered token included. */
  finish(): Part[] {
    this.flushText();
    const parts = this.snapshot.parts;
    this.snapshot = IDLE;
    this.emit();
    return parts;
  }

  /** The parts so far (buffered tokens included), without ending the message. */
  peek(): Part[] {
    return this.pendingText === '' ? this.snapshot.parts : appendText(this.snapshot.parts, this.pendingText);
  }

  private flush(): void {
    this.frame = null;
    if (this.flushText()) this.emit();
  }

  private flushText(): boolean {
    this.cancelFrame();
    if (this.pendingText === '') return false;
    this.snapshot = { ...this.snapshot, parts: appendText(this.snapshot.parts, this.pendingText) };
    this.pendingText = '';
    return true;
  }

  private cancelFrame(): void {
    if (this.frame !== null) cancelAnimationFrame(this.frame);
    this.frame = null;
  }

  private emit(): void {
    for (const listener of this.listeners) listener();
  }
}

/** blocked beats ok beats off: one refused fetch marks the run. */
export function worstWebStatus(current: WebStatus | null, next: WebStatus | null | undefined): WebStatus | null {
  if (current === 'blocked' || next === 'blocked') return 'blocked';
  if (current === 'ok' || next === 'ok') return 'ok';
  return next ?? current;
}
