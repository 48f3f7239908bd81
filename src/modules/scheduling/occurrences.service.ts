import { Injectable, Logger } from '@nestjs/common';
import { EntityManager, QueryFailedError } from 'typeorm';
import { Clock } from '../../common/clock';
import { updateReturning } from '../../database/sql';
import { Transactions } from '../../database/transaction';
import { AuditAction } from '../audit/audit-event.entity';
import { AuditService } from '../audit/audit.service';
import { CallPlanStatus } from './call-plan.entity';
import { addDays, expand, Slot, WeeklyRule } from './recurrence';
import { RemindersService } from './reminders.service';

const DAY_MS = 24 * 3600_000;
/** Occurrences exist at least this far ahead: eight weeks, plus a day so a late job run never dips below. */
export const HORIZON_MS = (8 * 7 + 1) * DAY_MS;
/** Plans per transaction when the horizon job walks all of them. */
const EXTEND_BATCH = 500;

/** SQLSTATE of an exclusion-constraint violation: here, two scheduled calls of one child overlapping. */
export const EXCLUSION_VIOLATION = '23P01';
export const violatesNoOverlap = (error: unknown): boolean =>
  error instanceof QueryFailedError && (error as QueryFailedError & { code?: string }).code === EXCLUSION_VIOLATION;

/** The columns of a plan that its expansion needs. */
export interface PlanRule extends WeeklyRule {
  id: string;
  childId: string;
  status: CallPlanStatus;
  pausedUntil: string | null;
}

interface Candidate extends Slot {
  planId: string;
  childId: string;
}

interface PlanRow {
  id: string;
  child_id: string;
  days_of_week: number[];
  start_time: string;
  duration_minutes: number;
  time_zone: string;
  starts_on: string;
  status: CallPlanStatus;
  paused_until: string | null;
  last_date?: string | null;
}

const toRule = (r: PlanRow): PlanRule => ({
  id: r.id,
  childId: r.child_id,
  daysOfWeek: r.days_of_week.map(Number),
  startTime: r.start_time,
  durationMinutes: r.duration_minutes,
  timeZone: r.time_zone,
  startsOn: r.starts_on,
  status: r.status,
  pausedUntil: r.paused_until,
});

const PLAN_COLUMNS = `p.id, p.child_id, p.days_of_week, p.start_time, p.duration_minutes, p.time_zone,
  to_char(p.starts_on, 'YYYY-MM-DD') AS starts_on, p.status, to_char(p.paused_until, 'YYYY-MM-DD') AS paused_until`;

/** Newest date first: the later of several optional "not before" dates. */
const latest = (...dates: (string | null | undefined)[]) => dates.filter((d): d is string => !!d).sort().at(-1);

/**
 * The dated calls of active plans, kept a rolling horizon ahead. Inserting is idempotent (one
 * regular occurrence per plan and local date) and never books a child into two calls at once: a
 * slot that would overlap another scheduled call is left out rather than failing the batch.
 */
@Injectable()
export class OccurrencesService {
  private readonly logger = new Logger(OccurrencesService.name);

