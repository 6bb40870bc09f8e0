import { useEffect, useState } from 'react';

/** How long typing in a search box pauses before the server is asked. */
export const SEARCH_PAUSE_MS = 250;

/** `value` once it has stayed the same for `delayMs` (a search box's text, asked for when typing pauses). */
export function useDebounced<T>(value: T, delayMs: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), delayMs);
    return () => clearTimeout(timer);
  }, [value, delayMs]);
  return settled;
}
