import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { UserKind } from '../../common/actor';
import { FamilyRole } from '../access/access.service';

export interface FamilyPerson {
  userId: string;
  displayName: string;
  kind: UserKind;
  roles: FamilyRole[];
}

/** The people whose presence a user may see, and who may see theirs. */
@Injectable()
export class PresenceRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** A family's adults and children, adults first; `onlyChild` narrows the children to that one. */
  async familyPeople(familyId: string, onlyChild: string | null): Promise<FamilyPerson[]> {
    // array_agg over a group is never null, and children come with an empty array
    return this.dataSource.query(
      `SELECT u.id AS "userId", u.display_name AS "displayName", u.kind, array_agg(DISTINCT m.role ORDER BY m.role) AS roles
         FROM family_members m JOIN users u ON u.id = m.user_id
        WHERE m.family_id = $1 GROUP BY u.id
       UNION ALL
       SELECT u.id, u.display_name, u.kind, '{}'::text[] FROM children c JOIN users u ON u.id = c.user_id
        WHERE c.family_id = $1 AND ($2::uuid IS NULL OR c.user_id = $2)
        ORDER BY 3, 2`,
      [familyId, onlyChild],
    );
  }

  /**
   * Who sees a user's presence: the adults of the families they belong to (as an adult or a child),
   * the children who have them as an approved contact, and for a child its approved contacts; never
   * across a block.
   */
  async circleOf(userId: string): Promise<string[]> {
    const rows: { userId: string }[] = await this.dataSource.query(
      `WITH families AS (
         SELECT family_id FROM family_members WHERE user_id = $1
         UNION SELECT family_id FROM children WHERE user_id = $1
       )
       SELECT m.user_id AS "userId" FROM family_members m WHERE m.family_id IN (SELECT family_id FROM families)
       UNION SELECT cc.child_id FROM child_contacts cc WHERE cc.contact_user_id = $1
         AND NOT EXISTS (SELECT 1 FROM child_blocks b WHERE b.child_id = cc.child_id AND b.blocked_user_id = $1)
       UNION SELECT cc.contact_user_id FROM child_contacts cc WHERE cc.child_id = $1
         AND NOT EXISTS (SELECT 1 FROM child_blocks b WHERE b.child_id = $1 AND b.blocked_user_id = cc.contact_user_id)`,
      [userId],
    );
    return rows.map((r) => r.userId).filter((id) => id !== userId);
  }
}
