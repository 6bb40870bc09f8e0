import type { Database } from './database.js';

/**
 * Revoked sign-in sessions in the `revoked_sessions` table: a logout on one instance holds on
 * every instance on the database (each reads the table every few seconds). Rows whose cookie
 * has expired are deleted as new ones are added.
 */
export class PostgresRevokedSessions {
  readonly #db: Database;
  readonly #now: () => number;

  constructor(options: { db: Database; now?: () => number }) {
    this.#db = options.db;
    this.#now = options.now ?? Date.now;
  }

  async load(): Promise<Map<string, number>> {
    const rows = await this.#db.selectFrom('revoked_sessions').select(['id', 'expires_at']).where('expires_at', '>', new Date(this.#now())).execute();
    return new Map(rows.map((row) => [row.id, row.expires_at.getTime()]));
  }

  async add(id: string, expiresAt: number): Promise<void> {
    await this.#db.transaction().execute(async (transaction) => {
      await transaction.deleteFrom('revoked_sessions').where('expires_at', '<=', new Date(this.#now())).execute();
      await transaction
        .insertInto('revoked_sessions')
        .values({ id, expires_at: new Date(expiresAt) })
        .onConflict((conflict) => conflict.column('id').doNothing())
        .execute();
    });
  }
}
