import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { Actor } from '../../common/actor';
import { notFound } from '../../common/errors';
import { Transactions } from '../../database/transaction';
import { AccessService } from '../access/access.service';
import { NotificationChannel } from './notification.entity';
import { PreferencesResponse, toPreferencesResponse, UpdatePreferencesDto } from './preferences.dto';
import { EffectivePreferences, findRecipient, findRecipients } from './recipients';
import { resolveLocale } from './templates';

/** Channels in one order whatever order they were given in: the set is what counts. */
const CHANNEL_ORDER = [NotificationChannel.Socket, NotificationChannel.Sms];

/** A user's own notification preferences; the locale and time zone they are read in live on the user. */
@Injectable()
export class PreferencesService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly transactions: Transactions,
    private readonly access: AccessService,
  ) {}

  async get(actor: Actor): Promise<PreferencesResponse> {
    this.access.requireAdult(actor);
    return this.read(this.dataSource.manager, actor.userId);
  }

  /** Replaces the whole set, and the user's locale, in one transaction. */
  async update(actor: Actor, input: UpdatePreferencesDto): Promise<PreferencesResponse> {
    this.access.requireAdult(actor);
    const channels = CHANNEL_ORDER.filter((c) => input.channels.includes(c));
    const offsets = [...input.reminderOffsets].sort((a, b) => b - a);
    return this.transactions.run(async (em) => {
      await em.query(
        `INSERT INTO notification_preferences (user_id, channels, quiet_hours_start, quiet_hours_end, reminder_offsets, updated_at)
         VALUES ($1, $2::text[], $3::time, $4::time, $5::int[], now())
         ON CONFLICT (user_id) DO UPDATE
            SET channels = EXCLUDED.channels, quiet_hours_start = EXCLUDED.quiet_hours_start,
                quiet_hours_end = EXCLUDED.quiet_hours_end, reminder_offsets = EXCLUDED.reminder_offsets, updated_at = now()`,
        [actor.userId, channels, input.quietHours?.start ?? null, input.quietHours?.end ?? null, offsets],
      );
      // users.locale belongs to identity, which depends on this module; see recipients.ts
      await em.query(`UPDATE users SET locale = $2, updated_at = now() WHERE id = $1 AND locale IS DISTINCT FROM $2`, [actor.userId, input.locale]);
      return this.read(em, actor.userId);
    });
  }

  /** Preferences in force for each of `userIds` (defaults for those who never saved any); unknown ids are left out. */
  async of(userIds: string[], em: EntityManager = this.dataSource.manager): Promise<Map<string, EffectivePreferences>> {
    const recipients = await findRecipients(em, userIds);
    return new Map([...recipients].map(([id, r]) => [id, { channels: r.channels, quietHours: r.quietHours, reminderOffsets: r.reminderOffsets }]));
  }

  private async read(em: EntityManager, userId: string): Promise<PreferencesResponse> {
    const recipient = await findRecipient(em, userId);
    if (!recipient) throw notFound('User');
    return toPreferencesResponse(recipient, { locale: resolveLocale(recipient.locale), timeZone: recipient.timeZone });
  }
}
