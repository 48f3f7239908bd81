import { MigrationInterface, QueryRunner } from 'typeorm';

export class MillisecondCursors1763900000006 implements MigrationInterface {
  name = 'MillisecondCursors1763900000006';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      -- lists paged by (created_at, id) hand out cursors that carry milliseconds (a JS Date): the
      -- column holds exactly that, so a page continues after its last row by a plain comparison that
      -- the (…, created_at) indexes serve, and rows written in the same millisecond are never skipped
      ALTER TABLE audit_events ALTER COLUMN created_at TYPE timestamptz(3);
      ALTER TABLE notifications ALTER COLUMN created_at TYPE timestamptz(3);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE audit_events ALTER COLUMN created_at TYPE timestamptz;
      ALTER TABLE notifications ALTER COLUMN created_at TYPE timestamptz;
    `);
  }
}
