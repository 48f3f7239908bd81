import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { migrate } from '../../src/database/migrate';
import { databaseUrl, testConfig, testDatabaseName, withPgClient } from '../setup/test-config';

/** Migrations are the schema's history; the entities must describe exactly what they built. */
describe('schema: migrations and entities agree', () => {
  const name = testDatabaseName();
  const url = databaseUrl(testConfig().databaseUrl, name);
  const admin = new Client({ connectionString: testConfig().databaseUrl });

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name}"`);
  });
  afterAll(async () => {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  });
  it('runs every migration up on an empty database, down again, and up again', async () => {
    const up = await migrate(testConfig({ DATABASE_URL: url }), 'up');
    expect(up.length).toBeGreaterThan(0);
    for (let i = 0; i < up.length; i++) await migrate(testConfig({ DATABASE_URL: url }), 'down');
    const { rows } = await withPgClient(url, (client) => client.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations'`));
    expect(rows).toEqual([]);
    expect(await migrate(testConfig({ DATABASE_URL: url }), 'up')).toEqual(up);
  });

  it('every entity column exists with its type and nullability, and every table has an entity', async () => {
    const dataSource = await new DataSource({ ...dataSourceOptions(testConfig({ DATABASE_URL: url })) }).initialize();
    try {
      const columns: { table_name: string; column_name: string; udt_name: string; is_nullable: string }[] = await dataSource.query(
        `SELECT table_name, column_name, udt_name, is_nullable FROM information_schema.columns WHERE table_schema = 'public'`,
      );
      const actual = new Map(columns.map((c) => [`${c.table_name}.${c.column_name}`, c]));
      // entity column types in PostgreSQL's internal (udt) names; arrays are the element's name with '_'
      const udt: Record<string, string> = { smallint: 'int2', integer: 'int4', int: 'int4', bigint: 'int8', boolean: 'bool', 'character varying': 'varchar' };
      const entityType = (type: string, array: boolean) => `${array ? '_' : ''}${udt[type] ?? type}`;
      const mismatches: string[] = [];
      const tablesWithEntities = new Set<string>();
      for (const entity of dataSource.entityMetadatas) {
        tablesWithEntities.add(entity.tableName);
        for (const column of entity.columns) {
          const key = `${entity.tableName}.${column.databaseName}`;
          const found = actual.get(key);
          if (!found) {
            mismatches.push(`${key}: missing in the database`);
            continue;
          }
          const expectedType = entityType(String(column.type === Number ? 'integer' : column.type === String ? 'text' : column.type), column.isArray);
          if (found.udt_name !== expectedType) mismatches.push(`${key}: entity ${expectedType}, database ${found.udt_name}`);
          if ((found.is_nullable === 'YES') !== column.isNullable) mismatches.push(`${key}: entity nullable=${column.isNullable}, database ${found.is_nullable}`);
        }
      }
      const mapped = new Set(dataSource.entityMetadatas.flatMap((e) => e.columns.map((c) => `${e.tableName}.${c.databaseName}`)));
      for (const key of actual.keys()) if (!key.startsWith('schema_migrations.') && !mapped.has(key)) mismatches.push(`${key}: not mapped by its entity`);
      const tables = new Set(columns.map((c) => c.table_name));
      for (const table of tables) if (table !== 'schema_migrations' && !tablesWithEntities.has(table)) mismatches.push(`${table}: no entity`);
      expect(mismatches).toEqual([]);
    } finally {
      await dataSource.destroy();
    }
  });

  it("has an index leading with each column the messages are looked up by (a sender's, a conversation's, a resend)", async () => {
    await withPgClient(url, async (client) => {
      // each index of messages as its columns in order, and whether it is unique
      const { rows } = await client.query<{ columns: string[]; unique: boolean }>(
        `SELECT array_agg(a.attname::text ORDER BY k.ord) AS columns, bool_or(i.indisunique) AS unique
           FROM pg_index i
           CROSS JOIN unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
           JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
          WHERE i.indrelid = 'messages'::regclass
          GROUP BY i.indexrelid`,
      );
      const leadsWith = (...columns: string[]) => rows.some((r) => columns.every((c, n) => r.columns[n] === c));
      // a sender's messages: the data export, erasure, and ON DELETE SET NULL when the account goes
      expect(leadsWith('sender_id')).toBe(true);
      // a conversation's messages after a seq: sync
      expect(leadsWith('conversation_id', 'seq')).toBe(true);
      // a resend: one unique index of exactly its three columns
      const resendKey = ['client_msg_id', 'conversation_id', 'sender_id'];
      expect(rows.some((r) => r.unique && [...r.columns].sort().join() === resendKey.join())).toBe(true);
      // and no index that another one's leading columns already serve
      const served = rows.filter((r) => rows.some((o) => o !== r && o.columns.length > r.columns.length && r.columns.every((c, n) => o.columns[n] === c)));
      expect(served).toEqual([]);
    });
  });

  it('has an index for every foreign key, leading with its columns, so deleting a referenced row never scans a table', async () => {
    await withPgClient(url, async (client) => {
      const { rows } = await client.query<{ name: string }>(
        `SELECT c.conname AS name
           FROM pg_constraint c
          WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace
            AND NOT EXISTS (
              SELECT 1 FROM pg_index i
               WHERE i.indrelid = c.conrelid
                 -- the index's first n columns are the key's n columns, in any order
                 AND (i.indkey::int2[])[0:cardinality(c.conkey) - 1] @> c.conkey
                 AND (i.indkey::int2[])[0:cardinality(c.conkey) - 1] <@ c.conkey
                 -- a partial index serves the lookup (key = $1) only if its predicate is that the key is set
                 AND (i.indpred IS NULL OR pg_get_expr(i.indpred, i.indrelid) IN (
                       SELECT format('(%s IS NOT NULL)', a.attname) FROM pg_attribute a WHERE a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey))))
          ORDER BY 1`,
      );
      expect(rows.map((r) => r.name)).toEqual([]);
    });
  });

  it('gives new messages time-ordered ids: UUIDs of version 7 whose first 48 bits are the time in milliseconds', async () => {
    await withPgClient(url, async (client) => {
      const [{ column_default }] = (
        await client.query(`SELECT column_default FROM information_schema.columns WHERE table_name = 'messages' AND column_name = 'id'`)
      ).rows;
      expect(column_default).toBe('uuid_v7()');
      const before = Date.now();
      const { rows: first } = await client.query<{ id: string }>(`SELECT uuid_v7()::text AS id FROM generate_series(1, 3)`);
      // the function scan sleeps before the select list runs
      const { rows: later } = await client.query<{ id: string }>(`SELECT uuid_v7()::text AS id FROM pg_sleep(0.002)`);
      const after = Date.now();
      const ids = [...first, ...later].map((r) => r.id);
      for (const id of ids) {
        expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        const ms = parseInt(id.replace(/-/g, '').slice(0, 12), 16);
        expect(ms).toBeGreaterThanOrEqual(before - 1000);
        expect(ms).toBeLessThanOrEqual(after + 1000);
      }
      // one taken two milliseconds later sorts after the others; the three of one instant differ
      expect(ids[3] > ids[0] && ids[3] > ids[1] && ids[3] > ids[2]).toBe(true);
      expect(new Set(ids).size).toBe(4);
    });
  });
});