  constructor(
    private readonly transactions: Transactions,
    private readonly reminders: RemindersService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /**
   * Inserts the plan's regular occurrences that start in [from, to) and plans their reminders, in
   * the caller's transaction; returns the ids written. A paused plan with an end date gets only the
   * dates from that day on; any other plan that is not active gets nothing. A regular occurrence
   * cancelled by a pause is brought back (with a new version) when its slot is wanted again.
   */
  async materialise(em: EntityManager, planId: string, from: Date, to: Date): Promise<string[]> {
    const [row]: PlanRow[] = await em.query(`SELECT ${PLAN_COLUMNS} FROM call_plans p WHERE p.id = $1`, [planId]);
    if (!row) return [];
    return this.insertSlots(em, this.candidates([toRule(row)], from, to));
  }

  /**
   * The maintenance job: resumes paused plans whose date has come, then extends every plan that
   * should have calls up to the horizon. Each batch of plans is one transaction; plans being
   * changed at this moment are skipped (their own change materialises what it needs).
   */
  async extendHorizon(): Promise<{ resumed: number; created: number }> {
    const resumed = await this.resumeDuePauses();
    let created = 0;
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const batch = await this.transactions.run(async (em): Promise<{ plans: number; last?: string; inserted: number }> => {
        const now = this.clock.now();
        const rows: PlanRow[] = await em.query(
          `SELECT ${PLAN_COLUMNS},
                  (SELECT to_char(max(o.local_date), 'YYYY-MM-DD') FROM call_occurrences o
                    WHERE o.plan_id = p.id AND o.kind = 'regular') AS last_date
             FROM call_plans p
            WHERE (p.status = 'active' OR (p.status = 'paused' AND p.paused_until IS NOT NULL)) AND p.id > $1
            ORDER BY p.id
            LIMIT $2
              FOR NO KEY UPDATE SKIP LOCKED`,
          [after, EXTEND_BATCH],
        );
        const horizon = new Date(now.getTime() + HORIZON_MS);
        // only the dates after the last one already written: a daily run touches a day per plan
        const candidates = rows.flatMap((row) => this.candidates([toRule(row)], now, horizon, row.last_date ? addDays(row.last_date, 1) : undefined));
        const ids = await this.insertSlots(em, candidates);
        return { plans: rows.length, last: rows.at(-1)?.id, inserted: ids.length };
      });
      created += batch.inserted;
      if (batch.plans < EXTEND_BATCH || !batch.last) break;
      after = batch.last;
    }
    if (resumed || created) this.logger.log({ resumed, created }, 'occurrence horizon extended');
    return { resumed, created };
  }

  /**
   * Cancels the plan's scheduled calls that have not started yet (before `beforeLocalDate` when
   * given) and stops their reminders; returns their ids.
   */
  async cancelFuture(em: EntityManager, planId: string, beforeLocalDate?: string): Promise<string[]> {
    const now = this.clock.now();
    const rows = await updateReturning<{ id: string }>(
      em,
      `UPDATE call_occurrences SET state = 'cancelled', version = version + 1, updated_at = $2
        WHERE plan_id = $1 AND state = 'scheduled' AND starts_at > $2 AND ($3::date IS NULL OR local_date < $3::date)
        RETURNING id`,
      [planId, now, beforeLocalDate ?? null],
    );
    const ids = rows.map((r) => r.id);
    await this.reminders.supersede(em, ids);
    return ids;
  }

  /** A pause whose date has come ends by itself: the family is apart again and the calls go on. */
  private async resumeDuePauses(): Promise<number> {
    return this.transactions.run(async (em) => {
      const now = this.clock.now();
      const rows = await updateReturning<{ id: string; family_id: string; child_id: string; paused_until: string }>(
        em,
        `UPDATE call_plans p SET status = 'active', paused_until = NULL, version = version + 1, updated_at = $1
           FROM (SELECT id, to_char(paused_until, 'YYYY-MM-DD') AS paused_until FROM call_plans
                  WHERE status = 'paused' AND paused_until <= ($1::timestamptz AT TIME ZONE time_zone)::date
                  FOR NO KEY UPDATE SKIP LOCKED) due
          WHERE p.id = due.id
          RETURNING p.id, p.family_id, p.child_id, due.paused_until`,
        [now],
      );
      for (const row of rows) {
        await this.audit.record(em, {
          action: AuditAction.CallPlanResumed,
          actorId: null,
          familyId: row.family_id,
          childId: row.child_id,
          details: { planId: row.id, automatic: true, pausedUntil: row.paused_until },
        });
        await this.materialise(em, row.id, now, new Date(now.getTime() + HORIZON_MS));
      }
      return rows.length;
    });
  }

