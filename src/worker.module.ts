import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig } from './config/app-config';
import { coreImports, globalProviders } from './core.modules';

/** Worker process: the same domain modules, whose job handlers the worker host runs; no HTTP. */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    return { module: WorkerModule, imports: coreImports(config), providers: globalProviders };
  }
}
