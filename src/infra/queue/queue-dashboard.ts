import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { timingSafeEqual } from 'node:crypto';
import { AppConfig } from '../../config/app-config';
import { Queues } from './queues';

/** `/admin/queues`: the BullMQ dashboard, only with ADMIN_TOKEN set, and only for that bearer token. */
export function mountQueueDashboard(app: NestExpressApplication, config: AppConfig, queues: Queues): void {
  const token = config.adminToken;
  const requireAdmin = (req: Request, res: Response, next: NextFunction) => {
    const given = Buffer.from((req.headers.authorization ?? '').replace(/^Bearer /i, ''));
    const expected = Buffer.from(token ?? '');
    if (token && given.length === expected.length && timingSafeEqual(given, expected)) return next();
    res.status(token ? 401 : 404).type('application/problem+json').send(
      JSON.stringify({ type: 'about:blank', title: token ? 'Sign-in required' : 'Not found', status: token ? 401 : 404, code: token ? 'unauthenticated' : 'not_found' }),
    );
  };
  const adapter = new ExpressAdapter();
  adapter.setBasePath('/admin/queues');
  createBullBoard({ queues: queues.all().map((q) => new BullMQAdapter(q)), serverAdapter: adapter });
  app.use('/admin/queues', requireAdmin, adapter.getRouter());
}
