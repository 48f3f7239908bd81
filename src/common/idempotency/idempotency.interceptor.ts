import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { createHash } from 'node:crypto';
import { from, Observable, of } from 'rxjs';
import { catchError, mergeMap } from 'rxjs/operators';
import { DataSource } from 'typeorm';
import { updateReturning } from '../../database/sql';
import { Actor } from '../actor';
import { conflict, invalidField } from '../errors';

const KEY = /^[A-Za-z0-9_-]{8,100}$/;
/** A first attempt that has not finished in this long is taken to have died, and may be retried. */
const ABANDONED_AFTER_MS = 60_000;

/**
 * `Idempotency-Key` on an authenticated write: the first request runs and its answer is kept; a retry
 * with the same key and body replays that answer; the same key with another body is a conflict.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly dataSource: DataSource,
    private readonly reflector: Reflector,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<Request & { actor?: Actor }>();
    const header = request.headers['idempotency-key'];
    if (header === undefined || request.method === 'GET' || !request.actor) return next.handle();
    if (typeof header !== 'string' || !KEY.test(header)) throw invalidField('Idempotency-Key', 'must be 8-100 letters, digits, _ or -');
    const userId = request.actor.userId;
    const requestHash = createHash('sha256')
      .update(`${request.method} ${request.originalUrl}\n${JSON.stringify(request.body ?? null)}`)
      .digest('hex');
    const status = this.reflector.get<number | undefined>(HTTP_CODE_METADATA, context.getHandler()) ?? (request.method === 'POST' ? 201 : 200);
    const response = context.switchToHttp().getResponse<Response>();

    return from(this.claim(userId, header, requestHash)).pipe(
      mergeMap((stored) => {
        if (stored) {
          response.status(stored.status);
          response.setHeader('Idempotent-Replayed', 'true');
          return of(stored.response);
        }
        return next.handle().pipe(
          mergeMap((body) =>
            from(
              this.dataSource.query(`UPDATE idempotency_keys SET status = $3, response = $4 WHERE user_id = $1 AND key = $2`, [
                userId,
                header,
                status,
                JSON.stringify(body ?? null),
              ]),
            ).pipe(mergeMap(() => of(body))),
          ),
          catchError((error: unknown) =>
            from(this.dataSource.query(`DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2`, [userId, header])).pipe(
              mergeMap(() => {
                throw error;
              }),
            ),
          ),
        );
      }),
    );
  }

  /** Returns the stored answer to replay, or undefined when this request holds the key and should run. */
  private async claim(userId: string, key: string, requestHash: string): Promise<{ status: number; response: unknown } | undefined> {
    return this.dataSource.transaction(async (em) => {
      const inserted = await em.query(
        `INSERT INTO idempotency_keys (user_id, key, request_hash) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING key`,
        [userId, key, requestHash],
      );
      if (inserted.length) return undefined;
      const [existing] = await em.query(`SELECT request_hash, status, response, created_at FROM idempotency_keys WHERE user_id = $1 AND key = $2 FOR UPDATE`, [
        userId,
        key,
      ]);
      if (!existing) return undefined;
      if (existing.request_hash !== requestHash) throw conflict('This Idempotency-Key was already used for a different request');
      if (existing.status !== null) return { status: existing.status, response: existing.response };
      if (Date.now() - new Date(existing.created_at).getTime() < ABANDONED_AFTER_MS) {
        throw conflict('A request with this Idempotency-Key is still being processed; retry shortly');
      }
      await updateReturning(em, `UPDATE idempotency_keys SET created_at = now() WHERE user_id = $1 AND key = $2 RETURNING key`, [userId, key]);
      return undefined;
    });
  }
}
