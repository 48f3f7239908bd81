import { MigrationInterface, QueryRunner } from 'typeorm';

export class Scheduling1763900000002 implements MigrationInterface {
  name = 'Scheduling1763900000002';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE EXTENSION IF NOT EXISTS btree_gist;

      -- a weekly call, kept in the wall-clock time of the child's household
      CREATE TABLE call_plans (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        family_id uuid NOT NULL REFERENCES families (id) ON DELETE CASCADE,
        child_id uuid NOT NULL REFERENCES children (user_id) ON DELETE CASCADE,
        parent_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        days_of_week smallint[] NOT NULL,
        start_time time NOT NULL,
        duration_minutes integer NOT NULL,
        time_zone text NOT NULL,
        starts_on date NOT NULL,
        status text NOT NULL DEFAULT 'proposed',
        -- who made the terms now on the table; the other side answers
        proposed_by uuid REFERENCES users (id) ON DELETE SET NULL,
        paused_until date,
        version integer NOT NULL DEFAULT 1,
        accepted_by uuid REFERENCES users (id) ON DELETE SET NULL,
        accepted_at timestamptz,
        ended_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT call_plans_status_check CHECK (status IN ('proposed', 'countered', 'active', 'paused', 'declined', 'ended')),
        CONSTRAINT call_plans_duration_check CHECK (duration_minutes BETWEEN 5 AND 120),
        CONSTRAINT call_plans_days_check CHECK (cardinality(days_of_week) BETWEEN 1 AND 7 AND days_of_week <@ ARRAY[0,1,2,3,4,5,6]::smallint[])
      );
      CREATE INDEX call_plans_child_idx ON call_plans (child_id);
      CREATE INDEX call_plans_family_idx ON call_plans (family_id);

      -- one dated instance of a plan (or a make-up / moved call); UTC instant plus household-local date
      CREATE TABLE call_occurrences (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        plan_id uuid NOT NULL REFERENCES call_plans (id) ON DELETE CASCADE,
        family_id uuid NOT NULL REFERENCES families (id) ON DELETE CASCADE,
        child_id uuid NOT NULL REFERENCES children (user_id) ON DELETE CASCADE,
        parent_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        kind text NOT NULL DEFAULT 'regular',
        replaces_id uuid REFERENCES call_occurrences (id) ON DELETE SET NULL,
        starts_at timestamptz NOT NULL,
        ends_at timestamptz NOT NULL,
        local_date date NOT NULL,
        time_zone text NOT NULL,
        state text NOT NULL DEFAULT 'scheduled',
        version integer NOT NULL DEFAULT 1,
        completed_at timestamptz,
        talked_seconds integer,
        missed_at timestamptz,
        makeup_starts_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT call_occurrences_kind_check CHECK (kind IN ('regular', 'rescheduled', 'makeup')),
        CONSTRAINT call_occurrences_state_check CHECK (state IN ('scheduled', 'completed', 'missed', 'skipped', 'rescheduled', 'cancelled')),
        CONSTRAINT call_occurrences_span_check CHECK (ends_at > starts_at),
        -- a child is never booked into two calls at once
        CONSTRAINT call_occurrences_no_overlap EXCLUDE USING gist (child_id WITH =, tstzrange(starts_at, ends_at) WITH &&) WHERE (state = 'scheduled')
      );
      -- the horizon job may run any number of times: one regular occurrence per plan and local date
      CREATE UNIQUE INDEX call_occurrences_regular_key ON call_occurrences (plan_id, local_date) WHERE kind = 'regular';
      CREATE INDEX call_occurrences_child_starts_idx ON call_occurrences (child_id, starts_at);
      CREATE INDEX call_occurrences_due_idx ON call_occurrences (ends_at) WHERE state = 'scheduled';

      -- reminder intent; "once" is this row's compare-and-set, never the BullMQ job id (guarantee 4)
      CREATE TABLE reminders (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        occurrence_id uuid NOT NULL REFERENCES call_occurrences (id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        offset_minutes integer NOT NULL,
        occurrence_version integer NOT NULL,
        due_at timestamptz NOT NULL,
        state text NOT NULL DEFAULT 'scheduled',
        sent_at timestamptz,
        notification_id uuid REFERENCES notifications (id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT reminders_state_check CHECK (state IN ('scheduled', 'sent', 'skipped', 'failed')),
        CONSTRAINT reminders_offset_check CHECK (offset_minutes BETWEEN 0 AND 10080),
        CONSTRAINT reminders_once_key UNIQUE (occurrence_id, user_id, offset_minutes, occurrence_version)
      );
      CREATE INDEX reminders_scheduled_due_idx ON reminders (due_at) WHERE state = 'scheduled';

      CREATE TABLE notification_preferences (
        user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
        channels text[] NOT NULL DEFAULT ARRAY['socket', 'sms'],
        quiet_hours_start time,
        quiet_hours_end time,
        reminder_offsets integer[] NOT NULL DEFAULT ARRAY[1440, 15],
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT notification_preferences_channels_check CHECK (channels <@ ARRAY['socket', 'sms']),
        CONSTRAINT notification_preferences_quiet_check CHECK ((quiet_hours_start IS NULL) = (quiet_hours_end IS NULL))
      );

      -- a notification is one message; each channel attempt is a row of its own
      ALTER TABLE notifications
        ADD COLUMN urgent boolean NOT NULL DEFAULT false,
        ADD COLUMN not_before timestamptz,
        ADD COLUMN delivered_at timestamptz,
        ADD COLUMN read_at timestamptz;
      CREATE TABLE notification_attempts (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        notification_id uuid NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
        channel text NOT NULL,
        state text NOT NULL,
        error text,
        attempted_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT notification_attempts_channel_check CHECK (channel IN ('socket', 'sms')),
        CONSTRAINT notification_attempts_state_check CHECK (state IN ('sent', 'failed'))
      );
      CREATE INDEX notification_attempts_notification_idx ON notification_attempts (notification_id);

      -- per-user secret calendar feed; only the HMAC of the token is kept
      CREATE TABLE calendar_feeds (
        user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
        token_hash text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT calendar_feeds_token_key UNIQUE (token_hash)
      );
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE calendar_feeds;
      DROP TABLE notification_attempts;
      ALTER TABLE notifications DROP COLUMN urgent, DROP COLUMN not_before, DROP COLUMN delivered_at, DROP COLUMN read_at;
      DROP TABLE notification_preferences;
      DROP TABLE reminders;
      DROP TABLE call_occurrences;
      DROP TABLE call_plans;
    `);
  }
}
