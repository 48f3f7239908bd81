import { MigrationInterface, QueryRunner } from 'typeorm';

export class ReminderBatches1763900000005 implements MigrationInterface {
  name = 'ReminderBatches1763900000005';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      -- a batch of reminders is marked sent, with its notification's id, in one statement before the
      -- notifications are inserted in the same transaction: the reference is checked at commit
      ALTER TABLE reminders ALTER CONSTRAINT reminders_notification_id_fkey DEFERRABLE INITIALLY DEFERRED;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE reminders ALTER CONSTRAINT reminders_notification_id_fkey NOT DEFERRABLE;`);
  }
}
