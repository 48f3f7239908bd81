import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Actor, UserKind } from '../../common/actor';
import { DomainError, ErrorCode, forbidden, notFound } from '../../common/errors';

export enum FamilyRole {
  Parent = 'parent',
  Guardian = 'guardian',
}

/** How the caller stands towards one child; everything a permission needs, read in one query. */
export interface ChildRelation {
  childId: string;
  familyId: string;
  roles: FamilyRole[];
  isSelf: boolean;
  /** Guardians hold a child's controls; while a family has no guardian, its parents do. */
  controls: boolean;
  teachesChild: boolean;
  isApprovedContact: boolean;
}

/**
 * The one place that decides who may see or do what, from relationships only (guarantee 1).
 * Out of scope answers 404, so existence is not revealed; visible but not allowed answers 403.
 * Every refusal is logged as a security event.
 */
@Injectable()
export class AccessService {
  private readonly logger = new Logger('Security');

  constructor(private readonly dataSource: DataSource) {}

  requireAdult(actor: Actor): void {
    if (actor.kind !== UserKind.Adult) throw this.refuse(actor, forbidden('Only adult accounts can do this'), 'adult-only');
  }

  async familyRoles(userId: string, familyId: string): Promise<FamilyRole[]> {
    const rows: { role: FamilyRole }[] = await this.dataSource.query(
      `SELECT role FROM family_members WHERE family_id = $1 AND user_id = $2`,
      [familyId, userId],
    );
    return rows.map((r) => r.role);
  }

  /** A family is visible to its members (adults by role, children by belonging to it). */
  async requireFamilyVisible(actor: Actor, familyId: string): Promise<FamilyRole[]> {
    if (actor.kind === UserKind.Child) {
      const [row] = await this.dataSource.query(`SELECT 1 FROM children WHERE user_id = $1 AND family_id = $2`, [actor.userId, familyId]);
      if (!row) throw this.refuse(actor, notFound('Family'), `family:${familyId}`);
      return [];
    }
    const roles = await this.familyRoles(actor.userId, familyId);
    if (roles.length === 0) throw this.refuse(actor, notFound('Family'), `family:${familyId}`);
    return roles;
  }

  /** Visible family, and the caller holds one of `allowed` there. */
  async requireFamilyRole(actor: Actor, familyId: string, allowed: FamilyRole[]): Promise<FamilyRole[]> {
    const roles = await this.requireFamilyVisible(actor, familyId);
    if (!roles.some((r) => allowed.includes(r))) {
      throw this.refuse(actor, forbidden(`Only a family ${allowed.join(' or ')} can do this`), `family:${familyId}`);
    }
    return roles;
  }

  async childRelation(actor: Actor, childId: string): Promise<ChildRelation | undefined> {
    const [row] = await this.dataSource.query(
      `SELECT c.user_id AS "childId", c.family_id AS "familyId",
              coalesce((SELECT array_agg(m.role) FROM family_members m WHERE m.family_id = c.family_id AND m.user_id = $2), '{}') AS roles,
              EXISTS (SELECT 1 FROM family_members g WHERE g.family_id = c.family_id AND g.role = 'guardian') AS "hasGuardian",
              EXISTS (SELECT 1 FROM class_enrollments e JOIN classes k ON k.id = e.class_id
                      WHERE e.child_id = c.user_id AND k.teacher_id = $2) AS "teachesChild",
              EXISTS (SELECT 1 FROM child_contacts cc WHERE cc.child_id = c.user_id AND cc.contact_user_id = $2) AS "isApprovedContact"
         FROM children c WHERE c.user_id = $1`,
      [childId, actor.userId],
    );
    if (!row) return undefined;
    const roles = (row.roles as FamilyRole[]) ?? [];
    const controls = roles.includes(FamilyRole.Guardian) || (!row.hasGuardian && roles.includes(FamilyRole.Parent));
    return {
      childId,
      familyId: row.familyId,
      roles,
      isSelf: actor.userId === childId,
      controls: actor.kind === UserKind.Adult && controls,
      teachesChild: row.teachesChild,
      isApprovedContact: row.isApprovedContact,
    };
  }

  /** The child itself, its family's adults and its teachers can see the child. */
  async requireChildVisible(actor: Actor, childId: string): Promise<ChildRelation> {
    const relation = await this.childRelation(actor, childId);
    if (!relation || !(relation.isSelf || relation.roles.length > 0 || relation.teachesChild)) {
      throw this.refuse(actor, notFound('Child'), `child:${childId}`);
    }
    return relation;
  }

  /** Family adults (parent or guardian) of the child. */
  async requireChildFamilyAdult(actor: Actor, childId: string): Promise<ChildRelation> {
    const relation = await this.requireChildVisible(actor, childId);
    if (relation.roles.length === 0) throw this.refuse(actor, forbidden("Only the child's family can do this"), `child:${childId}`);
    return relation;
  }

  /** Guardian decisions: devices, contacts, audit, export, deletion (guarantee 2). */
  async requireChildControl(actor: Actor, childId: string): Promise<ChildRelation> {
    const relation = await this.requireChildVisible(actor, childId);
    if (!relation.controls) throw this.refuse(actor, forbidden("Only the child's guardian can do this"), `child:${childId}`);
    return relation;
  }

  async requireClassVisible(actor: Actor, classId: string): Promise<{ teaches: boolean }> {
    const [row] = await this.dataSource.query(
      `SELECT k.teacher_id = $2 AS teaches,
              EXISTS (SELECT 1 FROM class_enrollments e JOIN children c ON c.user_id = e.child_id
                        JOIN family_members m ON m.family_id = c.family_id
                       WHERE e.class_id = k.id AND m.user_id = $2) AS "familyOfPupil"
         FROM classes k WHERE k.id = $1`,
      [classId, actor.userId],
    );
    if (!row || !(row.teaches || row.familyOfPupil)) throw this.refuse(actor, notFound('Class'), `class:${classId}`);
    return { teaches: row.teaches };
  }

  async requireClassTeacher(actor: Actor, classId: string): Promise<void> {
    const { teaches } = await this.requireClassVisible(actor, classId);
    if (!teaches) throw this.refuse(actor, forbidden("Only the class's teacher can do this"), `class:${classId}`);
  }

  private refuse(actor: Actor, error: DomainError, resource: string): DomainError {
    this.logger.warn(
      { event: 'access.refused', actorId: actor.userId, actorKind: actor.kind, resource, status: error.code === ErrorCode.NotFound ? 404 : 403 },
      'access refused',
    );
    return error;
  }
}
