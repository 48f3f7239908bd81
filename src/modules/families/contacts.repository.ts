import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { CursorKey } from '../../common/pagination';
import { updateReturning } from '../../database/sql';
import { ContactSource } from './child-contact.entity';
import { ContactRequestStatus } from './contact-request.entity';

export interface ContactRow {
  childId: string;
  contactUserId: string;
  displayName: string;
  source: ContactSource;
  relationship: string | null;
  approvedBy: string | null;
  approvedAt: Date;
}

export interface ContactRequestRow {
  id: string;
  childId: string;
  contactUserId: string;
  contactDisplayName: string;
  requestedBy: string;
  requesterDisplayName: string;
  relationship: string | null;
  note: string | null;
  status: ContactRequestStatus;
  decidedBy: string | null;
  decidedAt: Date | null;
  /** Cut to the millisecond a JS Date holds, so the keyset cursor made from it compares exactly. */
  createdAt: Date;
}

const REQUEST_COLUMNS = `
  r.id, r.child_id AS "childId", r.contact_user_id AS "contactUserId", cu.display_name AS "contactDisplayName",
  r.requested_by AS "requestedBy", ru.display_name AS "requesterDisplayName", r.relationship, r.note, r.status,
  r.decided_by AS "decidedBy", r.decided_at AS "decidedAt", date_trunc('milliseconds', r.created_at) AS "createdAt"`;
const REQUEST_FROM = `contact_requests r JOIN users cu ON cu.id = r.contact_user_id JOIN users ru ON ru.id = r.requested_by`;

/** A child's approved contacts and the requests to become one; every read is scoped by the child. */
@Injectable()
export class ContactsRepository {
  constructor(private readonly dataSource: DataSource) {}

  contactsOf(childId: string, em: EntityManager = this.dataSource.manager): Promise<ContactRow[]> {
    return em.query(
      `SELECT cc.child_id AS "childId", cc.contact_user_id AS "contactUserId", u.display_name AS "displayName", cc.source,
              cc.relationship, cc.approved_by AS "approvedBy", cc.approved_at AS "approvedAt"
         FROM child_contacts cc JOIN users u ON u.id = cc.contact_user_id
        WHERE cc.child_id = $1
        ORDER BY cc.source, cc.approved_at, cc.contact_user_id`,
      [childId],
    );
  }

  async isContact(em: EntityManager, childId: string, userId: string): Promise<boolean> {
    const [row] = await em.query(`SELECT 1 FROM child_contacts WHERE child_id = $1 AND contact_user_id = $2`, [childId, userId]);
    return !!row;
  }

  /** An adult account by its registered phone or email (emails are stored lower-cased). */
  async adultByLogin(em: EntityManager, login: { phone?: string; email?: string }): Promise<{ id: string } | undefined> {
    const [row] = login.phone
      ? await em.query(`SELECT id FROM users WHERE phone = $1 AND kind = 'adult'`, [login.phone])
      : await em.query(`SELECT id FROM users WHERE email = $1 AND kind = 'adult'`, [login.email!.toLowerCase()]);
    return row;
  }

  async insertRequest(
    em: EntityManager,
    input: { childId: string; contactUserId: string; requestedBy: string; relationship: string; note: string | null },
  ): Promise<string> {
    const [row] = await em.query(
      `INSERT INTO contact_requests (child_id, contact_user_id, requested_by, relationship, note) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
      [input.childId, input.contactUserId, input.requestedBy, input.relationship, input.note],
    );
    return row.id;
  }

  async request(em: EntityManager, requestId: string): Promise<ContactRequestRow | undefined> {
    const [row] = await em.query(`SELECT ${REQUEST_COLUMNS} FROM ${REQUEST_FROM} WHERE r.id = $1`, [requestId]);
    return row;
  }

  /** Which child a request is about: all the access check needs to decide whether the caller may see it. */
  async requestChildId(requestId: string): Promise<string | undefined> {
    const [row] = await this.dataSource.query(`SELECT child_id AS "childId" FROM contact_requests WHERE id = $1`, [requestId]);
    return row?.childId;
  }

  requestsOf(childId: string, status: ContactRequestStatus | undefined, after: CursorKey | undefined, limit: number): Promise<ContactRequestRow[]> {
    return this.dataSource.query(
      `SELECT ${REQUEST_COLUMNS} FROM ${REQUEST_FROM}
        WHERE r.child_id = $1
          AND ($2::text IS NULL OR r.status = $2)
          AND ($3::timestamptz IS NULL OR (date_trunc('milliseconds', r.created_at), r.id) < ($3::timestamptz, $4::uuid))
        ORDER BY date_trunc('milliseconds', r.created_at) DESC, r.id DESC
        LIMIT $5`,
      [childId, status ?? null, after?.createdAt ?? null, after?.id ?? null, limit],
    );
  }

  allRequestsOf(em: EntityManager, childId: string): Promise<ContactRequestRow[]> {
    return em.query(`SELECT ${REQUEST_COLUMNS} FROM ${REQUEST_FROM} WHERE r.child_id = $1 ORDER BY r.created_at, r.id`, [childId]);
  }

  /** Compare-and-set from pending: false when someone else decided it first. */
  async decide(em: EntityManager, requestId: string, status: ContactRequestStatus, decidedBy: string, at: Date): Promise<boolean> {
    const rows = await updateReturning(
      em,
      `UPDATE contact_requests SET status = $2, decided_by = $3, decided_at = $4 WHERE id = $1 AND status = 'pending' RETURNING id`,
      [requestId, status, decidedBy, at],
    );
    return rows.length === 1;
  }

  /** A person who meanwhile became a contact (e.g. joined the family) keeps the approval they have. */
  async insertApprovedContact(
    em: EntityManager,
    input: { childId: string; contactUserId: string; relationship: string | null; approvedBy: string; approvedAt: Date },
  ): Promise<void> {
    await em.query(
      `INSERT INTO child_contacts (child_id, contact_user_id, source, relationship, approved_by, approved_at)
       VALUES ($1, $2, 'request', $3, $4, $5) ON CONFLICT (child_id, contact_user_id) DO NOTHING`,
      [input.childId, input.contactUserId, input.relationship, input.approvedBy, input.approvedAt],
    );
  }

  async contact(em: EntityManager, childId: string, userId: string): Promise<{ source: ContactSource } | undefined> {
    const [row] = await em.query(`SELECT source FROM child_contacts WHERE child_id = $1 AND contact_user_id = $2 FOR UPDATE`, [childId, userId]);
    return row;
  }

  async removeContact(em: EntityManager, childId: string, userId: string): Promise<boolean> {
    const rows = await updateReturning(em, `DELETE FROM child_contacts WHERE child_id = $1 AND contact_user_id = $2 RETURNING contact_user_id`, [
      childId,
      userId,
    ]);
    return rows.length === 1;
  }

  /** Who holds the child's controls: its family's guardians, or its parents while the family has none. */
  async controllerIds(em: EntityManager, childId: string): Promise<string[]> {
    const rows: { userId: string }[] = await em.query(
      `WITH fam AS (SELECT family_id FROM children WHERE user_id = $1),
            guardians AS (SELECT DISTINCT m.user_id FROM family_members m JOIN fam ON fam.family_id = m.family_id WHERE m.role = 'guardian')
       SELECT user_id AS "userId" FROM guardians
       UNION
       SELECT DISTINCT m.user_id FROM family_members m JOIN fam ON fam.family_id = m.family_id
        WHERE m.role = 'parent' AND NOT EXISTS (SELECT 1 FROM guardians)`,
      [childId],
    );
    return rows.map((r) => r.userId).sort();
  }
}
