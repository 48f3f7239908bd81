import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { Actor } from '../../common/actor';
import { Clock } from '../../common/clock';
import { conflict, DomainError, ErrorCode, forbidden, invalidField, notFound } from '../../common/errors';
import { Transactions } from '../../database/transaction';
import { AccessService, ChildRelation, FamilyRole } from '../access/access.service';
import { AuditAction } from '../audit/audit-event.entity';
import { AuditService } from '../audit/audit.service';
import { NotificationChannel } from '../notifications/notification.entity';
import { NotificationsService } from '../notifications/notifications.service';
import { NotificationKind, resolveLocale } from '../notifications/templates';
import { CallPlanEntity, CallPlanStatus } from './call-plan.entity';
import { CallPlanResponse, CounterCallPlanDto, CreateCallPlanDto, PauseCallPlanDto, toCallPlanResponse } from './dto/call-plan.dto';
import { HORIZON_MS, OccurrencesService } from './occurrences.service';
import { describeDate, describeSchedule } from './plan-text';
import { addDays, expand, firstOverlap, resolveLocal, todayIn, toHourMinute, WeeklyRule } from './recurrence';

const DAY_MS = 24 * 3600_000;
/** Two plans of a child are compared over this many weeks of real instants (so zones may differ). */
const OVERLAP_WINDOW_MS = 8 * 7 * DAY_MS;
/** How far ahead a plan may start, or a pause may last. */
const MAX_DAYS_AHEAD = 366;

/** Statuses whose plan still claims its weekly slot. */
const LIVE_STATUSES = [CallPlanStatus.Proposed, CallPlanStatus.Countered, CallPlanStatus.Active, CallPlanStatus.Paused];

type PlanAction = 'accept' | 'decline' | 'counter' | 'pause' | 'resume' | 'end';

/**
 * Weekly call plans: a parent proposes, a guardian accepts, declines or counters (and a counter goes
 * back to the parent); either side pauses, resumes or ends an active plan. Every change checks the
 * current status, bumps the version, is audited and tells the other side.
 */
