import { EntityManager } from 'typeorm';

/**
 * Runs an UPDATE/DELETE ... RETURNING and gives back its rows (TypeORM's raw `query` answers
 * `[rows, count]` for those commands). The compare-and-set primitive: no rows means someone else won.
 */
export async function updateReturning<T = Record<string, unknown>>(em: EntityManager, sql: string, params: unknown[]): Promise<T[]> {
  const [rows] = (await em.query(sql, params)) as [T[], number];
  return rows;
}
