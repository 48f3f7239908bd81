import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig } from './config/app-config';
import { coreImports, globalProviders } from './core.modules';
import { HealthModule } from './modules/health/health.module';
import { RealtimeModule } from './modules/realtime/realtime.module';

/** API process (and, with APP_ROLE=all, the workers too): HTTP, socket.io, health and metrics. */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return { module: AppModule, imports: [...coreImports(config), HealthModule, RealtimeModule], providers: globalProviders };
  }
}
