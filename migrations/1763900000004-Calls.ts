import { MigrationInterface, QueryRunner } from 'typeorm';

export class Calls1763900000004 implements MigrationInterface {
  name = 'Calls1763900000004';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      -- the record of one call: ringing -> active -> ended, or declined / missed. Who is joined on
      -- which socket is live state and lives in Redis; only what happened is kept here.
      CREATE TABLE call_sessions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        family_id uuid NOT NULL REFERENCES families (id) ON DELETE CASCADE,
        child_id uuid NOT NULL REFERENCES children (user_id) ON DELETE CASCADE,
        -- adults' ids outlive their accounts as null, so the child's call history stays whole
        caller_id uuid REFERENCES users (id) ON DELETE SET NULL,
        -- 'child': rings the child and its guardians; 'contact': rings one approved contact (callee_id)
        callee_side text NOT NULL,
        callee_id uuid REFERENCES users (id) ON DELETE SET NULL,
        occurrence_id uuid REFERENCES call_occurrences (id) ON DELETE SET NULL,
        state text NOT NULL DEFAULT 'ringing',
        started_at timestamptz NOT NULL,
        answered_at timestamptz,
        answered_by uuid REFERENCES users (id) ON DELETE SET NULL,
        ended_at timestamptz,
        ended_by uuid REFERENCES users (id) ON DELETE SET NULL,
        end_reason text,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT call_sessions_callee_side_check CHECK (callee_side IN ('child', 'contact')),
        CONSTRAINT call_sessions_state_check CHECK (state IN ('ringing', 'active', 'ended', 'declined', 'missed')),
        CONSTRAINT call_sessions_end_reason_check CHECK (
          end_reason IS NULL OR end_reason IN ('hung_up', 'cancelled', 'declined', 'no_answer', 'connection_lost', 'access_revoked')),
        CONSTRAINT call_sessions_answered_check CHECK (state <> 'active' OR answered_at IS NOT NULL),
        CONSTRAINT call_sessions_ended_check CHECK ((ended_at IS NULL) = (state IN ('ringing', 'active'))),
        CONSTRAINT call_sessions_order_check CHECK (answered_at >= started_at AND ended_at >= coalesce(answered_at, started_at))
      );
      -- a child is in one call at a time: a second call:start while one rings or runs is refused
      CREATE UNIQUE INDEX call_sessions_live_child_key ON call_sessions (child_id) WHERE state IN ('ringing', 'active');
      CREATE INDEX call_sessions_child_started_idx ON call_sessions (child_id, started_at DESC);
      CREATE INDEX call_sessions_family_idx ON call_sessions (family_id);
      CREATE INDEX call_sessions_caller_idx ON call_sessions (caller_id);
      CREATE INDEX call_sessions_callee_idx ON call_sessions (callee_id) WHERE callee_id IS NOT NULL;
      CREATE INDEX call_sessions_occurrence_idx ON call_sessions (occurrence_id) WHERE occurrence_id IS NOT NULL;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE call_sessions;`);
  }
}
