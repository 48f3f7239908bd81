import { MigrationInterface, QueryRunner } from 'typeorm';

export class Foundation1763900000000 implements MigrationInterface {
  name = 'Foundation1763900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        kind text NOT NULL,
        display_name text NOT NULL,
        phone text,
        phone_verified_at timestamptz,
        email text,
        password_hash text,
        locale text NOT NULL DEFAULT 'zh-CN',
        time_zone text NOT NULL DEFAULT 'Asia/Shanghai',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT users_kind_check CHECK (kind IN ('adult', 'child')),
        CONSTRAINT users_locale_check CHECK (locale IN ('zh-CN', 'en')),
        CONSTRAINT users_adult_login_check CHECK (kind = 'child' OR (password_hash IS NOT NULL AND (phone IS NOT NULL OR email IS NOT NULL))),
        CONSTRAINT users_child_no_login_check CHECK (kind = 'adult' OR (password_hash IS NULL AND phone IS NULL AND email IS NULL))
      );
      CREATE UNIQUE INDEX users_phone_key ON users (phone) WHERE phone IS NOT NULL;
      CREATE UNIQUE INDEX users_email_key ON users (email) WHERE email IS NOT NULL;

      CREATE TABLE families (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL,
        created_by uuid REFERENCES users (id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );

      CREATE TABLE family_members (
        family_id uuid NOT NULL REFERENCES families (id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        role text NOT NULL,
        joined_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT family_members_pkey PRIMARY KEY (family_id, user_id, role),
        CONSTRAINT family_members_role_check CHECK (role IN ('parent', 'guardian'))
      );
      CREATE INDEX family_members_user_idx ON family_members (user_id);

      -- consent columns are NOT NULL: no child exists without an adult's recorded consent
      CREATE TABLE children (
        user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
        family_id uuid NOT NULL REFERENCES families (id) ON DELETE CASCADE,
        birth_year integer,
        created_by uuid REFERENCES users (id) ON DELETE SET NULL,
        consent_given_by uuid NOT NULL,
        consent_given_at timestamptz NOT NULL,
        consent_notice_version text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT children_birth_year_check CHECK (birth_year IS NULL OR birth_year BETWEEN 1990 AND 2100)
      );
      CREATE INDEX children_family_idx ON children (family_id);

      CREATE TABLE child_devices (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        child_id uuid NOT NULL REFERENCES children (user_id) ON DELETE CASCADE,
        name text NOT NULL,
        paired_at timestamptz NOT NULL DEFAULT now(),
        code_issued_by uuid REFERENCES users (id) ON DELETE SET NULL,
        revoked_at timestamptz,
        revoked_by uuid REFERENCES users (id) ON DELETE SET NULL,
        last_seen_at timestamptz
      );
      CREATE INDEX child_devices_child_idx ON child_devices (child_id);

      -- one login chain: a password login, or one paired child device
      CREATE TABLE auth_sessions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        device_id uuid REFERENCES child_devices (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz,
        revoked_reason text
      );
      CREATE INDEX auth_sessions_user_idx ON auth_sessions (user_id);
      CREATE INDEX auth_sessions_device_idx ON auth_sessions (device_id) WHERE device_id IS NOT NULL;

      CREATE TABLE refresh_tokens (
        id uuid PRIMARY KEY,
        session_id uuid NOT NULL REFERENCES auth_sessions (id) ON DELETE CASCADE,
        token_hash text NOT NULL,
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id);

      -- pairing codes, invitations and phone confirmations: hashed, expiring, single use, burnt after 5 misses
      CREATE TABLE one_time_codes (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        purpose text NOT NULL,
        lookup text NOT NULL,
        code_hash text NOT NULL,
        user_id uuid REFERENCES users (id) ON DELETE CASCADE,
        family_id uuid REFERENCES families (id) ON DELETE CASCADE,
        child_id uuid REFERENCES children (user_id) ON DELETE CASCADE,
        role text,
        phone text,
        created_by uuid REFERENCES users (id) ON DELETE CASCADE,
        expires_at timestamptz NOT NULL,
        failed_attempts integer NOT NULL DEFAULT 0,
        consumed_at timestamptz,
        consumed_by uuid REFERENCES users (id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT one_time_codes_purpose_check CHECK (purpose IN ('pairing', 'invitation', 'phone_verification')),
        CONSTRAINT one_time_codes_role_check CHECK (role IS NULL OR role IN ('parent', 'guardian'))
      );
      CREATE INDEX one_time_codes_live_idx ON one_time_codes (purpose, lookup) WHERE consumed_at IS NULL;
      CREATE INDEX one_time_codes_user_idx ON one_time_codes (user_id) WHERE user_id IS NOT NULL;

      CREATE TABLE child_contacts (
        child_id uuid NOT NULL REFERENCES children (user_id) ON DELETE CASCADE,
        contact_user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        source text NOT NULL,
        relationship text,
        approved_by uuid REFERENCES users (id) ON DELETE SET NULL,
        approved_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT child_contacts_pkey PRIMARY KEY (child_id, contact_user_id),
        CONSTRAINT child_contacts_source_check CHECK (source IN ('family', 'request'))
      );
      CREATE INDEX child_contacts_contact_idx ON child_contacts (contact_user_id);

      CREATE TABLE contact_requests (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        child_id uuid NOT NULL REFERENCES children (user_id) ON DELETE CASCADE,
        contact_user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        requested_by uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        relationship text,
        note text,
        status text NOT NULL DEFAULT 'pending',
        decided_by uuid REFERENCES users (id) ON DELETE SET NULL,
        decided_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT contact_requests_status_check CHECK (status IN ('pending', 'approved', 'declined'))
      );
      CREATE UNIQUE INDEX contact_requests_pending_key ON contact_requests (child_id, contact_user_id) WHERE status = 'pending';

      -- ids are kept without foreign keys so the record outlives what it describes (a deleted child)
      CREATE TABLE audit_events (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        family_id uuid,
        child_id uuid,
        actor_id uuid,
        action text NOT NULL,
        details jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX audit_events_child_idx ON audit_events (child_id, created_at DESC) WHERE child_id IS NOT NULL;
      CREATE INDEX audit_events_family_idx ON audit_events (family_id, created_at DESC) WHERE family_id IS NOT NULL;
      CREATE INDEX audit_events_actor_idx ON audit_events (actor_id, created_at DESC) WHERE actor_id IS NOT NULL;

      CREATE TABLE classes (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL,
        school_name text,
        teacher_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        join_code text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT classes_join_code_key UNIQUE (join_code)
      );
      CREATE INDEX classes_teacher_idx ON classes (teacher_id);

      CREATE TABLE class_enrollments (
        class_id uuid NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
        child_id uuid NOT NULL REFERENCES children (user_id) ON DELETE CASCADE,
        enrolled_by uuid REFERENCES users (id) ON DELETE SET NULL,
        enrolled_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT class_enrollments_pkey PRIMARY KEY (class_id, child_id)
      );
      CREATE INDEX class_enrollments_child_idx ON class_enrollments (child_id);

      -- what the system itself tells a user; secret parameters (a code) are sealed and wiped once sent
      CREATE TABLE notifications (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid REFERENCES users (id) ON DELETE CASCADE,
        phone text,
        kind text NOT NULL,
        params jsonb NOT NULL DEFAULT '{}'::jsonb,
        sealed bytea,
        locale text NOT NULL DEFAULT 'zh-CN',
        channel text NOT NULL,
        state text NOT NULL DEFAULT 'pending',
        attempts integer NOT NULL DEFAULT 0,
        last_error text,
        sent_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT notifications_recipient_check CHECK (user_id IS NOT NULL OR phone IS NOT NULL),
        CONSTRAINT notifications_channel_check CHECK (channel IN ('socket', 'sms')),
        CONSTRAINT notifications_state_check CHECK (state IN ('pending', 'sent', 'failed'))
      );
      CREATE INDEX notifications_user_idx ON notifications (user_id, created_at DESC) WHERE user_id IS NOT NULL;

      -- queue work written in the same transaction as the change that causes it (guarantee 5)
      CREATE TABLE outbox (
        id bigserial PRIMARY KEY,
        queue text NOT NULL,
        job_name text NOT NULL,
        payload jsonb NOT NULL,
        job_id text,
        run_at timestamptz,
        attempts integer NOT NULL DEFAULT 0,
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now()
      );
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE outbox;
      DROP TABLE notifications;
      DROP TABLE class_enrollments;
      DROP TABLE classes;
      DROP TABLE audit_events;
      DROP TABLE contact_requests;
      DROP TABLE child_contacts;
      DROP TABLE one_time_codes;
      DROP TABLE refresh_tokens;
      DROP TABLE auth_sessions;
      DROP TABLE child_devices;
      DROP TABLE children;
      DROP TABLE family_members;
      DROP TABLE families;
      DROP TABLE users;
    `);
  }
}
