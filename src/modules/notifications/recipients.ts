import { EntityManager } from 'typeorm';

export interface Recipient {
  id: string;
  locale: string;
  phone: string | null;
}

/**
 * The few user fields a notification needs. Read with SQL rather than through IdentityService
 * because identity depends on this module (it sends codes), so the reverse import would be a cycle;
 * this read is the whole of the coupling, and preferences will join it here.
 */
export async function findRecipient(em: EntityManager, userId: string): Promise<Recipient | undefined> {
  const rows: Recipient[] = await em.query(`SELECT id, locale, phone FROM users WHERE id = $1`, [userId]);
  return rows[0];
}
