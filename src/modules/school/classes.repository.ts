import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { CursorKey } from '../../common/pagination';
import { FamilyRole } from '../access/access.service';
import { ClassEnrollmentEntity } from './class-enrollment.entity';
import { ClassEntity } from './class.entity';

export interface ClassSummaryRow {
  id: string;
  name: string;
  schoolName: string | null;
  teacherName: string;
  joinCode: string;
  teaching: boolean;
  childIds: string[];
  /** Cut to the millisecond a JS Date holds, so the keyset cursor made from it compares exactly. */
  createdAt: Date;
}

export interface ClassDetailRow {
  id: string;
  name: string;
  schoolName: string | null;
  teacherName: string;
  joinCode: string;
}

export interface RosterRow {
  childId: string;
  displayName: string;
  familyId: string;
  enrolledAt: Date;
  adults: { userId: string; displayName: string; roles: FamilyRole[] }[];
}

/**
 * Classes and enrollments. Every read is scoped by the user or class it is about; callers check
 * access (AccessService) before they ask.
 */
@Injectable()
export class ClassesRepository {
  constructor(private readonly dataSource: DataSource) {}

  insertClass(em: EntityManager, input: { name: string; schoolName: string | null; teacherId: string; joinCode: string }): Promise<ClassEntity> {
    return em.save(em.create(ClassEntity, input));
  }

  /** The classes a user teaches, and those a child of one of the user's families is in; newest first. */
  classesOf(userId: string, after: CursorKey | undefined, limit: number): Promise<ClassSummaryRow[]> {
    return this.dataSource.query(
      `SELECT k.id, k.name, k.school_name AS "schoolName", t.display_name AS "teacherName", k.join_code AS "joinCode",
              k.teacher_id = $1 AS teaching,
              ARRAY(SELECT e.child_id::text FROM class_enrollments e JOIN children c ON c.user_id = e.child_id
                     WHERE e.class_id = k.id
                       AND EXISTS (SELECT 1 FROM family_members m WHERE m.family_id = c.family_id AND m.user_id = $1)
                     ORDER BY e.enrolled_at, e.child_id) AS "childIds",
              date_trunc('milliseconds', k.created_at) AS "createdAt"
         FROM classes k JOIN users t ON t.id = k.teacher_id
        WHERE (k.teacher_id = $1
               OR EXISTS (SELECT 1 FROM class_enrollments e JOIN children c ON c.user_id = e.child_id
                            JOIN family_members m ON m.family_id = c.family_id
                           WHERE e.class_id = k.id AND m.user_id = $1))
          AND ($2::timestamptz IS NULL OR (date_trunc('milliseconds', k.created_at), k.id) < ($2::timestamptz, $3::uuid))
        ORDER BY date_trunc('milliseconds', k.created_at) DESC, k.id DESC
        LIMIT $4`,
      [userId, after?.createdAt ?? null, after?.id ?? null, limit],
    );
  }

  async classDetail(classId: string): Promise<ClassDetailRow | undefined> {
    const [row] = await this.dataSource.query(
      `SELECT k.id, k.name, k.school_name AS "schoolName", t.display_name AS "teacherName", k.join_code AS "joinCode"
         FROM classes k JOIN users t ON t.id = k.teacher_id WHERE k.id = $1`,
      [classId],
    );
    return row;
  }

  /** The pupils of one class and the adults of each pupil's family (names and roles only). */
  roster(classId: string): Promise<RosterRow[]> {
    return this.dataSource.query(
      `SELECT e.child_id AS "childId", u.display_name AS "displayName", c.family_id AS "familyId", e.enrolled_at AS "enrolledAt",
              coalesce((SELECT json_agg(json_build_object('userId', a.user_id, 'displayName', a.display_name, 'roles', a.roles)
                                        ORDER BY a.display_name, a.user_id)
                          FROM (SELECT m.user_id, au.display_name, array_agg(m.role ORDER BY m.role) AS roles
                                  FROM family_members m JOIN users au ON au.id = m.user_id
                                 WHERE m.family_id = c.family_id
                                 GROUP BY m.user_id, au.display_name) a), '[]'::json) AS adults
         FROM class_enrollments e
         JOIN children c ON c.user_id = e.child_id
         JOIN users u ON u.id = e.child_id
        WHERE e.class_id = $1
        ORDER BY e.enrolled_at, e.child_id`,
      [classId],
    );
  }

  /** A join code is itself the secret that scopes this lookup. */
  async classIdByJoinCode(em: EntityManager, joinCode: string): Promise<string | undefined> {
    const found = await em.findOne(ClassEntity, { where: { joinCode }, select: { id: true } });
    return found?.id;
  }

  async isEnrolled(em: EntityManager, classId: string, childId: string): Promise<boolean> {
    return em.exists(ClassEnrollmentEntity, { where: { classId, childId } });
  }

  /** A plain INSERT (not `save`, which would update an existing row): a second enrollment is a unique violation. */
  async insertEnrollment(em: EntityManager, input: { classId: string; childId: string; enrolledBy: string }): Promise<ClassEnrollmentEntity> {
    const enrollment = em.create(ClassEnrollmentEntity, input);
    const { generatedMaps } = await em.insert(ClassEnrollmentEntity, enrollment);
    return em.merge(ClassEnrollmentEntity, enrollment, generatedMaps[0] ?? {});
  }
}
