import { MigrationInterface, QueryRunner } from 'typeorm';

export class Messaging1763900000003 implements MigrationInterface {
  name = 'Messaging1763900000003';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      -- one thread: a family's own (one per family), or one a family adult opened around a child
      CREATE TABLE conversations (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        kind text NOT NULL,
        family_id uuid REFERENCES families (id) ON DELETE CASCADE,
        title text,
        created_by uuid REFERENCES users (id) ON DELETE SET NULL,
        -- the last seq handed out; reserved under this row's lock, so seqs are gapless per conversation
        last_seq bigint NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT conversations_kind_check CHECK (kind IN ('family', 'group')),
        CONSTRAINT conversations_family_check CHECK (kind <> 'family' OR family_id IS NOT NULL),
        CONSTRAINT conversations_last_seq_check CHECK (last_seq >= 0)
      );
      CREATE UNIQUE INDEX conversations_family_key ON conversations (family_id) WHERE kind = 'family';
      CREATE INDEX conversations_family_idx ON conversations (family_id) WHERE family_id IS NOT NULL;

      -- a removed member keeps its row (and so its read mark) for the record, but loses access
      CREATE TABLE conversation_members (
        conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        read_seq bigint NOT NULL DEFAULT 0,
        joined_at timestamptz NOT NULL DEFAULT now(),
        removed_at timestamptz,
        removed_reason text,
        CONSTRAINT conversation_members_pkey PRIMARY KEY (conversation_id, user_id),
        CONSTRAINT conversation_members_read_seq_check CHECK (read_seq >= 0)
      );
      CREATE INDEX conversation_members_user_idx ON conversation_members (user_id) WHERE removed_at IS NULL;

      -- uploaded voice and image files; the bytes live in the storage adapter under storage_key
      CREATE TABLE message_media (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        uploaded_by uuid REFERENCES users (id) ON DELETE SET NULL,
        kind text NOT NULL,
        content_type text NOT NULL,
        size_bytes integer NOT NULL,
        duration_ms integer,
        storage_key text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT message_media_kind_check CHECK (kind IN ('voice', 'image')),
        CONSTRAINT message_media_size_check CHECK (size_bytes > 0),
        CONSTRAINT message_media_duration_check CHECK (duration_ms IS NULL OR duration_ms > 0),
        CONSTRAINT message_media_storage_key UNIQUE (storage_key)
      );
      CREATE INDEX message_media_conversation_idx ON message_media (conversation_id);

      -- a record: retracted messages keep their row (the body is hidden), nothing is deleted
      CREATE TABLE messages (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        seq bigint NOT NULL,
        client_msg_id text NOT NULL,
        -- null for system messages, and once the sender's account is deleted
        sender_id uuid REFERENCES users (id) ON DELETE SET NULL,
        kind text NOT NULL,
        body text,
        media_id uuid REFERENCES message_media (id) ON DELETE SET NULL,
        retracted_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT messages_kind_check CHECK (kind IN ('text', 'voice', 'image', 'system')),
        CONSTRAINT messages_seq_check CHECK (seq > 0),
        CONSTRAINT messages_client_msg_id_check CHECK (length(client_msg_id) BETWEEN 1 AND 64),
        CONSTRAINT messages_conversation_seq_key UNIQUE (conversation_id, seq),
        CONSTRAINT messages_client_msg_key UNIQUE (conversation_id, sender_id, client_msg_id)
      );
      CREATE INDEX messages_sender_idx ON messages (sender_id) WHERE sender_id IS NOT NULL;
      CREATE INDEX messages_media_idx ON messages (media_id) WHERE media_id IS NOT NULL;

      CREATE TABLE message_reports (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        message_id uuid NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
        reporter_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        reason text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT message_reports_once_key UNIQUE (message_id, reporter_id)
      );
      CREATE INDEX message_reports_reporter_idx ON message_reports (reporter_id);

      -- someone a child no longer hears from, whatever their contact approval says
      CREATE TABLE child_blocks (
        child_id uuid NOT NULL REFERENCES children (user_id) ON DELETE CASCADE,
        blocked_user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        blocked_by uuid REFERENCES users (id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT child_blocks_pkey PRIMARY KEY (child_id, blocked_user_id)
      );
      CREATE INDEX child_blocks_blocked_user_idx ON child_blocks (blocked_user_id);

      -- every existing family gets its thread, with its adults and children as members
      INSERT INTO conversations (kind, family_id, created_by, created_at)
      SELECT 'family', f.id, f.created_by, f.created_at FROM families f;
      INSERT INTO conversation_members (conversation_id, user_id)
      SELECT DISTINCT c.id, m.user_id FROM conversations c JOIN family_members m ON m.family_id = c.family_id WHERE c.kind = 'family'
      UNION
      SELECT c.id, ch.user_id FROM conversations c JOIN children ch ON ch.family_id = c.family_id WHERE c.kind = 'family';
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE child_blocks;
      DROP TABLE message_reports;
      DROP TABLE messages;
      DROP TABLE message_media;
      DROP TABLE conversation_members;
      DROP TABLE conversations;
    `);
  }
}
