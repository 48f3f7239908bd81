import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { Actor, UserKind } from '../../common/actor';
import { Clock } from '../../common/clock';
import { conflict, DomainError, ErrorCode, invalidField, notFound } from '../../common/errors';
import { Transactions } from '../../database/transaction';
import { AccessService, ChildRelation } from '../access/access.service';
import { AuditAction } from '../audit/audit-event.entity';
import { AuditService } from '../audit/audit.service';
import { CallOccurrenceEntity, OccurrenceKind, OccurrenceState } from './call-occurrence.entity';
import { ListCallsQuery, MAX_LIST_RANGE_DAYS, RESCHEDULE_WITHIN_DAYS, RescheduleCallDto } from './dto/call.dto';
import { OccurrenceResponse, toOccurrenceResponse } from './dto/occurrence.dto';
import { violatesNoOverlap } from './occurrences.service';
import { localDateOf } from './recurrence';
import { RemindersService } from './reminders.service';

const DAY_MS = 24 * 3600_000;

/**
 * The dated calls: listed for a family's adults and the child; one call can be skipped or moved
 * without touching its plan. A moved call is a new occurrence that replaces the old one, so its
 * reminders are planned afresh and the old one's never fire.
 */
@Injectable()
export class CallsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly transactions: Transactions,
    private readonly access: AccessService,
    private readonly audit: AuditService,
    private readonly reminders: RemindersService,
    private readonly clock: Clock,
  ) {}

  /** Calls overlapping [from, to), in time order; without a child, those of every child of my families. */
  async list(actor: Actor, query: ListCallsQuery): Promise<OccurrenceResponse[]> {
    const childIds = await this.visibleChildren(actor, query.childId);
    const from = new Date(query.from);
    const to = new Date(query.to);
    if (to.getTime() <= from.getTime()) throw invalidField('to', 'must be after from');
    if (to.getTime() - from.getTime() > MAX_LIST_RANGE_DAYS * DAY_MS) throw invalidField('to', `must be at most ${MAX_LIST_RANGE_DAYS} days after from`);
    if (childIds.length === 0) return [];
    const rows = await this.dataSource
      .getRepository(CallOccurrenceEntity)
      .createQueryBuilder('o')
      .where('o.child_id IN (:...childIds) AND o.starts_at < :to AND o.ends_at > :from', { childIds, from, to })
      .orderBy('o.starts_at', 'ASC')
      .addOrderBy('o.id', 'ASC')
      .getMany();
    return rows.map(toOccurrenceResponse);
  }

  /** This one call will not happen; the plan goes on. */
  async skip(actor: Actor, occurrenceId: string): Promise<OccurrenceResponse> {
    const child = await this.occurrenceAccess(actor, occurrenceId);
    const skipped = await this.transactions.run(async (em) => {
      const now = this.clock.now();
      const occurrence = await this.lockUpcoming(em, occurrenceId, now, 'skipped');
      await em.update(CallOccurrenceEntity, { id: occurrence.id }, { state: OccurrenceState.Skipped, version: occurrence.version + 1, updatedAt: now });
      await this.reminders.supersede(em, [occurrence.id]);
      await this.audit.record(em, {
        action: AuditAction.CallSkipped,
        actorId: actor.userId,
        familyId: child.familyId,
        childId: child.childId,
        details: { occurrenceId: occurrence.id, planId: occurrence.planId, startsAt: occurrence.startsAt.toISOString() },
      });
      return em.findOneByOrFail(CallOccurrenceEntity, { id: occurrence.id });
    });
    return toOccurrenceResponse(skipped);
  }

  /**
   * Moves one call: the old occurrence becomes 'rescheduled' and a new one (same length, replacing
   * it) is booked at `startsAt`. A time that overlaps another scheduled call of the child is refused.
   */
  async reschedule(actor: Actor, occurrenceId: string, input: RescheduleCallDto): Promise<OccurrenceResponse> {
    const child = await this.occurrenceAccess(actor, occurrenceId);
    const startsAt = new Date(input.startsAt);
    try {
      const moved = await this.transactions.run(async (em) => {
        const now = this.clock.now();
        if (startsAt.getTime() <= now.getTime()) throw invalidField('startsAt', 'must be in the future');
        if (startsAt.getTime() > now.getTime() + RESCHEDULE_WITHIN_DAYS * DAY_MS) {
          throw invalidField('startsAt', `must be within ${RESCHEDULE_WITHIN_DAYS} days`);
        }
        const old = await this.lockUpcoming(em, occurrenceId, now, 'rescheduled');
        await em.update(CallOccurrenceEntity, { id: old.id }, { state: OccurrenceState.Rescheduled, version: old.version + 1, updatedAt: now });
        await this.reminders.supersede(em, [old.id]);
        const durationMs = old.endsAt.getTime() - old.startsAt.getTime();
        const [inserted]: { id: string }[] = await em.query(
          `INSERT INTO call_occurrences (plan_id, family_id, child_id, parent_id, kind, replaces_id, starts_at, ends_at, local_date, time_zone, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
          [
            old.planId,
            old.familyId,
            old.childId,
            old.parentId,
            OccurrenceKind.Rescheduled,
            old.id,
            startsAt,
            new Date(startsAt.getTime() + durationMs),
            localDateOf(startsAt, old.timeZone),
            old.timeZone,
            now,
          ],
        );
        await this.reminders.planFor(em, [inserted.id]);
        await this.audit.record(em, {
          action: AuditAction.CallRescheduled,
          actorId: actor.userId,
          familyId: child.familyId,
          childId: child.childId,
          details: { occurrenceId: old.id, newOccurrenceId: inserted.id, planId: old.planId, from: old.startsAt.toISOString(), to: startsAt.toISOString() },
        });
        return em.findOneByOrFail(CallOccurrenceEntity, { id: inserted.id });
      });
      return toOccurrenceResponse(moved);
    } catch (error) {
      if (violatesNoOverlap(error)) throw conflict('The new time overlaps another call of this child');
      throw error;
    }
  }

  /** Children whose calls the caller may list: one named child, or all of the caller's. */
  private async visibleChildren(actor: Actor, childId: string | undefined): Promise<string[]> {
    if (childId) {
      const child = await this.access.requireChildVisible(actor, childId);
      if (!child.isSelf) await this.access.requireChildFamilyAdult(actor, childId);
      return [childId];
    }
    if (actor.kind === UserKind.Child) return [actor.userId];
    const rows: { user_id: string }[] = await this.dataSource.query(
      `SELECT c.user_id FROM children c WHERE c.family_id IN (SELECT family_id FROM family_members WHERE user_id = $1)`,
      [actor.userId],
    );
    return rows.map((r) => r.user_id);
  }

  /** Family adults of the call's child; a call outside the caller's scope is simply not found. */
  private async occurrenceAccess(actor: Actor, occurrenceId: string): Promise<ChildRelation> {
    const [row]: { child_id: string }[] = await this.dataSource.query(`SELECT child_id FROM call_occurrences WHERE id = $1`, [occurrenceId]);
    if (!row) throw notFound('Call');
    try {
      return await this.access.requireChildFamilyAdult(actor, row.child_id);
    } catch (error) {
      if (error instanceof DomainError && error.code === ErrorCode.NotFound) throw notFound('Call');
      throw error;
    }
  }

  /** The call, locked; only a scheduled call that has not started yet can be skipped or moved. */
  private async lockUpcoming(em: EntityManager, occurrenceId: string, now: Date, verb: string): Promise<CallOccurrenceEntity> {
    const occurrence = await em.findOne(CallOccurrenceEntity, { where: { id: occurrenceId }, lock: { mode: 'pessimistic_write' } });
    if (!occurrence) throw notFound('Call');
    if (occurrence.state !== OccurrenceState.Scheduled) throw conflict(`A ${occurrence.state} call cannot be ${verb}; only a scheduled one can`);
    if (occurrence.startsAt.getTime() <= now.getTime()) throw conflict(`A call that has already started cannot be ${verb}`);
    return occurrence;
  }
}
