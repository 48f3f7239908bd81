import { MigrationInterface, QueryRunner } from 'typeorm';

export class IdempotencyKeys1763900000001 implements MigrationInterface {
  name = 'IdempotencyKeys1763900000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      -- a retried write with the same Idempotency-Key replays the first answer instead of acting twice
      CREATE TABLE idempotency_keys (
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        key text NOT NULL,
        request_hash text NOT NULL,
        status integer,
        response jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT idempotency_keys_pkey PRIMARY KEY (user_id, key)
      );
      CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE idempotency_keys`);
  }
}