  private candidates(plans: PlanRule[], from: Date, to: Date, notBefore?: string): Candidate[] {
    return plans.flatMap((plan) => {
      if (plan.status !== CallPlanStatus.Active && !(plan.status === CallPlanStatus.Paused && plan.pausedUntil)) return [];
      const notBeforeLocalDate = latest(notBefore, plan.status === CallPlanStatus.Paused ? plan.pausedUntil : undefined);
      return expand(plan, from, to, { notBeforeLocalDate }).map((slot) => ({ ...slot, planId: plan.id, childId: plan.childId }));
    });
  }

  /**
   * One set-based INSERT … SELECT: slots overlapping a scheduled call of the child are filtered out
   * by NOT EXISTS, existing dates are left alone (or revived when cancelled) by ON CONFLICT. Should a
   * concurrent booking still trip the exclusion constraint, the batch is redone row by row, each in
   * its own savepoint, so one clash never aborts the rest.
   */
  private async insertSlots(em: EntityManager, candidates: Candidate[]): Promise<string[]> {
    const slots = withoutMutualOverlaps(candidates);
    if (slots.length === 0) return [];
    let ids: string[];
    await em.query('SAVEPOINT materialise');
    try {
      ids = await this.insertBatch(em, slots);
      await em.query('RELEASE SAVEPOINT materialise');
    } catch (error) {
      if (!violatesNoOverlap(error)) throw error;
      await em.query('ROLLBACK TO SAVEPOINT materialise');
      ids = [];
      for (const slot of slots) {
        await em.query('SAVEPOINT materialise_one');
        try {
          ids.push(...(await this.insertBatch(em, [slot])));
          await em.query('RELEASE SAVEPOINT materialise_one');
        } catch (rowError) {
          if (!violatesNoOverlap(rowError)) throw rowError;
          await em.query('ROLLBACK TO SAVEPOINT materialise_one');
        }
      }
    }
    await this.reminders.planFor(em, ids);
    return ids;
  }

  private async insertBatch(em: EntityManager, slots: Candidate[]): Promise<string[]> {
    const rows: { id: string }[] = await em.query(
      `INSERT INTO call_occurrences (plan_id, family_id, child_id, parent_id, kind, starts_at, ends_at, local_date, time_zone, updated_at)
       SELECT p.id, p.family_id, p.child_id, p.parent_id, 'regular', c.starts_at, c.ends_at, c.local_date, p.time_zone, $5
         FROM unnest($1::uuid[], $2::timestamptz[], $3::timestamptz[], $4::date[]) AS c(plan_id, starts_at, ends_at, local_date)
         JOIN call_plans p ON p.id = c.plan_id
        WHERE NOT EXISTS (
                SELECT 1 FROM call_occurrences o
                 WHERE o.child_id = p.child_id AND o.state = 'scheduled'
                   AND tstzrange(o.starts_at, o.ends_at) && tstzrange(c.starts_at, c.ends_at))
       ON CONFLICT (plan_id, local_date) WHERE kind = 'regular'
       DO UPDATE SET state = 'scheduled', version = call_occurrences.version + 1,
                     starts_at = EXCLUDED.starts_at, ends_at = EXCLUDED.ends_at, updated_at = EXCLUDED.updated_at
        WHERE call_occurrences.state = 'cancelled'
       RETURNING id`,
      [slots.map((s) => s.planId), slots.map((s) => s.startsAt), slots.map((s) => s.endsAt), slots.map((s) => s.localDate), this.clock.now()],
    );
    return rows.map((r) => r.id);
  }
}

/**
 * NOT EXISTS cannot see rows of the same statement, so slots of one batch that overlap each other
 * (two plans of a child drifting together across a DST change) keep only the earlier one.
 */
export function withoutMutualOverlaps<T extends Slot & { childId: string }>(slots: T[]): T[] {
  const sorted = [...slots].sort((a, b) => (a.childId < b.childId ? -1 : a.childId > b.childId ? 1 : a.startsAt.getTime() - b.startsAt.getTime()));
  const kept: T[] = [];
  for (const slot of sorted) {
    const previous = kept.at(-1);
    if (previous && previous.childId === slot.childId && previous.endsAt.getTime() > slot.startsAt.getTime()) continue;
    kept.push(slot);
  }
  return kept;
}
