import { memo } from 'react';
import type { ToolPart } from './turn.js';

function show(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value, null, 2);
  } catch {
    return String(value);
  }
}

/** A tool call and its result, inline in the answer and collapsible (closed by default). */
export const ToolPartView = memo(function ToolPartView({ part }: { part: ToolPart }) {
  const pending = part.result === undefined;
  const status = part.webStatus === 'blocked' ? 'blocked' : pending ? 'running' : 'done';
  return (
    <details className={`tool tool-${status}`} data-testid="tool-call" data-tool={part.name} data-status={status}>
      <summary>
        <span className="tool-name">{part.name}</span>
        <span className="tool-state">{pending ? 'running…' : part.webStatus === 'blocked' ? 'refused' : 'done'}</span>
      </summary>
      <div className="tool-body">
        <div className="tool-label">Arguments</div>
        <pre>{show(part.args) || '—'}</pre>
        {!pending && (
          <>
            <div className="tool-label">Result</div>
            <pre data-testid="tool-result">{show(part.result)}</pre>
          </>
        )}
      </div>
    </details>
  );
});