@Injectable()
export class CallPlansService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly transactions: Transactions,
    private readonly access: AccessService,
    private readonly audit: AuditService,
    private readonly notifications: NotificationsService,
    private readonly occurrences: OccurrencesService,
    private readonly clock: Clock,
  ) {}

  /** A parent of the child's family proposes; the child's guardians answer. */
  async propose(actor: Actor, input: CreateCallPlanDto): Promise<CallPlanResponse> {
    const child = await this.access.requireChildFamilyAdult(actor, input.childId);
    await this.access.requireFamilyRole(actor, child.familyId, [FamilyRole.Parent]);
    const now = this.clock.now();
    const timeZone = input.timeZone ?? (await this.householdZone(child.familyId, actor.userId));
    const today = todayIn(now, timeZone);
    const startsOn = input.startsOn ?? today;
    if (startsOn < today) throw invalidField('startsOn', `must not be in the past (today in ${timeZone} is ${today})`);
    if (startsOn > addDays(today, MAX_DAYS_AHEAD)) throw invalidField('startsOn', `must be within ${MAX_DAYS_AHEAD} days`);

    return this.transactions.run(async (em) => {
      await this.lockChildPlans(em, input.childId);
      const terms = { daysOfWeek: input.daysOfWeek, startTime: input.startTime, durationMinutes: input.durationMinutes, timeZone, startsOn };
      await this.assertNoOverlap(em, input.childId, terms, now);
      const plan = await em.save(
        em.create(CallPlanEntity, {
          familyId: child.familyId,
          childId: input.childId,
          parentId: actor.userId,
          daysOfWeek: [...input.daysOfWeek].sort((a, b) => a - b),
          startTime: input.startTime,
          durationMinutes: input.durationMinutes,
          timeZone,
          startsOn,
          status: CallPlanStatus.Proposed,
          proposedBy: actor.userId,
          version: 1,
          createdAt: now,
          updatedAt: now,
        }),
      );
      const saved = await em.findOneByOrFail(CallPlanEntity, { id: plan.id });
      await this.record(em, actor, saved, AuditAction.CallPlanProposed, { terms: termsOf(saved) });
      await this.tellOthers(em, actor, saved, NotificationKind.CallPlanProposed, now);
      return toCallPlanResponse(saved);
    });
  }

  /** The child's plans, newest first: for the family's adults and the child itself. */
  async list(actor: Actor, childId: string): Promise<CallPlanResponse[]> {
    const child = await this.access.requireChildVisible(actor, childId);
    if (!child.isSelf && child.roles.length === 0) await this.access.requireChildFamilyAdult(actor, childId);
    const plans = await this.dataSource.getRepository(CallPlanEntity).find({ where: { childId }, order: { createdAt: 'DESC', id: 'DESC' } });
    return plans.map(toCallPlanResponse);
  }

  /** The side that did not make the terms on the table agrees: calls are booked for the horizon. */
  async accept(actor: Actor, planId: string): Promise<CallPlanResponse> {
    const child = await this.planAccess(actor, planId);
    return this.change(actor, child, planId, 'accept', async (em, plan, now) => {
      this.requireAnsweringSide(actor, child, plan, 'accept');
      await this.assertNoOverlap(em, plan.childId, termsOf(plan), now, plan.id);
      const updated = await this.update(em, plan, now, { status: CallPlanStatus.Active, acceptedBy: actor.userId, acceptedAt: now });
      await this.occurrences.materialise(em, plan.id, now, new Date(now.getTime() + HORIZON_MS));
      await this.record(em, actor, updated, AuditAction.CallPlanAccepted, { terms: termsOf(updated) });
      await this.tellOthers(em, actor, updated, NotificationKind.CallPlanAccepted, now);
      return updated;
    });
  }

  async decline(actor: Actor, planId: string): Promise<CallPlanResponse> {
    const child = await this.planAccess(actor, planId);
    return this.change(actor, child, planId, 'decline', async (em, plan, now) => {
      this.requireAnsweringSide(actor, child, plan, 'decline');
      const updated = await this.update(em, plan, now, { status: CallPlanStatus.Declined });
      await this.record(em, actor, updated, AuditAction.CallPlanDeclined, {});
      await this.tellOthers(em, actor, updated, NotificationKind.CallPlanDeclined, now);
      return updated;
    });
  }

  /** Other terms from the answering side; the plan goes back to the side that proposed before. */
  async counter(actor: Actor, planId: string, input: CounterCallPlanDto): Promise<CallPlanResponse> {
    const child = await this.planAccess(actor, planId);
    if (input.daysOfWeek === undefined && input.startTime === undefined && input.durationMinutes === undefined) {
      throw invalidField('daysOfWeek', 'give at least one of daysOfWeek, startTime or durationMinutes');
    }
    return this.change(actor, child, planId, 'counter', async (em, plan, now) => {
      this.requireAnsweringSide(actor, child, plan, 'counter');
      const terms = {
        ...termsOf(plan),
        ...(input.daysOfWeek ? { daysOfWeek: [...input.daysOfWeek].sort((a, b) => a - b) } : {}),
        ...(input.startTime ? { startTime: input.startTime } : {}),
        ...(input.durationMinutes ? { durationMinutes: input.durationMinutes } : {}),
      };
      await this.assertNoOverlap(em, plan.childId, terms, now, plan.id);
      const updated = await this.update(em, plan, now, {
        status: plan.status === CallPlanStatus.Proposed ? CallPlanStatus.Countered : CallPlanStatus.Proposed,
        proposedBy: actor.userId,
        daysOfWeek: terms.daysOfWeek,
        startTime: terms.startTime,
        durationMinutes: terms.durationMinutes,
      });
      await this.record(em, actor, updated, AuditAction.CallPlanCountered, { previous: termsOf(plan), terms: termsOf(updated) });
      await this.tellOthers(em, actor, updated, NotificationKind.CallPlanCountered, now);
      return updated;
    });
  }

  /**
   * Calls stop: the ones not yet started (before `until`, when given) are cancelled with their
   * reminders. With a date the plan starts again by itself on that day (the horizon job).
   */
  async pause(actor: Actor, planId: string, input: PauseCallPlanDto): Promise<CallPlanResponse> {
    const child = await this.planAccess(actor, planId);
    return this.change(actor, child, planId, 'pause', async (em, plan, now) => {
      this.requireEitherSide(actor, child, plan);
      if (input.until !== undefined) {
        const today = todayIn(now, plan.timeZone);
        if (input.until <= today) throw invalidField('until', `must be after today (today in ${plan.timeZone} is ${today})`);
        if (input.until > addDays(today, MAX_DAYS_AHEAD)) throw invalidField('until', `must be within ${MAX_DAYS_AHEAD} days`);
      }
      const updated = await this.update(em, plan, now, { status: CallPlanStatus.Paused, pausedUntil: input.until ?? null });
      const cancelled = await this.occurrences.cancelFuture(em, plan.id, input.until);
      // a shorter pause than before gives back the calls from its new end on
      if (input.until) await this.occurrences.materialise(em, plan.id, now, new Date(now.getTime() + HORIZON_MS));
      await this.record(em, actor, updated, AuditAction.CallPlanPaused, { until: input.until ?? null, cancelled: cancelled.length });
      await this.tellOthers(em, actor, updated, NotificationKind.CallPlanPaused, now);
      return updated;
    });
  }

  async resume(actor: Actor, planId: string): Promise<CallPlanResponse> {
    const child = await this.planAccess(actor, planId);
    return this.change(actor, child, planId, 'resume', async (em, plan, now) => {
      this.requireEitherSide(actor, child, plan);
      const updated = await this.update(em, plan, now, { status: CallPlanStatus.Active, pausedUntil: null });
      await this.occurrences.materialise(em, plan.id, now, new Date(now.getTime() + HORIZON_MS));
      await this.record(em, actor, updated, AuditAction.CallPlanResumed, {});
      await this.tellOthers(em, actor, updated, NotificationKind.CallPlanResumed, now);
      return updated;
    });
  }

  async end(actor: Actor, planId: string): Promise<CallPlanResponse> {
    const child = await this.planAccess(actor, planId);
    return this.change(actor, child, planId, 'end', async (em, plan, now) => {
      this.requireEitherSide(actor, child, plan);
      const updated = await this.update(em, plan, now, { status: CallPlanStatus.Ended, pausedUntil: null, endedAt: now });
      const cancelled = await this.occurrences.cancelFuture(em, plan.id);
      await this.record(em, actor, updated, AuditAction.CallPlanEnded, { cancelled: cancelled.length });
      await this.tellOthers(em, actor, updated, NotificationKind.CallPlanEnded, now);
      return updated;
    });
  }

  /** Family adults only; a plan outside the caller's scope is simply not found. */
  private async planAccess(actor: Actor, planId: string): Promise<ChildRelation> {
    const [row]: { child_id: string }[] = await this.dataSource.query(`SELECT child_id FROM call_plans WHERE id = $1`, [planId]);
    if (!row) throw notFound('Call plan');
    try {
      return await this.access.requireChildFamilyAdult(actor, row.child_id);
    } catch (error) {
      if (error instanceof DomainError && error.code === ErrorCode.NotFound) throw notFound('Call plan');
      throw error;
    }
  }

  /** Locks the child's plans and the plan itself, checks the status the action needs, runs it. */
  private async change(
    actor: Actor,
    child: ChildRelation,
    planId: string,
    action: PlanAction,
    work: (em: EntityManager, plan: CallPlanEntity, now: Date) => Promise<CallPlanEntity>,
  ): Promise<CallPlanResponse> {
    const updated = await this.transactions.run(async (em) => {
      await this.lockChildPlans(em, child.childId);
      const plan = await em.findOne(CallPlanEntity, { where: { id: planId }, lock: { mode: 'pessimistic_write' } });
      if (!plan) throw notFound('Call plan');
      const allowed = ALLOWED_FROM[action];
      if (!allowed.includes(plan.status)) {
        throw conflict(`A ${plan.status} call plan cannot be ${PAST_TENSE[action]}; only a ${allowed.join(' or ')} one can`);
      }
      return work(em, plan, this.clock.now());
    });
    return toCallPlanResponse(updated);
  }

  /** "proposed" waits for the guardians (the child's controls), "countered" for the plan's parent; nobody answers their own terms. */
  private requireAnsweringSide(actor: Actor, child: ChildRelation, plan: CallPlanEntity, action: PlanAction): void {
    const answering =
      plan.proposedBy !== actor.userId &&
      (plan.status === CallPlanStatus.Proposed ? child.controls : plan.status === CallPlanStatus.Countered && plan.parentId === actor.userId);
    if (!answering) {
      const who = plan.status === CallPlanStatus.Proposed ? "the child's guardian" : 'the parent of this plan';
      throw this.access.refuse(actor, forbidden(`Only ${who} can ${action} this call plan`), `call_plan:${plan.id}`);
    }
  }

  /** The plan's parent or the child's guardians. */
  private requireEitherSide(actor: Actor, child: ChildRelation, plan: CallPlanEntity): void {
    if (plan.parentId !== actor.userId && !child.controls) {
      throw this.access.refuse(actor, forbidden("Only the plan's parent or the child's guardian can change this call plan"), `call_plan:${plan.id}`);
    }
  }

  private async update(em: EntityManager, plan: CallPlanEntity, now: Date, changes: Partial<CallPlanEntity>): Promise<CallPlanEntity> {
    await em.update(CallPlanEntity, { id: plan.id }, { ...changes, version: plan.version + 1, updatedAt: now });
    return em.findOneByOrFail(CallPlanEntity, { id: plan.id });
  }

  /** Serialises plan changes per child, so two concurrent proposals cannot both pass the overlap check. */
  private async lockChildPlans(em: EntityManager, childId: string): Promise<void> {
    await em.query(`SELECT pg_advisory_xact_lock(hashtextextended('call_plans:' || $1, 0))`, [childId]);
  }

  /**
   * Two live plans of one child may not share a moment. Both are expanded into real instants over
   * eight weeks from when both are in force, so plans kept in different zones compare correctly.
   */
  private async assertNoOverlap(em: EntityManager, childId: string, terms: WeeklyRule, now: Date, exceptPlanId?: string): Promise<void> {
    const others = await em
      .createQueryBuilder(CallPlanEntity, 'p')
      .where('p.child_id = :childId AND p.status IN (:...statuses)', { childId, statuses: LIVE_STATUSES })
      .andWhere(exceptPlanId ? 'p.id <> :exceptPlanId' : 'true', { exceptPlanId })
      .getMany();
    for (const other of others) {
      const otherTerms = termsOf(other);
      const from = new Date(
        Math.max(now.getTime(), resolveLocal(terms.startsOn, '00:00', terms.timeZone).getTime(), resolveLocal(otherTerms.startsOn, '00:00', otherTerms.timeZone).getTime()),
      );
      const to = new Date(from.getTime() + OVERLAP_WINDOW_MS);
      const clash = firstOverlap(expand(terms, from, to), expand(otherTerms, from, to));
      if (clash) {
        const [mine, theirs] = clash;
        throw conflict(
          `This plan overlaps another call plan of this child (${other.id}, ${other.status}): on ${mine.localDate} its call at ` +
            `${mine.startsAt.toISOString()}–${mine.endsAt.toISOString()} would overlap the other plan's call at ` +
            `${theirs.startsAt.toISOString()}–${theirs.endsAt.toISOString()}`,
        );
      }
    }
  }

  /** The zone of the child's household: its first guardian's, else the proposing parent's. */
  private async householdZone(familyId: string, parentId: string): Promise<string> {
    const [row]: { time_zone: string }[] = await this.dataSource.query(
      `SELECT coalesce(
                (SELECT u.time_zone FROM family_members m JOIN users u ON u.id = m.user_id
                  WHERE m.family_id = $1 AND m.role = 'guardian' ORDER BY m.joined_at, m.user_id LIMIT 1),
                (SELECT time_zone FROM users WHERE id = $2)) AS time_zone`,
      [familyId, parentId],
    );
    return row.time_zone;
  }

  private record(em: EntityManager, actor: Actor, plan: CallPlanEntity, action: AuditAction, details: Record<string, unknown>): Promise<void> {
    return this.audit.record(em, {
      action,
      actorId: actor.userId,
      familyId: plan.familyId,
      childId: plan.childId,
      details: { planId: plan.id, version: plan.version, status: plan.status, ...details },
    });
  }

  /** The plan's parent and the child's guardians, except whoever acted, each in their own language and zone. */
  private async tellOthers(em: EntityManager, actor: Actor, plan: CallPlanEntity, kind: NotificationKind, now: Date): Promise<void> {
    const recipients: { id: string; locale: string; time_zone: string }[] = await em.query(
      `SELECT u.id, u.locale, u.time_zone FROM users u
        WHERE u.id <> $3 AND (u.id = $2 OR u.id IN (SELECT user_id FROM family_members WHERE family_id = $1 AND role = 'guardian'))`,
      [plan.familyId, plan.parentId, actor.userId],
    );
    if (recipients.length === 0) return;
    const [names]: { actor_name: string; child_name: string }[] = await em.query(
      `SELECT (SELECT display_name FROM users WHERE id = $1) AS actor_name, (SELECT display_name FROM users WHERE id = $2) AS child_name`,
      [actor.userId, plan.childId],
    );
    const [next] = expand(termsOf(plan), now, new Date(now.getTime() + 15 * DAY_MS), {
      notBeforeLocalDate: plan.pausedUntil ?? undefined,
    });
    for (const recipient of recipients) {
      const locale = resolveLocale(recipient.locale);
      await this.notifications.notify(em, {
        userId: recipient.id,
        kind,
        params: {
          name: names.actor_name,
          childName: names.child_name,
          schedule: describeSchedule(termsOf(plan), locale, recipient.time_zone, next?.startsAt),
          ...(kind === NotificationKind.CallPlanPaused && plan.pausedUntil ? { until: describeDate(plan.pausedUntil, locale) } : {}),
        },
        locale,
        channel: NotificationChannel.Socket,
      });
    }
  }
}

const ALLOWED_FROM: Record<PlanAction, CallPlanStatus[]> = {
  accept: [CallPlanStatus.Proposed, CallPlanStatus.Countered],
  decline: [CallPlanStatus.Proposed, CallPlanStatus.Countered],
  counter: [CallPlanStatus.Proposed, CallPlanStatus.Countered],
  pause: [CallPlanStatus.Active, CallPlanStatus.Paused],
  resume: [CallPlanStatus.Paused],
  end: [CallPlanStatus.Active, CallPlanStatus.Paused],
};

const PAST_TENSE: Record<PlanAction, string> = {
  accept: 'accepted',
  decline: 'declined',
  counter: 'countered',
  pause: 'paused',
  resume: 'resumed',
  end: 'ended',
};

const termsOf = (plan: CallPlanEntity): WeeklyRule => ({
  daysOfWeek: plan.daysOfWeek.map(Number),
  startTime: toHourMinute(plan.startTime),
  durationMinutes: plan.durationMinutes,
  timeZone: plan.timeZone,
  startsOn: plan.startsOn,
});
