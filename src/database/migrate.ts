import { DataSource } from 'typeorm';
import { AppConfig, loadConfig } from '../config/app-config';
import { dataSourceOptions } from './data-source-options';

/** `migrate up` applies pending migrations; `migrate down` reverts the last one. */
export async function migrate(config: AppConfig, direction: 'up' | 'down'): Promise<string[]> {
  const dataSource = await new DataSource({ ...dataSourceOptions(config), entities: [] }).initialize();
  try {
    if (direction === 'down') {
      await dataSource.undoLastMigration({ transaction: 'each' });
      return ['reverted one'];
    }
    const ran = await dataSource.runMigrations({ transaction: 'each' });
    return ran.map((m) => m.name);
  } finally {
    await dataSource.destroy();
  }
}

if (require.main === module) {
  const direction = process.argv[2] === 'down' ? 'down' : 'up';
  migrate(loadConfig(), direction)
    .then((names) => {
      console.log(names.length ? `migrations ${direction}: ${names.join(', ')}` : 'migrations: up to date');
    })
    .catch((error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    });
}
