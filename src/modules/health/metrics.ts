import { Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { OutboxRelay } from '../../infra/queue/outbox-relay';

/** Prometheus metrics for this process: runtime defaults, HTTP latency, outbox backlog. */
@Injectable()
export class Metrics {
  readonly registry = new Registry();
  readonly httpDuration = new Histogram({
    name: 'homeline_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  constructor(outbox: OutboxRelay) {
    collectDefaultMetrics({ register: this.registry, prefix: 'homeline_' });
    new Gauge({
      name: 'homeline_outbox_backlog',
      help: 'Queue work committed but not yet handed to BullMQ',
      registers: [this.registry],
      async collect() {
        this.set(await outbox.backlog().catch(() => -1));
      },
    });
  }
}

@Injectable()
export class HttpMetricsMiddleware implements NestMiddleware {
  constructor(private readonly metrics: Metrics) {}

  use(req: Request, res: Response, next: NextFunction): void {
    const end = this.metrics.httpDuration.startTimer({ method: req.method });
    res.on('finish', () => end({ route: (req.route?.path as string | undefined) ?? 'unmatched', status: String(res.statusCode) }));
    next();
  }
}
