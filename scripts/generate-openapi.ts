import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildOpenApi, createApp } from '../src/app.factory';
import { loadConfig } from '../src/config/app-config';

/** Writes openapi.json from the running code; test/integration/platform.int-spec.ts fails when they differ. */
async function main(): Promise<void> {
  const app = await createApp(loadConfig({ APP_ROLE: 'api', LOG_LEVEL: 'warn' }));
  writeFileSync(join(__dirname, '..', 'openapi.json'), `${JSON.stringify(buildOpenApi(app), null, 2)}\n`);
  await app.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
