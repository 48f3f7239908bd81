import { Injectable } from '@nestjs/common';
import { DateTime } from 'luxon';
import { EntityManager, QueryFailedError } from 'typeorm';
import { Actor } from '../../common/actor';
import { Clock } from '../../common/clock';
import { conflict, notFound } from '../../common/errors';
import { Transactions } from '../../database/transaction';
import { AccessService } from '../access/access.service';
import { AuditAction } from '../audit/audit-event.entity';
import { AuditService } from '../audit/audit.service';
import { NotificationChannel } from '../notifications/notification.entity';
import { NotificationsService } from '../notifications/notifications.service';
import { NotificationKind, resolveLocale } from '../notifications/templates';
import { CallOccurrenceEntity, OccurrenceKind, OccurrenceState } from './call-occurrence.entity';
import { OccurrenceResponse, toOccurrenceResponse } from './dto/occurrence.dto';
import { DailyWindow, findMakeupSlot } from './makeup-slot';
import { formatStart } from './reminder-text';
import { RemindersService } from './reminders.service';

/** When a household is awake for a call: a make-up is never proposed outside these hours. */
export const HOUSEHOLD_CALL_HOURS = { start: '08:00', end: '21:00' };
const MAKEUP_WITHIN_MS = 48 * 3600_000;
const MAKEUP_LEAD_MS = 30 * 60_000;
const BATCH = 500;

interface Adult {
  id: string;
  locale: string;
  time_zone: string;
}

/**
 * Regularity is the product: a call that did not happen by its end is marked missed, both sides are
 * told, and a concrete make-up slot is proposed that a guardian can accept in one step.
 */
