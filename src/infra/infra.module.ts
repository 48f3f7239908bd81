import { Global, Module } from '@nestjs/common';
import { Clock, SystemClock } from '../common/clock';
import { Transactions } from '../database/transaction';
import { QueueModule } from './queue/queue.module';
import { RealtimePublisher } from './realtime/realtime.publisher';
import { RedisModule } from './redis/redis.module';
import { smsGatewayProvider } from './sms/sms.gateway';

/** Side-effect adapters every module may use. Never imports from modules/. */
@Global()
@Module({
  imports: [RedisModule, QueueModule],
  providers: [{ provide: Clock, useClass: SystemClock }, Transactions, RealtimePublisher, smsGatewayProvider],
  exports: [Clock, Transactions, RealtimePublisher, smsGatewayProvider, RedisModule, QueueModule],
})
export class InfraModule {}
