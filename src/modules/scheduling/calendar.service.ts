import { Injectable } from '@nestjs/common';
import { getVtimezoneComponent } from '@touch4it/ical-timezones';
import ical, { ICalEventStatus } from 'ical-generator';
import { DateTime } from 'luxon';
import { createHmac, randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Actor } from '../../common/actor';
import { Clock } from '../../common/clock';
import { notFound } from '../../common/errors';
import { AppConfig } from '../../config/app-config';
import { Transactions } from '../../database/transaction';
import { AccessService } from '../access/access.service';
import { resolveLocale } from '../notifications/templates';
import { OccurrenceState } from './call-occurrence.entity';
import { CalendarTokenResponse } from './dto/call.dto';
import { HORIZON_MS } from './occurrences.service';

const DAY_MS = 24 * 3600_000;
/** How far back the feed reaches: last month's calls stay in the calendar, marked as they ended. */
const FEED_PAST_MS = 30 * DAY_MS;
/** 32 random bytes, base64url. */
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** A call that will not take place at that time is shown as cancelled, under the same UID. */
const CANCELLED_STATES = new Set<string>([OccurrenceState.Skipped, OccurrenceState.Cancelled, OccurrenceState.Rescheduled]);

interface FeedRow {
  id: string;
  starts_at: Date;
  ends_at: Date;
  state: OccurrenceState;
  version: number;
  updated_at: Date;
  parent_id: string;
  time_zone: string;
  child_name: string;
  parent_name: string;
}

/**
 * A per-user secret iCalendar feed (RFC 5545) of the calls of every child the user is a family
 * adult of. Only an HMAC of the token is stored; issuing a new one makes the old URL stop working.
 */
@Injectable()
export class CalendarService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly transactions: Transactions,
    private readonly access: AccessService,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  async rotateToken(actor: Actor): Promise<CalendarTokenResponse> {
    this.access.requireAdult(actor);
    const token = randomBytes(32).toString('base64url');
    await this.transactions.run((em) =>
      em.query(
        `INSERT INTO calendar_feeds (user_id, token_hash, created_at) VALUES ($1, $2, $3)
         ON CONFLICT (user_id) DO UPDATE SET token_hash = EXCLUDED.token_hash, created_at = EXCLUDED.created_at`,
        [actor.userId, this.hash(token), this.clock.now()],
      ),
    );
    return { url: `${this.config.publicUrl}/v1/calendar/${token}.ics`, token };
  }

  /** The feed's text, or 404 for a token that is unknown, rotated away, or not even shaped like one. */
  async feed(token: string): Promise<string> {
    if (!TOKEN.test(token)) throw notFound('Calendar');
    const [user]: { id: string; locale: string; time_zone: string }[] = await this.dataSource.query(
      `SELECT u.id, u.locale, u.time_zone FROM calendar_feeds f JOIN users u ON u.id = f.user_id WHERE f.token_hash = $1 AND u.kind = 'adult'`,
      [this.hash(token)],
    );
    if (!user) throw notFound('Calendar');
    const now = this.clock.now();
    const rows: FeedRow[] = await this.dataSource.query(
      `SELECT o.id, o.starts_at, o.ends_at, o.state, o.version, o.updated_at, o.parent_id, o.time_zone,
              child.display_name AS child_name, parent.display_name AS parent_name
         FROM call_occurrences o
         JOIN users child ON child.id = o.child_id
         JOIN users parent ON parent.id = o.parent_id
        WHERE o.child_id IN (SELECT c.user_id FROM children c JOIN family_members m ON m.family_id = c.family_id WHERE m.user_id = $1)
          AND o.starts_at >= $2 AND o.starts_at < $3
        ORDER BY o.starts_at, o.id`,
      [user.id, new Date(now.getTime() - FEED_PAST_MS), new Date(now.getTime() + HORIZON_MS)],
    );
    const locale = resolveLocale(user.locale);
    const calendar = ical({
      name: locale === 'zh-CN' ? '家庭视频通话' : 'Family video calls',
      prodId: { company: 'Homeline', product: 'calls', language: locale === 'zh-CN' ? 'ZH' : 'EN' },
      ttl: 3600,
    });
    // each call in its household's zone (TZID), with a VTIMEZONE for every zone used
    calendar.timezone({ name: null, generator: getVtimezoneComponent });
    for (const row of rows) {
      const mine = row.parent_id === user.id;
      calendar.createEvent({
        id: `${row.id}@homeline`,
        start: DateTime.fromJSDate(new Date(row.starts_at), { zone: row.time_zone }),
        end: DateTime.fromJSDate(new Date(row.ends_at), { zone: row.time_zone }),
        timezone: row.time_zone,
        stamp: new Date(row.updated_at),
        sequence: row.version,
        status: CANCELLED_STATES.has(row.state) ? ICalEventStatus.CANCELLED : ICalEventStatus.CONFIRMED,
        summary:
          locale === 'zh-CN'
            ? mine
              ? `与${row.child_name}视频通话`
              : `${row.child_name}和${row.parent_name}视频通话`
            : mine
              ? `Video call with ${row.child_name}`
              : `Video call: ${row.child_name} and ${row.parent_name}`,
      });
    }
    return calendar.toString();
  }

  private hash(token: string): string {
    return createHmac('sha256', this.config.codePepper).update(`calendar-feed:${token}`).digest('hex');
  }
}
