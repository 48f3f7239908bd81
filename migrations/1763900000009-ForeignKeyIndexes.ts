import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An index for every foreign key that had none. Deleting a referenced row (a child's account, whose
 * deletion sets these columns to NULL or deletes the rows) makes PostgreSQL find the rows that point
 * at it: without an index, that is a scan of the whole table per key, and reminders and
 * call_occurrences grow every week. Columns that are mostly NULL get partial indexes; the lookups
 * (`col = $1`) imply `col IS NOT NULL`, so the planner uses them. A partial index with another
 * predicate does not serve a foreign key: call_occurrences' and contact_requests' unique keys cover
 * only regular occurrences and pending requests, and conversation_members' user index only current
 * members, so a deleted account's removed memberships were found by a scan.
 */
const INDEXES: [table: string, column: string, partial: boolean][] = [
  ['call_occurrences', 'family_id', false],
  ['call_occurrences', 'parent_id', false],
  ['call_occurrences', 'plan_id', false],
  ['call_occurrences', 'replaces_id', true],
  ['call_plans', 'accepted_by', true],
  ['call_plans', 'parent_id', false],
  ['call_plans', 'proposed_by', true],
  ['call_sessions', 'answered_by', true],
  ['call_sessions', 'ended_by', true],
  ['child_blocks', 'blocked_by', true],
  ['child_contacts', 'approved_by', true],
  ['child_devices', 'code_issued_by', true],
  ['child_devices', 'revoked_by', true],
  ['children', 'created_by', true],
  ['class_enrollments', 'enrolled_by', true],
  ['contact_requests', 'child_id', false],
  ['contact_requests', 'contact_user_id', false],
  ['contact_requests', 'decided_by', true],
  ['contact_requests', 'requested_by', false],
  ['conversations', 'created_by', true],
  ['families', 'created_by', true],
  ['message_media', 'uploaded_by', true],
  ['one_time_codes', 'child_id', true],
  ['one_time_codes', 'consumed_by', true],
  ['one_time_codes', 'created_by', true],
  ['one_time_codes', 'family_id', true],
  ['reminders', 'notification_id', true],
  ['reminders', 'user_id', false],
];

export class ForeignKeyIndexes1763900000009 implements MigrationInterface {
  name = 'ForeignKeyIndexes1763900000009';

  async up(q: QueryRunner): Promise<void> {
    for (const [table, column, partial] of INDEXES) {
      await q.query(`CREATE INDEX ${table}_${column}_idx ON ${table} (${column})${partial ? ` WHERE ${column} IS NOT NULL` : ''}`);
    }
    // the lookups by user and current membership use it as well as the partial one it replaces
    await q.query(`DROP INDEX conversation_members_user_idx`);
    await q.query(`CREATE INDEX conversation_members_user_idx ON conversation_members (user_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX conversation_members_user_idx`);
    await q.query(`CREATE INDEX conversation_members_user_idx ON conversation_members (user_id) WHERE removed_at IS NULL`);
    for (const [table, column] of INDEXES) await q.query(`DROP INDEX ${table}_${column}_idx`);
  }
}
