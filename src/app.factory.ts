import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { AppConfig } from './config/app-config';
import { RealtimeIoAdapter } from './infra/realtime/realtime-io.adapter';
import { RealtimePublisher } from './infra/realtime/realtime.publisher';
import { AccessTokenVerifier } from './common/guards/auth.guard';
import { mountQueueDashboard } from './infra/queue/queue-dashboard';
import { Queues } from './infra/queue/queues';

export function buildOpenApi(app: INestApplication): OpenAPIObject {
  const document = new DocumentBuilder()
    .setTitle('Homeline API')
    .setDescription('Weekly calls, family messaging and school notices for migrant parents, the guardians at home and the children they care for.')
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    .build();
  return SwaggerModule.createDocument(app, document, { operationIdFactory: (controller, method) => `${controller.replace(/Controller$/, '')}_${method}` });
}

/** Builds the API application as production runs it. */
export async function createApp(config: AppConfig): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), { bufferLogs: true, bodyParser: false });
  return configureApp(app, config);
}

/** Everything main.ts applies to the application; tests build theirs through the testing module and call this. */
export function configureApp(app: NestExpressApplication, config: AppConfig): NestExpressApplication {
  app.useLogger(app.get(Logger));
  app.useBodyParser('json', { limit: '256kb', type: ['application/json', 'application/*+json'] });
  app.set('trust proxy', 'loopback, linklocal, uniquelocal');
  app.disable('x-powered-by');
  app.enableShutdownHooks();
  app.useWebSocketAdapter(
    new RealtimeIoAdapter(app, config, (token) => app.get(AccessTokenVerifier).authenticate(token) as never, app.get(RealtimePublisher)),
  );
  SwaggerModule.setup('docs', app, buildOpenApi(app), { jsonDocumentUrl: 'docs-json' });
  mountQueueDashboard(app, config, app.get(Queues));
  return app;
}
