import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { AppConfig, loadConfig } from '../../src/config/app-config';

/** Test configuration: the admin DATABASE_URL/REDIS_URL come from the environment scripts/services.sh writes. */
export function testConfig(overrides: Record<string, string | undefined> = {}): AppConfig {
  return loadConfig(testEnvironment(overrides));
}

/** The variables behind `testConfig`, for a process of its own (a worker) to be configured the same way. */
export function testEnvironment(overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    NODE_ENV: 'test',
    JWT_SECRET: 'test-jwt-secret-that-is-long-enough-0123456789',
    CODE_PEPPER: 'test-code-pepper-that-is-long-enough-0123456789',
    LOG_LEVEL: 'warn',
    OUTBOX_POLL_MS: '200',
    // tests sign in hundreds of times from one address; the limiter has its own test
    RATE_LIMIT_AUTH_PER_MINUTE: '100000',
    RATE_LIMIT_USER_PER_MINUTE: '100000',
    ...overrides,
  };
}

const migrationsDir = join(__dirname, '..', '..', 'migrations');

/** Named after the migrations' content, so a changed migration builds a fresh template. */
export function templateDatabaseName(): string {
  const hash = createHash('sha256');
  for (const file of readdirSync(migrationsDir).sort()) hash.update(file).update(readFileSync(join(migrationsDir, file)));
  return `hl_template_${hash.digest('hex').slice(0, 12)}`;
}

/** `hlt_<epoch seconds>_<random>`: the global setup drops only leftovers older than two hours. */
export const testDatabaseName = () => `hlt_${Math.floor(Date.now() / 1000)}_${randomBytes(5).toString('hex')}`;

export function databaseUrl(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** Runs `work` on a PostgreSQL connection of its own to `url`, closed afterwards whatever happens. */
export async function withPgClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