@Injectable()
export class MissedCallsService {
  constructor(
    private readonly transactions: Transactions,
    private readonly reminders: RemindersService,
    private readonly notifications: NotificationsService,
    private readonly access: AccessService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /** The maintenance job: marks every scheduled call that ended without completing; returns how many. */
  async markMissed(): Promise<number> {
    let total = 0;
    for (;;) {
      const marked = await this.transactions.run(async (em) => {
        const now = this.clock.now();
        const missed: CallOccurrenceEntity[] = await em
          .createQueryBuilder(CallOccurrenceEntity, 'o')
          .where('o.state = :state AND o.ends_at <= :now', { state: OccurrenceState.Scheduled, now })
          .orderBy('o.ends_at')
          .limit(BATCH)
          .setLock('pessimistic_write')
          .setOnLocked('skip_locked')
          .getMany();
        if (missed.length === 0) return 0;
        await em.query(
          `UPDATE call_occurrences SET state = 'missed', missed_at = $2, version = version + 1, updated_at = $2 WHERE id = ANY($1::uuid[])`,
          [missed.map((o) => o.id), now],
        );
        await this.reminders.supersede(em, missed.map((o) => o.id));
        for (const occurrence of missed) await this.proposeMakeup(em, occurrence, now);
        return missed.length;
      });
      total += marked;
      if (marked < BATCH) return total;
    }
  }

  /** One step for a guardian: book the proposed make-up slot. */
  async acceptMakeup(actor: Actor, occurrenceId: string): Promise<OccurrenceResponse> {
    const missed = await this.transactions.run((em) => em.findOneBy(CallOccurrenceEntity, { id: occurrenceId }));
    if (!missed) throw notFound('Call');
    const child = await this.access.requireChildControl(actor, missed.childId);
    try {
      return await this.transactions.run(async (em) => {
        const current = await em.findOne(CallOccurrenceEntity, { where: { id: occurrenceId }, lock: { mode: 'pessimistic_write' } });
        if (!current || current.state !== OccurrenceState.Missed || !current.makeupStartsAt) throw conflict('This call has no make-up slot to accept');
        if (current.makeupStartsAt <= this.clock.now()) throw conflict('The proposed make-up time has passed');
        const [existing] = await em.query(`SELECT 1 FROM call_occurrences WHERE replaces_id = $1 AND kind = 'makeup'`, [occurrenceId]);
        if (existing) throw conflict('A make-up call is already booked for this call');
        const durationMs = current.endsAt.getTime() - current.startsAt.getTime();
        const startsAt = current.makeupStartsAt;
        const makeup = await em.save(
          em.create(CallOccurrenceEntity, {
            planId: current.planId,
            familyId: current.familyId,
            childId: current.childId,
            parentId: current.parentId,
            kind: OccurrenceKind.Makeup,
            replacesId: current.id,
            startsAt,
            endsAt: new Date(startsAt.getTime() + durationMs),
            localDate: DateTime.fromJSDate(startsAt, { zone: current.timeZone }).toISODate()!,
            timeZone: current.timeZone,
          }),
        );
        await this.reminders.planFor(em, [makeup.id]);
        await this.audit.record(em, {
          action: AuditAction.MakeupAccepted,
          actorId: actor.userId,
          familyId: child.familyId,
          childId: current.childId,
          details: { missedId: current.id, makeupId: makeup.id },
        });
        for (const adult of await this.adultsOf(em, current)) {
          if (adult.id === actor.userId) continue;
          const locale = resolveLocale(adult.locale);
          await this.notifications.notify(em, {
            userId: adult.id,
            kind: NotificationKind.MakeupBooked,
            params: { ...(await this.names(em, current)), time: formatStart(startsAt, adult.time_zone, locale) },
            locale,
            channel: NotificationChannel.Socket,
          });
        }
        return toOccurrenceResponse(makeup);
      });
    } catch (error) {
      if (error instanceof QueryFailedError && (error as QueryFailedError & { code?: string }).code === '23P01') {
        throw conflict('The make-up time now overlaps another call of the child');
      }
      throw error;
    }
  }

  private async proposeMakeup(em: EntityManager, occurrence: CallOccurrenceEntity, now: Date): Promise<void> {
    const adults = await this.adultsOf(em, occurrence);
    const busy: { starts_at: Date; ends_at: Date }[] = await em.query(
      `SELECT starts_at, ends_at FROM call_occurrences
        WHERE child_id = $1 AND state = 'scheduled' AND ends_at > $2 AND starts_at < $3`,
      [occurrence.childId, now, new Date(now.getTime() + MAKEUP_WITHIN_MS + 3 * 3600_000)],
    );
    const quiet: { time_zone: string; quiet_hours_start: string; quiet_hours_end: string }[] = await em.query(
      `SELECT u.time_zone, p.quiet_hours_start, p.quiet_hours_end FROM notification_preferences p JOIN users u ON u.id = p.user_id
        WHERE p.user_id = ANY($1::uuid[]) AND p.quiet_hours_start IS NOT NULL`,
      [adults.map((a) => a.id)],
    );
    const slot = findMakeupSlot({
      notBefore: new Date(now.getTime() + MAKEUP_LEAD_MS),
      notAfter: new Date(now.getTime() + MAKEUP_WITHIN_MS),
      durationMinutes: Math.round((occurrence.endsAt.getTime() - occurrence.startsAt.getTime()) / 60_000),
      busy: busy.map((b) => ({ startsAt: new Date(b.starts_at), endsAt: new Date(b.ends_at) })),
      household: { timeZone: occurrence.timeZone, ...HOUSEHOLD_CALL_HOURS },
      quiet: quiet.map((q): DailyWindow => ({ timeZone: q.time_zone, start: q.quiet_hours_start.slice(0, 5), end: q.quiet_hours_end.slice(0, 5) })),
    });
    if (slot) await em.query(`UPDATE call_occurrences SET makeup_starts_at = $2 WHERE id = $1`, [occurrence.id, slot]);
    const names = await this.names(em, occurrence);
    for (const adult of adults) {
      const locale = resolveLocale(adult.locale);
      await this.notifications.notify(em, {
        userId: adult.id,
        kind: NotificationKind.CallMissed,
        params: {
          ...names,
          time: formatStart(occurrence.startsAt, adult.time_zone, locale),
          ...(slot ? { makeupTime: formatStart(slot, adult.time_zone, locale) } : {}),
        },
        locale,
        channel: NotificationChannel.Socket,
      });
    }
  }

  /** The calling parent and every guardian of the child's family. */
  private adultsOf(em: EntityManager, occurrence: CallOccurrenceEntity): Promise<Adult[]> {
    return em.query(
      `SELECT u.id, u.locale, u.time_zone FROM users u
        WHERE u.id = $1 OR u.id IN (SELECT user_id FROM family_members WHERE family_id = $2 AND role = 'guardian')`,
      [occurrence.parentId, occurrence.familyId],
    );
  }

  private async names(em: EntityManager, occurrence: CallOccurrenceEntity): Promise<{ childName: string; parentName: string }> {
    const [row] = await em.query(`SELECT c.display_name AS child, p.display_name AS parent FROM users c, users p WHERE c.id = $1 AND p.id = $2`, [
      occurrence.childId,
      occurrence.parentId,
    ]);
    return { childName: row.child, parentName: row.parent };
  }
}
