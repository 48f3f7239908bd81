import { MigrationInterface, QueryRunner } from 'typeorm';

export class MessageIdsTimeOrdered1763900000008 implements MigrationInterface {
  name = 'MessageIdsTimeOrdered1763900000008';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      -- A UUID of version 7 (RFC 9562): 48 bits of Unix time in milliseconds, then 74 random bits.
      -- PostgreSQL 18 has uuidv7(); this is the same for the versions before it: a random (version 4)
      -- UUID with its first six bytes replaced by the time, and its version bits set from 4 to 7.
      CREATE FUNCTION uuid_v7() RETURNS uuid LANGUAGE sql VOLATILE PARALLEL SAFE AS $$
        SELECT encode(
          set_bit(set_bit(
            overlay(uuid_send(gen_random_uuid())
                    PLACING substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
                    FROM 1 FOR 6),
            52, 1), 53, 1),
          'hex')::uuid
      $$;
      -- messages is the table that grows without end: new ids in time order put each batch's
      -- primary-key entries on the index's newest page, where a random id touches a random page
      -- (one the cache may not hold once the table outgrows memory); earlier ids stay as they are
      ALTER TABLE messages ALTER COLUMN id SET DEFAULT uuid_v7();
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE messages ALTER COLUMN id SET DEFAULT gen_random_uuid();
      DROP FUNCTION uuid_v7();
    `);
  }
}
