import { MigrationInterface, QueryRunner } from 'typeorm';

export class MessagesSenderKey1763900000007 implements MigrationInterface {
  name = 'MessagesSenderKey1763900000007';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      -- the resend key leads with the sender, so it also serves what messages_sender_idx served (a
      -- sender's messages: the data export, erasure, ON DELETE SET NULL), and a text message writes
      -- three index entries instead of four
      ALTER TABLE messages ADD CONSTRAINT messages_sender_client_msg_key UNIQUE (sender_id, conversation_id, client_msg_id);
      ALTER TABLE messages DROP CONSTRAINT messages_client_msg_key;
      DROP INDEX messages_sender_idx;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE INDEX messages_sender_idx ON messages (sender_id) WHERE sender_id IS NOT NULL;
      ALTER TABLE messages ADD CONSTRAINT messages_client_msg_key UNIQUE (conversation_id, sender_id, client_msg_id);
      ALTER TABLE messages DROP CONSTRAINT messages_sender_client_msg_key;
    `);
  }
}
