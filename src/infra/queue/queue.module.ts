import { Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { Jobs } from './jobs';
import { OutboxRelay } from './outbox-relay';
import { Queues } from './queues';
import { WorkerHost } from './worker-host';

@Global()
@Module({
  imports: [DiscoveryModule],
  providers: [Jobs, Queues, OutboxRelay, WorkerHost],
  exports: [Jobs, Queues, OutboxRelay],
})
export class QueueModule {}
