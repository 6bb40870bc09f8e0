import { z } from 'zod';

/**
 * A conversation, as stored in `data/sessions/<id>.json`. The schema also accepts the
 * earlier Python Agent Lab's files: no `runs`, `created_at` like
 * `2025-10-01 02:31:41.664704+00:00`, the name kept in `notes`, loose transcript entries.
 */

/** Ids the API accepts: 1-64 characters of `[A-Za-z0-9_-]`, so no id can name a path. */
export const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const sessionIdSchema = z
  .string()
  .regex(SESSION_ID_PATTERN, 'session id must be 1-64 characters of A-Z, a-z, 0-9, _ or -');

export const transcriptEntrySchema = z
  .object({
    role: z.enum(['system', 'user', 'assistant', 'tool']),
    content: z.string(),
    ts: z.string().nullish(),
    run_id: z.string().nullish(),
  })
  .passthrough();
export type TranscriptEntry = z.output<typeof transcriptEntrySchema>;

/** A run record kept inside a session (loose: a newer lab may add fields). */
export const sessionRunSchema = z
  .object({
    run_id: z.string(),
    ts: z.string(),
    model: z.string(),
  })
  .passthrough();

export const sessionSchema = z
  .object({
    id: z.string().nullish(),
    created_at: z.string().nullish(),
    updated_at: z.string().nullish(),
    name: z.string().nullish(),
    notes: z.string().nullish(),
    agent_config: z.record(z.string(), z.unknown()).nullish(),
    model_id: z.string().nullish(),
    transcript: z.array(transcriptEntrySchema).default([]),
    runs: z.array(sessionRunSchema).nullish(),
  })
  .passthrough();
export type SessionFile = z.output<typeof sessionSchema>;

/** A session as the API returns it: every field present. */
export interface Session {
  id: string;
  created_at: string;
  updated_at: string;
  name: string;
  notes: string;
  agent_config: Record<string, unknown> | null;
  model_id: string;
  transcript: TranscriptEntry[];
  runs: Array<Record<string, unknown>>;
}

/** Legacy timestamps (`2025-10-01 02:31:41.664704+00:00`) → ISO 8601 UTC; others kept as they are. */
export function normaliseTimestamp(value: string | null | undefined): string {
  if (!value) return '';
  const legacy = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d+)?([+-]\d{2}:?\d{2}|Z)?$/.exec(value.trim());
  if (!legacy) return value;
  const fraction = legacy[3] ? legacy[3].slice(0, 4).padEnd(4, '0') : '.000';
  const zone = legacy[4] ?? 'Z';
  const date = new Date(`${legacy[1]}T${legacy[2]}${fraction}${zone === 'Z' ? 'Z' : zone}`);
  return Number.isNaN(date.getTime()) ? value : date.toISOString();
}

/** A parsed session file → the API's complete shape; `fileId` is the file name without `.json`. */
export function toSession(file: SessionFile, fileId: string): Session {
  const created = normaliseTimestamp(file.created_at);
  return {
    ...file,
    id: fileId,
    created_at: created,
    updated_at: normaliseTimestamp(file.updated_at) || created,
    name: file.name ?? file.notes ?? '',
    notes: file.notes ?? '',
    agent_config: file.agent_config ?? null,
    model_id: file.model_id ?? (typeof file.agent_config?.model === 'string' ? file.agent_config.model : ''),
    transcript: file.transcript,
    runs: (file.runs ?? []) as Array<Record<string, unknown>>,
  };
}

