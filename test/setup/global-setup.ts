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
    // test databases carry their creation time (hlt_<epoch seconds>_<random>): only leftovers older than
    // two hours are dropped, so runs in parallel on one machine never pull a database from under each other
    const { rows: existing } = await client.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname LIKE 'hlt\\_%' OR (datname LIKE 'hl\\_template\\_%' AND datname <> $1 AND datname NOT LIKE '%\\_building')`,
      [template],
    );
    const cutoff = Date.now() / 1000 - 2 * 3600;
    const stale = existing.filter(({ datname }) => {
      if (!datname.startsWith('hlt_')) return true;
      const created = Number(datname.split('_')[1]);
      return !Number.isFinite(created) || created < cutoff;
    });
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
