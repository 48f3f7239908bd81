import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { migrate } from '../../src/database/migrate';
import { databaseUrl, testConfig, testDatabaseName } from '../setup/test-config';

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
    const client = new Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations'`);
    await client.end();
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
});
