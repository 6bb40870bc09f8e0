import { useCallback, useEffect, useState } from 'react';
import { api } from '../api/client.js';
import type { SessionListItem } from '../api/types.js';
import { useLabChanged } from './lab-events.js';
import { messageOf } from './use-models.js';

/** The saved sessions (`GET /api/sessions`), newest first. */
export interface SessionsState {
  sessions: SessionListItem[];
  loading: boolean;
  error: string | null;
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

  const reload = useCallback(async () => {
    setLoading(true);
    try {
      const list = await api.listSessions();
      setSessions([...list].sort(newestFirst));
      setError(null);
    } catch (caught) {
      setError(messageOf(caught));
    } finally {
      setLoading(false);
    }
  }, []);

  useEffect(() => {
    void reload();
  }, [reload]);
  useLabChanged(['sessions'], () => void reload());

  const remove = useCallback(async (id: string) => {
    await api.deleteSession(id);
    setSessions((list) => list.filter((session) => session.id !== id));
  }, []);

  return { sessions, loading, error, reload, remove };
}
