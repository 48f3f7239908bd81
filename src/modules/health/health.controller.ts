import { Controller, Get, Header, Inject, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { Public } from '../../common/actor';
import { OutboxRelay } from '../../infra/queue/outbox-relay';
import { REDIS_COMMAND } from '../../infra/redis/redis.factory';
import { Metrics } from './metrics';

export class HealthResponse {
  @ApiProperty({ enum: ['ok'] })
  status: 'ok';
}

export class ReadinessResponse {
  @ApiProperty({ enum: ['ready', 'unavailable'] })
  status: 'ready' | 'unavailable';
  @ApiProperty({ example: { postgres: 'up', redis: 'down' } })
  checks: { postgres: 'up' | 'down'; redis: 'up' | 'down' };
  @ApiProperty({ description: 'Queue work waiting in the outbox (written while Redis was away)', nullable: true, type: Number })
  outboxBacklog: number | null;
}

const within = <T>(promise: Promise<T>, ms: number) =>
  Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), ms).unref())]);

@ApiTags('operations')
@Public()
@Controller()
export class HealthController {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(REDIS_COMMAND) private readonly redis: Redis,
    private readonly outbox: OutboxRelay,
    private readonly metrics: Metrics,
  ) {}

  @Get('health')
  @ApiOperation({ summary: 'Liveness: the process answers' })
  @ApiOkResponse({ type: HealthResponse })
  health(): HealthResponse {
    return { status: 'ok' };
  }

  @Get('health/ready')
  @ApiOperation({ summary: 'Readiness: PostgreSQL and Redis both answer' })
  @ApiOkResponse({ type: ReadinessResponse })
  @ApiServiceUnavailableResponse({ type: ReadinessResponse })
  async ready(@Res({ passthrough: true }) res: Response): Promise<ReadinessResponse> {
    const [postgres, redis] = await Promise.all([
      within(this.dataSource.query('SELECT 1'), 1000).then(() => 'up' as const, () => 'down' as const),
      within(this.redis.ping(), 1000).then(() => 'up' as const, () => 'down' as const),
    ]);
    const outboxBacklog = postgres === 'up' ? await this.outbox.backlog().catch(() => null) : null;
    const ready = postgres === 'up' && redis === 'up';
    res.status(ready ? 200 : 503);
    return { status: ready ? 'ready' : 'unavailable', checks: { postgres, redis }, outboxBacklog };
  }

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4')
  @ApiOperation({ summary: 'Prometheus metrics' })
  @ApiOkResponse({ type: String })
  metricsText(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
