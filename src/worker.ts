import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { AppRole } from './config/environment';
import { loadConfig } from './config/app-config';
import { WorkerModule } from './worker.module';

/** Worker process: BullMQ processors and the outbox relay; SIGTERM lets running jobs finish. */
async function main(): Promise<void> {
  const config = loadConfig({ APP_ROLE: AppRole.Worker });
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  await app.init();
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
