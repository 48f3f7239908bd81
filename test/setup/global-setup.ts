import { Client } from 'pg';
import { migrate } from '../../src/database/migrate';
import { databaseUrl, templateDatabaseName, testConfig } from './test-config';

/**
 * Runs once per jest run: migrates a template database (only when the migrations changed) and drops
 * databases left behind by earlier runs. Each test file then clones the template in milliseconds.
 */
export default async function globalSetup(): Promise<void> {
  const admin = testConfig();
  const client = new Client({ connectionString: admin.databaseUrl });
  await client.connect();
  try {
    const template = templateDatabaseName();
    const { rows: stale } = await client.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE (datname LIKE 'hlt\\_%' OR (datname LIKE 'hl\\_template\\_%' AND datname <> $1))`,
      [template],
    );
    for (const { datname } of stale) await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    const { rowCount } = await client.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [template]);
    if (rowCount) return;
    const building = `${template}_building`;
    await client.query(`DROP DATABASE IF EXISTS "${building}" WITH (FORCE)`);
    await client.query(`CREATE DATABASE "${building}"`);
    await migrate(testConfig({ DATABASE_URL: databaseUrl(admin.databaseUrl, building) }), 'up');
    await client.query(`ALTER DATABASE "${building}" RENAME TO "${template}"`);
  } finally {
    await client.end();
  }
}
