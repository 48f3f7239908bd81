import { EntityManager } from 'typeorm';

/**
 * Runs an UPDATE/DELETE ... RETURNING and gives back its rows (TypeORM's raw `query` answers
 * `[rows, count]` for those commands). The compare-and-set primitive: no rows means someone else won.
 */
export async function updateReturning<T = Record<string, unknown>>(em: EntityManager, sql: string, params: unknown[]): Promise<T[]> {
  const [rows] = (await em.query(sql, params)) as [T[], number];
  return rows;
}

/**
 * Runs a statement as a named prepared statement, so PostgreSQL plans it once per connection rather
 * than on every call: for hot statements whose planning costs as much as their work, like a batch of
 * reminders. In a transaction it runs on the transaction's connection; outside one, on a connection of
 * the pool for this statement alone (each connection prepares it on first use). One name, one text, always.
 */
export async function preparedQuery<T = Record<string, unknown>>(em: EntityManager, name: string, text: string, values: unknown[]): Promise<T[]> {
  const runner = em.queryRunner ?? em.connection.createQueryRunner();
  try {
    const client = (await runner.connect()) as { query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: T[] }> };
    return (await client.query({ name, text, values })).rows;
  } finally {
    if (!em.queryRunner) await runner.release();
  }
}
