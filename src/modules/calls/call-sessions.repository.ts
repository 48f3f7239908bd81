import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { updateReturning } from '../../database/sql';
import { CallEndReason, CallSessionEntity, CallState } from './call-session.entity';

/** A scheduled call as a live call needs it. */
export interface OpenOccurrence {
  id: string;
  parentId: string;
  startsAt: Date;
  endsAt: Date;
  state: string;
}

const COLUMNS = `id, family_id AS "familyId", child_id AS "childId", caller_id AS "callerId", callee_side AS "calleeSide",
  callee_id AS "calleeId", occurrence_id AS "occurrenceId", state, started_at AS "startedAt", answered_at AS "answeredAt",
  answered_by AS "answeredBy", ended_at AS "endedAt", ended_by AS "endedBy", end_reason AS "endReason", created_at AS "createdAt"`;

/**
 * The call record. Every transition is a compare-and-set on `state`, so two nodes (two devices
 * answering, a hang-up racing the ring timeout) can never both win.
 */
@Injectable()
export class CallSessionsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Unscoped by design: the caller's access to the call is decided from what this returns. */
  find(sessionId: string, em: EntityManager = this.dataSource.manager): Promise<CallSessionEntity | null> {
    return em.findOneBy(CallSessionEntity, { id: sessionId });
  }

  insert(
    em: EntityManager,
    call: Pick<CallSessionEntity, 'familyId' | 'childId' | 'callerId' | 'calleeSide' | 'calleeId' | 'occurrenceId' | 'startedAt'>,
  ): Promise<CallSessionEntity> {
    return em.save(em.create(CallSessionEntity, { ...call, state: CallState.Ringing }));
  }

  /** ringing -> active; only the first answer gets the row back. */
  async answer(em: EntityManager, sessionId: string, userId: string, at: Date): Promise<CallSessionEntity | undefined> {
    const [row] = await updateReturning<CallSessionEntity>(
      em,
      `UPDATE call_sessions SET state = 'active', answered_at = $3, answered_by = $2
        WHERE id = $1 AND state = 'ringing' RETURNING ${COLUMNS}`,
      [sessionId, userId, at],
    );
    return row;
  }

  /** A live call (ringing or active) ends in `state`; only the first ending gets the row back. */
  async finish(
    em: EntityManager,
    sessionId: string,
    end: { state: CallState.Ended | CallState.Declined | CallState.Missed; reason: CallEndReason; by: string | null; at: Date; onlyIf?: CallState },
  ): Promise<CallSessionEntity | undefined> {
    const [row] = await updateReturning<CallSessionEntity>(
      em,
      `UPDATE call_sessions SET state = $2, end_reason = $3, ended_by = $4, ended_at = greatest($5, coalesce(answered_at, started_at))
        WHERE id = $1 AND state = ANY($6::text[]) RETURNING ${COLUMNS}`,
      [sessionId, end.state, end.reason, end.by, end.at, end.onlyIf ? [end.onlyIf] : [CallState.Ringing, CallState.Active]],
    );
    return row;
  }

  /** The child's family's guardians: with the child, the side a call to the child rings. */
  async guardiansOf(familyId: string): Promise<string[]> {
    const rows: { userId: string }[] = await this.dataSource.query(
      `SELECT DISTINCT user_id AS "userId" FROM family_members WHERE family_id = $1 AND role = 'guardian'`,
      [familyId],
    );
    return rows.map((r) => r.userId);
  }

  /** The family's parent when it has exactly one: whom a child's call goes to when it names no one. */
  async soleParent(familyId: string): Promise<string | undefined> {
    const rows: { userId: string }[] = await this.dataSource.query(
      `SELECT DISTINCT user_id AS "userId" FROM family_members WHERE family_id = $1 AND role = 'parent'`,
      [familyId],
    );
    return rows.length === 1 ? rows[0].userId : undefined;
  }

  async displayNames(userIds: string[]): Promise<Map<string, string>> {
    const rows: { id: string; displayName: string }[] = await this.dataSource.query(
      `SELECT id, display_name AS "displayName" FROM users WHERE id = ANY($1::uuid[])`,
      [userIds],
    );
    return new Map(rows.map((r) => [r.id, r.displayName]));
  }

  /*
   * Scheduled calls. The scheduling module owns call_occurrences but offers no way to realise one; a
   * live call does it here, always scoped by the child, in the same transaction as its own transition.
   */

  async occurrenceOf(childId: string, occurrenceId: string): Promise<OpenOccurrence | undefined> {
    const [row] = await this.dataSource.query(
      `SELECT id, parent_id AS "parentId", starts_at AS "startsAt", ends_at AS "endsAt", state
         FROM call_occurrences WHERE id = $1 AND child_id = $2`,
      [occurrenceId, childId],
    );
    return row;
  }

  /** The child's scheduled call with `parentId` whose window (opening `earlyMs` before its start) holds `at`. */
  async occurrenceAt(childId: string, parentId: string, at: Date, earlyMs: number): Promise<OpenOccurrence | undefined> {
    const [row] = await this.dataSource.query(
      `SELECT id, parent_id AS "parentId", starts_at AS "startsAt", ends_at AS "endsAt", state
         FROM call_occurrences
        WHERE child_id = $1 AND parent_id = $2 AND state = 'scheduled'
          AND starts_at - make_interval(secs => $4::double precision / 1000) <= $3 AND ends_at > $3
        ORDER BY starts_at LIMIT 1`,
      [childId, parentId, at, earlyMs],
    );
    return row;
  }

  /** scheduled -> completed, with a new version so its pending reminders send nothing. */
  async completeOccurrence(em: EntityManager, childId: string, occurrenceId: string, at: Date): Promise<boolean> {
    const rows = await updateReturning(
      em,
      `UPDATE call_occurrences SET state = 'completed', completed_at = $3, talked_seconds = 0, version = version + 1, updated_at = $3
        WHERE id = $1 AND child_id = $2 AND state = 'scheduled' RETURNING id`,
      [occurrenceId, childId, at],
    );
    return rows.length === 1;
  }

  /** Adds an ended call's talk time to the scheduled call it realised (a redial after a drop adds up). */
  async addTalkedSeconds(em: EntityManager, childId: string, occurrenceId: string, seconds: number, at: Date): Promise<void> {
    await em.query(
      `UPDATE call_occurrences SET talked_seconds = coalesce(talked_seconds, 0) + $3, version = version + 1, updated_at = $4
        WHERE id = $1 AND child_id = $2 AND state = 'completed'`,
      [occurrenceId, childId, seconds, at],
    );
  }
}

