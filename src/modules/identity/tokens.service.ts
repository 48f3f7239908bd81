import { Injectable } from '@nestjs/common';
import { createHmac, createSecretKey, KeyObject, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { DataSource, EntityManager } from 'typeorm';
import { Actor, UserKind } from '../../common/actor';
import { Clock } from '../../common/clock';
import { unauthenticated } from '../../common/errors';
import { AppConfig } from '../../config/app-config';
import { updateReturning } from '../../database/sql';
import { RealtimePublisher } from '../../infra/realtime/realtime.publisher';
import { AuthSessionEntity } from './auth-session.entity';
import { RefreshTokenEntity } from './refresh-token.entity';

const AUDIENCE = 'homeline-api';
const ISSUER = 'homeline';
const ALGORITHM = 'HS256';

interface AccessClaims {
  typ: 'access';
  kind: UserKind;
  sid: string;
  did?: string;
}

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  tokenType: 'Bearer';
}

/**
 * Short-lived access JWTs (fixed algorithm, audience, issuer and type) and opaque rotating refresh
 * tokens stored as HMACs. Every token belongs to a session; revoking the session ends them all.
 */
@Injectable()
export class TokensService {
  /**
   * The signing secret as a key object, made once: handed the string, jsonwebtoken first tries (and
   * fails) to parse it as a public or private key on every sign and verify, about 0.7 ms each.
   */
  private readonly key: KeyObject;

  constructor(
    private readonly dataSource: DataSource,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly realtime: RealtimePublisher,
  ) {
    this.key = createSecretKey(Buffer.from(config.jwtSecret, 'utf8'));
  }

  async startSession(em: EntityManager, userId: string, kind: UserKind, deviceId?: string): Promise<TokenPair> {
    const session = await em.save(em.create(AuthSessionEntity, { userId, deviceId: deviceId ?? null }));
    return this.issuePair(em, session, kind);
  }

  /** Verifies an access token and that its session is still live (so revocation is immediate). */
  async authenticate(token: unknown): Promise<Actor> {
    if (typeof token !== 'string' || token.length === 0 || token.length > 4096) throw unauthenticated();
    let claims: jwt.JwtPayload & Partial<AccessClaims>;
    try {
      claims = jwt.verify(token, this.key, {
        algorithms: [ALGORITHM],
        audience: AUDIENCE,
        issuer: ISSUER,
        clockTimestamp: Math.floor(this.clock.now().getTime() / 1000),
      }) as jwt.JwtPayload & Partial<AccessClaims>;
    } catch {
      throw unauthenticated('The access token is invalid or expired');
    }
    if (claims.typ !== 'access' || typeof claims.sub !== 'string' || typeof claims.sid !== 'string') {
      throw unauthenticated('The access token is invalid or expired');
    }
    const [session] = await this.dataSource.query(
      `SELECT 1 FROM auth_sessions WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL`,
      [claims.sid, claims.sub],
    );
    if (!session) throw unauthenticated('This sign-in has ended; please sign in again');
    return {
      userId: claims.sub,
      kind: claims.kind === UserKind.Child ? UserKind.Child : UserKind.Adult,
      sessionId: claims.sid,
      ...(claims.did ? { deviceId: claims.did } : {}),
    };
  }

  /** Rotates a refresh token. Presenting one that was already spent revokes the whole login chain. */
  async refresh(refreshToken: string): Promise<TokenPair> {
    const parsed = parseRefreshToken(refreshToken);
    if (!parsed) throw unauthenticated('The refresh token is invalid');
    const outcome = await this.dataSource.transaction(async (em) => {
      const row = await em.findOneBy(RefreshTokenEntity, { id: parsed.id });
      if (!row || !safeEqual(row.tokenHash, this.hash(parsed.secret))) return { error: 'invalid' as const };
      const session = await em.findOneByOrFail(AuthSessionEntity, { id: row.sessionId });
      if (session.revokedAt) return { error: 'invalid' as const };
      const now = this.clock.now();
      const [spent] = await updateReturning(em, `UPDATE refresh_tokens SET used_at = $2 WHERE id = $1 AND used_at IS NULL RETURNING id`, [
        row.id,
        now,
      ]);
      if (!spent) {
        await em.update(AuthSessionEntity, { id: session.id }, { revokedAt: now, revokedReason: 'refresh_token_reuse' });
        return { error: 'reused' as const, sessionId: session.id };
      }
      if (row.expiresAt <= now) return { error: 'invalid' as const };
      const [user] = await em.query(`SELECT kind FROM users WHERE id = $1`, [session.userId]);
      return { pair: await this.issuePair(em, session, user.kind as UserKind) };
    });
    if ('pair' in outcome && outcome.pair) return outcome.pair;
    if (outcome.error === 'reused') {
      this.realtime.disconnectSession(outcome.sessionId);
      throw unauthenticated('This refresh token was already used; the sign-in has been ended for safety');
    }
    throw unauthenticated('The refresh token is invalid or expired');
  }

  /** Ends sessions (logout, device revocation, account deletion) and closes their open sockets at once. */
  async revokeSessions(em: EntityManager, where: { sessionId?: string; deviceId?: string; userId?: string }, reason: string): Promise<string[]> {
    const [column, value] = where.sessionId
      ? ['id', where.sessionId]
      : where.deviceId
        ? ['device_id', where.deviceId]
        : ['user_id', where.userId];
    const rows = await updateReturning<{ id: string }>(
      em,
      `UPDATE auth_sessions SET revoked_at = $2, revoked_reason = $3 WHERE ${column} = $1 AND revoked_at IS NULL RETURNING id`,
      [value, this.clock.now(), reason],
    );
    return rows.map((r) => r.id);
  }

  disconnect(sessionIds: string[]): void {
    for (const id of sessionIds) this.realtime.disconnectSession(id);
  }

  private async issuePair(em: EntityManager, session: AuthSessionEntity, kind: UserKind): Promise<TokenPair> {
    const now = this.clock.now();
    const claims: AccessClaims = { typ: 'access', kind, sid: session.id, ...(session.deviceId ? { did: session.deviceId } : {}) };
    // iat from the injected clock: jsonwebtoken derives exp from it, and verification uses the same clock
    const accessToken = jwt.sign({ ...claims, iat: Math.floor(now.getTime() / 1000) }, this.key, {
      algorithm: ALGORITHM,
      audience: AUDIENCE,
      issuer: ISSUER,
      subject: session.userId,
      expiresIn: this.config.accessTokenTtlSeconds,
      jwtid: randomUUID(),
    });
    const id = randomUUID();
    const secret = randomBytes(32).toString('base64url');
    await em.insert(RefreshTokenEntity, {
      id,
      sessionId: session.id,
      tokenHash: this.hash(secret),
      expiresAt: new Date(now.getTime() + this.config.refreshTokenTtlDays * 86_400_000),
    });
    return { accessToken, refreshToken: `${id}.${secret}`, expiresIn: this.config.accessTokenTtlSeconds, tokenType: 'Bearer' };
  }

  private hash(secret: string): string {
    return createHmac('sha256', this.config.jwtSecret).update(`refresh:${secret}`).digest('hex');
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function parseRefreshToken(token: string): { id: string; secret: string } | undefined {
  const [id, secret, ...rest] = token.split('.');
  if (rest.length || !id || !secret || !UUID.test(id) || !/^[A-Za-z0-9_-]{43}$/.test(secret)) return undefined;
  return { id, secret };
}

const safeEqual = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
