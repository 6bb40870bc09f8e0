import { z } from 'zod';

/**
 * The snapshot manifest (`manifest.json`) as a schema. A manifest is outside input: a
 * snapshot folder can be copied around or altered, so every path it names is checked to be
 * one agent-lab writes — a plain relative path inside the snapshot and, restored, inside the
 * data directory — and `restores_to` can only name runs.csv (from runs.csv.gz) or scores.csv (from scores.csv.gz).
 */

export const BACKUP_FORMAT = 'agent-lab-backup/1';

/** One path segment: no separators, no `.`/`..`, no control characters, not hidden. */
const SEGMENT = String.raw`[^/\\\u0000-\u001f\u007f-\u009f.][^/\\\u0000-\u001f\u007f-\u009f]*`;
/** Every path a snapshot may hold: runs.csv.gz, scores.csv.gz, agents.json, revoked-sessions.json, sessions/<id>.json, agents/<id>.json. */
const SNAPSHOT_PATH = new RegExp(String.raw`^(?:runs\.csv\.gz|scores\.csv\.gz|agents\.json|revoked-sessions\.json|(?:sessions|agents)/${SEGMENT}\.json)$`, 'u');

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be a SHA-256 in hex');
const byteCount = z.number().int().nonnegative();

export const backupFileEntrySchema = z
  .object({
    /** Path inside the snapshot: `sessions/<id>.json`, `runs.csv.gz`, `scores.csv.gz`, `agents.json`, `revoked-sessions.json`, `agents/<id>.json`. */
    path: z.string().regex(SNAPSHOT_PATH, 'is not a file a snapshot holds (runs.csv.gz, scores.csv.gz, agents.json, revoked-sessions.json, sessions/<id>.json, agents/<id>.json)'),
    sha256: sha256Hex,
    bytes: byteCount,
    /** For `runs.csv.gz` / `scores.csv.gz`: the data file it restores to (only ever runs.csv / scores.csv)... */
    restores_to: z.enum(['runs.csv', 'scores.csv'], { error: 'must be "runs.csv" or "scores.csv", the only files a snapshot restores its .csv.gz files to' }).optional(),
    /** ...and the checksum and size of its uncompressed content. */
    content_sha256: sha256Hex.optional(),
    content_bytes: byteCount.optional(),
  })
  .refine((entry) => entry.path.endsWith('.csv.gz') || (entry.restores_to === undefined && entry.content_sha256 === undefined), {
    message: 'only runs.csv.gz and scores.csv.gz carry restores_to and content_sha256',
  })
  .refine((entry) => entry.restores_to === undefined || `${entry.restores_to}.gz` === entry.path, {
    message: 'restores_to must name the file the snapshot file is a copy of (runs.csv.gz → runs.csv, scores.csv.gz → scores.csv)',
    path: ['restores_to'],
  });

export const backupManifestSchema = z.object({
  format: z.literal(BACKUP_FORMAT),
  name: z.string(),
  created_at: z.string(),
  data_dir: z.string(),
  incremental_from: z.string().nullable(),
  files: z.array(backupFileEntrySchema),
});

/** One file of a snapshot, as its manifest lists it. */
export type BackupFileEntry = z.infer<typeof backupFileEntrySchema>;
export type BackupManifest = z.infer<typeof backupManifestSchema>;

/** Parse a manifest's JSON value; the first problem as `files[3].restores_to: must be ...`, or the manifest. */
export function parseBackupManifest(value: unknown): { ok: true; manifest: BackupManifest } | { ok: false; problem: string } {
  const parsed = backupManifestSchema.safeParse(value);
  if (parsed.success) return { ok: true, manifest: parsed.data };
  const issue = parsed.error.issues[0]!;
  const where = issue.path.map((key) => (typeof key === 'number' ? `[${key}]` : `.${String(key)}`)).join('').replace(/^\./, '');
  return { ok: false, problem: `${where || 'manifest'}: ${issue.message}` };
}
