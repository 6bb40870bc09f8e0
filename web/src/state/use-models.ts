import { useCallback, useEffect, useState } from 'react';
import { api } from '../api/client.js';
import type { ModelCatalog } from '../api/types.js';

/** The model catalog (`GET /api/models`) and its Refresh (`POST /api/models/refresh`). */
export interface ModelsState {
  catalog: ModelCatalog | null;
  loading: boolean;
  error: string | null;
  refresh: () => Promise<void>;
}

export function useModels(): ModelsState {
  const [catalog, setCatalog] = useState<ModelCatalog | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let cancelled = false;
    api
      .listModels()
      .then((result) => !cancelled && setCatalog(normalise(result)))
      .catch((caught: unknown) => !cancelled && setError(messageOf(caught)))
      .finally(() => !cancelled && setLoading(false));
    return () => {
      cancelled = true;
    };
  }, []);

  const refresh = useCallback(async () => {
    setLoading(true);
    setError(null);
    try {
      setCatalog(normalise(await api.refreshModels()));
    } catch (caught) {
      setError(messageOf(caught));
    } finally {
      setLoading(false);
    }
  }, []);

  return { catalog, loading, error, refresh };
}

function normalise(catalog: ModelCatalog): ModelCatalog {
  return { ...catalog, models: Array.isArray(catalog.models) ? catalog.models : [] };
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
