import { sql, type Insertable, type Transaction } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { LabError } from '../../domain/errors.js';
import { SESSION_ID_PATTERN, sessionSchema, toSession, type Session } from '../../domain/session.js';
import { newSession, parseTranscript, startSession, toSessionDocument, toSessionListEntry, withChanges, withTurn } from '../../domain/session-edit.js';
import { searchWords, type AppendTurnOptions, type SessionInput, type SessionListOptions, type SessionRepository, type SessionSummary } from '../../domain/session-repository.js';
import { databaseCall } from './database-error.js';
import { replaceUnstorableCharacters } from './storable-text.js';
import { timeOf } from './time-columns.js';
import type { Database, LabDatabase, SessionsTable } from './database.js';

/**
 * Sessions in the `sessions` table: the session document (what its JSON file would hold) as
 * jsonb, plus the columns the list shows and sorts by. Every change reads the row with
 * `SELECT ... FOR UPDATE` in a transaction, so two instances adding turns to one session at
 * once both land (the second waits for the first and applies its turn to the result).
 */
export class PostgresSessionStore implements SessionRepository {
  readonly #db: Database;

  constructor(options: { db: Database }) {
    this.#db = options.db;
  }

  /** Sessions newest first (by updated_at, then id; see SessionRepository.list). */
  async list(options: SessionListOptions = {}): Promise<SessionSummary[]> {
    let query = this.#db
      .selectFrom('sessions')
      .select(['id', 'name', 'created_at', 'updated_at', 'model_id', 'turns', 'runs'])
      .orderBy('sort_at', (order) => order.desc().nullsLast())
      .orderBy('id', 'desc');
    // The words as text to find (strpos), not LIKE patterns: `%` and `_` in a search are
    // literal; translate() lowers A–Z only, as searchWords does, whatever the database's locale.
    const haystack = sql`translate(${sql.ref('name')} || ' ' || ${sql.ref('id')} || ' ' || ${sql.ref('model_id')}, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')`;
    for (const word of searchWords(replaceUnstorableCharacters(options.q))) query = query.where(sql<boolean>`strpos(${haystack}, ${word}) > 0`);
    if (options.limit !== undefined) query = query.limit(options.limit);
    const rows = await databaseCall('listing sessions', () => query.execute());
    return rows.map((row) => ({ ...row }));
  }

  async get(id: string): Promise<Session> {
    validateId(id);
    const row = await databaseCall('reading a session', () => this.#db.selectFrom('sessions').select('document').where('id', '=', id).executeTakeFirst());
    if (!row) throw notFound(id);
    return readSession(row.document, id);
  }

  async create(input: SessionInput = {}): Promise<Session> {
    const session = newSession(uuidv7(), input);
    await databaseCall('saving a session', () => this.#db.insertInto('sessions').values(sessionRow(session)).execute());
    return session;
  }

  async update(id: string, patch: SessionInput): Promise<Session> {
    validateId(id);
    const transcript = patch.transcript === undefined ? undefined : parseTranscript(patch.transcript);
    return databaseCall('saving a session', () =>
      this.#db.transaction().execute(async (transaction) => {
        const current = await lockedSession(transaction, id);
        if (!current) throw notFound(id);
        const updated = withChanges(current, { ...patch, transcript });
        await save(transaction, updated);
        return updated;
      }),
    );
  }

  async delete(id: string): Promise<void> {
    validateId(id);
    const result = await databaseCall('deleting a session', () => this.#db.deleteFrom('sessions').where('id', '=', id).executeTakeFirst());
    if (result.numDeletedRows === 0n) throw notFound(id);
  }

  /**
   * Add one turn. Resolves once the transaction has committed. A session that does not exist
   * is created when `createIfMissing` is set (`ON CONFLICT DO NOTHING`, then locked, so two
   * instances starting one session both land in the same row).
   */
  async appendTurn(options: AppendTurnOptions): Promise<Session> {
    validateId(options.sessionId);
    const turn = { ...options, entries: parseTranscript(options.entries) };
    return databaseCall('recording a turn in a session', () =>
      this.#db.transaction().execute(async (transaction) => {
        let current = await lockedSession(transaction, turn.sessionId);
        if (!current) {
          if (!turn.createIfMissing) throw notFound(turn.sessionId);
          await transaction
            .insertInto('sessions')
            .values(sessionRow(startSession(turn.sessionId, turn.createIfMissing)))
            .onConflict((conflict) => conflict.column('id').doNothing())
            .execute();
          current = await lockedSession(transaction, turn.sessionId);
          if (!current) throw notFound(turn.sessionId);
        }
        const updated = withTurn(current, turn);
        await save(transaction, updated);
        return updated;
      }),
    );
  }
}

function validateId(id: string): void {
  if (!SESSION_ID_PATTERN.test(id)) throw new LabError('bad_request:id', 'Session id must be 1-64 characters of A-Z, a-z, 0-9, _ or -');
}

function notFound(id: string): LabError {
  return new LabError('not_found:session', `Session ${id} does not exist`);
}

/** A stored document → the API's session (documents written by `import` may be legacy files). */
function readSession(document: unknown, id: string): Session {
  const parsed = sessionSchema.safeParse(document);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
    throw new LabError('unavailable:store', `Session ${id} in the database is not a session (${issue?.message ?? 'invalid'}${where}).`, {
      cause: parsed.error,
      retryable: false,
    });
  }
  return toSession(parsed.data, id);
}

async function lockedSession(transaction: Transaction<LabDatabase>, id: string): Promise<Session | undefined> {
  const row = await transaction.selectFrom('sessions').select('document').where('id', '=', id).forUpdate().executeTakeFirst();
  return row ? readSession(row.document, id) : undefined;
}

/** A session as a row of `sessions` (for saving, and for `agent-lab import`). */
export function sessionRow(session: Session): Insertable<SessionsTable> & { id: string } {
  const clean = replaceUnstorableCharacters(session);
  const entry = toSessionListEntry(clean);
  return {
    id: clean.id,
    created_at: clean.created_at,
    updated_at: clean.updated_at,
    sort_at: timeOf(clean.updated_at) ?? timeOf(clean.created_at),
    name: entry.name,
    model_id: entry.model_id,
    turns: entry.turns,
    runs: entry.runs,
    document: JSON.stringify(toSessionDocument(clean)),
  };
}

async function save(transaction: Transaction<LabDatabase>, session: Session): Promise<void> {
  const { id, ...row } = sessionRow(session);
  await transaction.updateTable('sessions').set(row).where('id', '=', id).execute();
}
