import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { Actor, UserKind } from '../../common/actor';
import { CursorKey } from '../../common/pagination';
import { FamilyRole } from '../access/access.service';
import { FamilyMemberEntity } from './family-member.entity';
import { FamilyEntity } from './family.entity';

export interface FamilyRow {
  id: string;
  name: string;
  /** Cut to the millisecond a JS Date holds, so the keyset cursor made from it compares exactly. */
  createdAt: Date;
}

export interface FamilyDetail {
  members: { userId: string; displayName: string; roles: FamilyRole[] }[];
  children: { id: string; displayName: string }[];
}

/**
 * Families and their members. Reads are scoped by the family or the actor they are about; callers
 * check access (AccessService) before they ask.
 */
@Injectable()
export class FamiliesRepository {
  constructor(private readonly dataSource: DataSource) {}

  insertFamily(em: EntityManager, input: { name: string; createdBy: string }): Promise<FamilyEntity> {
    return em.save(em.create(FamilyEntity, input));
  }

  /** A plain INSERT (not `save`, which would update): the same role twice is a unique violation. */
  async insertMember(em: EntityManager, input: { familyId: string; userId: string; role: FamilyRole }): Promise<void> {
    await em.insert(FamilyMemberEntity, input);
  }

  async family(familyId: string, em: EntityManager = this.dataSource.manager): Promise<FamilyRow | undefined> {
    const [row] = await em.query(
      `SELECT f.id, f.name, date_trunc('milliseconds', f.created_at) AS "createdAt" FROM families f WHERE f.id = $1`,
      [familyId],
    );
    return row;
  }

  /** The families of an adult (by membership) or of a child (its own); newest first. */
  familiesOf(actor: Actor, after: CursorKey | undefined, limit: number): Promise<FamilyRow[]> {
    const scope =
      actor.kind === UserKind.Child
        ? `EXISTS (SELECT 1 FROM children c WHERE c.family_id = f.id AND c.user_id = $1)`
        : `EXISTS (SELECT 1 FROM family_members m WHERE m.family_id = f.id AND m.user_id = $1)`;
    return this.dataSource.query(
      `SELECT f.id, f.name, date_trunc('milliseconds', f.created_at) AS "createdAt"
         FROM families f
        WHERE ${scope}
          AND ($2::timestamptz IS NULL OR (date_trunc('milliseconds', f.created_at), f.id) < ($2::timestamptz, $3::uuid))
        ORDER BY date_trunc('milliseconds', f.created_at) DESC, f.id DESC
        LIMIT $4`,
      [actor.userId, after?.createdAt ?? null, after?.id ?? null, limit],
    );
  }

  /** Members (names and roles only) and children of each family, in a stable order. */
  async details(familyIds: string[], em: EntityManager = this.dataSource.manager): Promise<Map<string, FamilyDetail>> {
    const result = new Map<string, FamilyDetail>(familyIds.map((id) => [id, { members: [], children: [] }]));
    if (familyIds.length === 0) return result;
    const members: { familyId: string; userId: string; displayName: string; roles: FamilyRole[] }[] = await em.query(
      `SELECT m.family_id AS "familyId", m.user_id AS "userId", u.display_name AS "displayName",
              array_agg(m.role ORDER BY m.role) AS roles
         FROM family_members m JOIN users u ON u.id = m.user_id
        WHERE m.family_id = ANY($1::uuid[])
        GROUP BY m.family_id, m.user_id, u.display_name
        ORDER BY min(m.joined_at), m.user_id`,
      [familyIds],
    );
    const children: { familyId: string; id: string; displayName: string }[] = await em.query(
      `SELECT c.family_id AS "familyId", c.user_id AS id, u.display_name AS "displayName"
         FROM children c JOIN users u ON u.id = c.user_id
        WHERE c.family_id = ANY($1::uuid[])
        ORDER BY c.created_at, c.user_id`,
      [familyIds],
    );
    for (const { familyId, ...member } of members) result.get(familyId)!.members.push(member);
    for (const { familyId, ...child } of children) result.get(familyId)!.children.push(child);
    return result;
  }

  async rolesOf(em: EntityManager, familyId: string, userId: string): Promise<FamilyRole[]> {
    const rows: { role: FamilyRole }[] = await em.query(`SELECT role FROM family_members WHERE family_id = $1 AND user_id = $2`, [familyId, userId]);
    return rows.map((r) => r.role);
  }

  /**
   * Every adult of the family becomes an approved contact of every child of the family (on joining,
   * and when a child is added). Someone who was already a contact by request is one by family now.
   */
  async approveFamilyAdults(em: EntityManager, familyId: string): Promise<void> {
    await em.query(
      `INSERT INTO child_contacts (child_id, contact_user_id, source)
       SELECT DISTINCT c.user_id, m.user_id, 'family'
         FROM children c JOIN family_members m ON m.family_id = c.family_id
        WHERE c.family_id = $1
       ON CONFLICT (child_id, contact_user_id) DO UPDATE SET source = 'family'
        WHERE child_contacts.source <> 'family'`,
      [familyId],
    );
  }

  /** The few fields of an adult that texts and new child profiles need; never a phone or an email. */
  async person(em: EntityManager, userId: string): Promise<{ displayName: string; locale: string; timeZone: string }> {
    const [row] = await em.query(`SELECT display_name AS "displayName", locale, time_zone AS "timeZone" FROM users WHERE id = $1`, [userId]);
    return row;
  }

  /** The account that registered this phone, if any: an invitation by SMS also lands in its notifications. */
  async adultByPhone(em: EntityManager, phone: string): Promise<{ id: string; locale: string } | undefined> {
    const [row] = await em.query(`SELECT id, locale FROM users WHERE phone = $1 AND kind = 'adult'`, [phone]);
    return row;
  }
}
