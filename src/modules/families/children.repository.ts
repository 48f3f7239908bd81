import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { ChildEntity } from './child.entity';

export interface ChildProfileRow {
  userId: string;
  familyId: string;
  displayName: string;
  birthYear: number | null;
  createdAt: Date;
}

export interface ChildExportRow extends ChildProfileRow {
  locale: string;
  timeZone: string;
  createdBy: string | null;
  consentGivenBy: string;
  consentGivenAt: Date;
  consentNoticeVersion: string;
}

export interface ExportDeviceRow {
  id: string;
  name: string;
  pairedAt: Date;
  codeIssuedBy: string | null;
  revokedAt: Date | null;
  revokedBy: string | null;
  lastSeenAt: Date | null;
}

export interface ExportEnrollmentRow {
  classId: string;
  className: string;
  schoolName: string | null;
  enrolledBy: string | null;
  enrolledAt: Date;
}

/**
 * Child profiles. A child is a `users` row (kind child, no login) plus its `children` row; reads are
 * scoped by the child they are about, and callers check access first. Tables owned by other modules
 * (devices, enrollments) are only read here, for the data export.
 */
@Injectable()
export class ChildrenRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** The child's account: no password, phone or email (the schema refuses them for kind child). */
  async insertChildUser(em: EntityManager, input: { displayName: string; locale: string; timeZone: string }): Promise<string> {
    const [row] = await em.query(`INSERT INTO users (kind, display_name, locale, time_zone) VALUES ('child', $1, $2, $3) RETURNING id`, [
      input.displayName,
      input.locale,
      input.timeZone,
    ]);
    return row.id;
  }

  async insertChild(em: EntityManager, child: Omit<ChildEntity, 'createdAt'>): Promise<void> {
    await em.insert(ChildEntity, child);
  }

  async profile(childId: string, em: EntityManager = this.dataSource.manager): Promise<ChildProfileRow | undefined> {
    const [row] = await em.query(
      `SELECT c.user_id AS "userId", c.family_id AS "familyId", u.display_name AS "displayName", c.birth_year AS "birthYear",
              c.created_at AS "createdAt"
         FROM children c JOIN users u ON u.id = c.user_id WHERE c.user_id = $1`,
      [childId],
    );
    return row;
  }

  async exportRow(em: EntityManager, childId: string): Promise<ChildExportRow | undefined> {
    const [row] = await em.query(
      `SELECT c.user_id AS "userId", c.family_id AS "familyId", u.display_name AS "displayName", c.birth_year AS "birthYear",
              c.created_at AS "createdAt", u.locale, u.time_zone AS "timeZone", c.created_by AS "createdBy",
              c.consent_given_by AS "consentGivenBy", c.consent_given_at AS "consentGivenAt",
              c.consent_notice_version AS "consentNoticeVersion"
         FROM children c JOIN users u ON u.id = c.user_id WHERE c.user_id = $1`,
      [childId],
    );
    return row;
  }

  devices(em: EntityManager, childId: string): Promise<ExportDeviceRow[]> {
    return em.query(
      `SELECT id, name, paired_at AS "pairedAt", code_issued_by AS "codeIssuedBy", revoked_at AS "revokedAt",
              revoked_by AS "revokedBy", last_seen_at AS "lastSeenAt"
         FROM child_devices WHERE child_id = $1 ORDER BY paired_at, id`,
      [childId],
    );
  }

  enrollments(em: EntityManager, childId: string): Promise<ExportEnrollmentRow[]> {
    return em.query(
      `SELECT e.class_id AS "classId", k.name AS "className", k.school_name AS "schoolName",
              e.enrolled_by AS "enrolledBy", e.enrolled_at AS "enrolledAt"
         FROM class_enrollments e JOIN classes k ON k.id = e.class_id
        WHERE e.child_id = $1 ORDER BY e.enrolled_at, e.class_id`,
      [childId],
    );
  }

  /** Deleting the child's account cascades to its profile, devices, sessions, contacts, codes and enrollments. */
  async deleteChildUser(em: EntityManager, childId: string): Promise<number> {
    const [, count] = (await em.query(`DELETE FROM users WHERE id = $1 AND kind = 'child'`, [childId])) as [unknown, number];
    return count;
  }
}
