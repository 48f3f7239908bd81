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
 * Runs a statement as a named prepared statement on the entity manager's connection (a transaction's),
 * so PostgreSQL plans it once per connection rather than on every call: for hot statements whose
 * planning costs as much as their work, like a batch of reminders. One name, one text, always.
 */
export async function preparedQuery<T = Record<string, unknown>>(em: EntityManager, name: string, text: string, values: unknown[]): Promise<T[]> {
  // outside a transaction there is no connection of our own to keep the statement on
  if (!em.queryRunner) return em.query(text, values);
  const client = (await em.queryRunner.connect()) as { query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: T[] }> };
  return (await client.query({ name, text, values })).rows;
}
