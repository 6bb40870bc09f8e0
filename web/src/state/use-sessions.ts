import { useCallback, useEffect, useRef, useState } from 'react';
import { api } from '../api/client.js';
import type { SessionListItem } from '../api/types.js';
import { useLabChanged } from './lab-events.js';
import { SEARCH_PAUSE_MS, useDebounced } from './use-debounced.js';
import { messageOf } from './use-models.js';

/** Sessions the sidebar asks for at first, and how many more each "Show more" adds. */
export const SESSIONS_PAGE = 500;

/**
 * The saved sessions (`GET /api/sessions`), newest first: the newest SESSIONS_PAGE matching the
 * search, more on request. The search is answered by the server, so it finds sessions older
 * than the ones loaded.
 */
export interface SessionsState {
  sessions: SessionListItem[];
  loading: boolean;
  error: string | null;
  /** True when the server has more sessions (matching the search) than are loaded. */
  truncated: boolean;
  search: string;
  setSearch: (search: string) => void;
  showMore: () => void;
  reload: () => Promise<void>;
  remove: (id: string) => Promise<void>;
}

function newestFirst(a: SessionListItem, b: SessionListItem): number {
  return String(b.updated_at ?? b.created_at ?? b.id).localeCompare(String(a.updated_at ?? a.created_at ?? a.id));
}

export function useSessions(): SessionsState {
  const [sessions, setSessions] = useState<SessionListItem[]>([]);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [truncated, setTruncated] = useState(false);
  const [search, setSearch] = useState('');
  const [query, setQuery] = useState({ limit: SESSIONS_PAGE, q: '' });
  const latestQuery = useRef(query);
  latestQuery.current = query;

  const reload = useCallback(async () => {
    const asked = latestQuery.current;
    setLoading(true);
    try {
      const answer = await api.listSessions(asked);
      // An answer to an older query (the search changed meanwhile) is dropped.
      if (latestQuery.current !== asked) return;
      setSessions([...answer.sessions].sort(newestFirst));
      setTruncated(answer.truncated);
      setError(null);
    } catch (caught) {
      setError(messageOf(caught));
    } finally {
      setLoading(false);
    }
  }, []);

  const q = useDebounced(search.trim(), SEARCH_PAUSE_MS);
  useEffect(() => setQuery((current) => (current.q === q ? current : { limit: SESSIONS_PAGE, q })), [q]);
  useEffect(() => {
    void reload();
  }, [query, reload]);
  useLabChanged(['sessions'], () => void reload());

  const showMore = useCallback(() => setQuery((current) => ({ ...current, limit: current.limit + SESSIONS_PAGE })), []);

  const remove = useCallback(async (id: string) => {
    await api.deleteSession(id);
    setSessions((list) => list.filter((session) => session.id !== id));
  }, []);

  return { sessions, loading, error, truncated, search, setSearch, showMore, reload, remove };
}
