import { join } from 'node:path';
import { DataSourceOptions } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { SnakeNamingStrategy } from './snake-naming.strategy';

/** One definition of the database connection, shared by the app, the migration CLI and the tests. */
export function dataSourceOptions(config: AppConfig): DataSourceOptions {
  return {
    type: 'postgres',
    url: config.databaseUrl,
    entities: [join(__dirname, '..', '**', '*.entity.{ts,js}')],
    migrations: [join(__dirname, '..', '..', 'migrations', '*.{ts,js}')],
    migrationsTableName: 'schema_migrations',
    migrationsTransactionMode: 'each',
    namingStrategy: new SnakeNamingStrategy(),
    synchronize: false,
    migrationsRun: false,
    uuidExtension: 'pgcrypto',
    // a fixed-size pool: a connection once opened stays open (pg-pool closes idle ones after 10 s by
    // default). Opening one costs a backend start and, for each prepared statement, fresh plans, and the
    // moment a pool needs more connections is a burst, when it can least afford them.
    extra: { max: config.databasePoolSize, idleTimeoutMillis: 0, application_name: `homeline-${config.role}` },
  };
}
