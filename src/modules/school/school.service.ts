import { Injectable } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { QueryFailedError } from 'typeorm';
import { Actor } from '../../common/actor';
import { conflict, DomainError, ErrorCode, invalidField, notFound } from '../../common/errors';
import { decodeCursor, Page, toPage } from '../../common/pagination';
import { Transactions } from '../../database/transaction';
import { AccessService } from '../access/access.service';
import { AuditAction } from '../audit/audit-event.entity';
import { AuditService } from '../audit/audit.service';
import { ClassesRepository } from './classes.repository';
import {
  ClassCreatedResponse,
  ClassResponse,
  ClassSummaryResponse,
  CreateClassDto,
  RosterEntryResponse,
  toClassCreatedResponse,
  toClassResponse,
  toClassSummaryResponse,
  toRosterEntryResponse,
} from './dto/class.dto';
import { EnrollDto, EnrollmentResponse, toEnrollmentResponse } from './dto/enrollment.dto';
import { JoinCodes } from './join-codes';

/** 31^6 codes: a collision is rare, five in a row means something else is wrong. */
const JOIN_CODE_ATTEMPTS = 5;

/** Classes and enrollments: a teacher opens a class, a family adult enrols their child with its join code. */
@Injectable()
export class SchoolService {
  constructor(
    private readonly access: AccessService,
    private readonly transactions: Transactions,
    private readonly classes: ClassesRepository,
    private readonly joinCodes: JoinCodes,
    private readonly audit: AuditService,
  ) {}

  /** Any adult may open a class, and becomes its teacher. */
  async createClass(actor: Actor, input: CreateClassDto): Promise<ClassCreatedResponse> {
    this.access.requireAdult(actor);
    for (let attempt = 1; ; attempt++) {
      try {
        const created = await this.transactions.run((em) =>
          this.classes.insertClass(em, {
            name: input.name,
            schoolName: input.schoolName ?? null,
            teacherId: actor.userId,
            joinCode: this.joinCodes.next(),
          }),
        );
        return toClassCreatedResponse(created);
      } catch (error) {
        if (attempt < JOIN_CODE_ATTEMPTS && violates(error, 'classes_join_code_key')) continue;
        throw error;
      }
    }
  }

  /** Classes I teach (with their join codes) and classes my families' children are in (without). */
  async listClasses(actor: Actor, cursor: string | undefined, limit = 50): Promise<Page<ClassSummaryResponse>> {
    this.access.requireAdult(actor);
    const after = decodeCursor(cursor);
    if (after && !isUUID(after.id)) throw invalidField('cursor', 'is not a cursor this service issued');
    const rows = await this.classes.classesOf(actor.userId, after, limit + 1);
    return toPage(rows, limit, toClassSummaryResponse);
  }

  async getClass(actor: Actor, classId: string): Promise<ClassResponse> {
    this.access.requireAdult(actor);
    const { teaches } = await this.access.requireClassVisible(actor, classId);
    const row = await this.classes.classDetail(classId);
    if (!row) throw notFound('Class');
    return toClassResponse(row, teaches);
  }

  /** Only the teacher sees who is in the class and which adults stand behind each child. */
  async roster(actor: Actor, classId: string): Promise<RosterEntryResponse[]> {
    this.access.requireAdult(actor);
    await this.access.requireClassTeacher(actor, classId);
    return (await this.classes.roster(classId)).map(toRosterEntryResponse);
  }

  /** From now on the class's teacher can see the child (AccessService reads class_enrollments). */
  async enroll(actor: Actor, childId: string, input: EnrollDto): Promise<EnrollmentResponse> {
    const child = await this.access.requireChildFamilyAdult(actor, childId);
    try {
      return await this.transactions.run(async (em) => {
        // an unknown code says nothing more: no hint whether it is close, old or someone else's
        const classId = await this.classes.classIdByJoinCode(em, input.joinCode);
        if (!classId) throw new DomainError(ErrorCode.NotFound, 'No class with that code');
        if (await this.classes.isEnrolled(em, classId, childId)) throw alreadyEnrolled();
        const enrollment = await this.classes.insertEnrollment(em, { classId, childId, enrolledBy: actor.userId });
        await this.audit.record(em, {
          action: AuditAction.ChildEnrolled,
          actorId: actor.userId,
          familyId: child.familyId,
          childId,
          details: { classId },
        });
        return toEnrollmentResponse(enrollment);
      });
    } catch (error) {
      // two adults of the family enrolling at the same moment
      if (violates(error, 'class_enrollments_pkey')) throw alreadyEnrolled();
      throw error;
    }
  }
}

const alreadyEnrolled = () => conflict('This child is already in this class');

const violates = (error: unknown, constraint: string) =>
  error instanceof QueryFailedError &&
  (error as QueryFailedError & { code?: string; constraint?: string }).code === '23505' &&
  (error as QueryFailedError & { constraint?: string }).constraint === constraint;
