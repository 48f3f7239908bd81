import { createHmac } from 'node:crypto';

export interface TurnCredential {
  username: string;
  credential: string;
  expiresAt: Date;
}

/**
 * The TURN REST API form that coturn checks with `use-auth-secret`: the username is the expiry (Unix
 * seconds) and the user id, the password is base64(HMAC-SHA1(secret, username)). The TURN server
 * recomputes the HMAC and refuses an expired username, so nothing is stored and nothing is revoked.
 */
export function turnCredential(secret: string, userId: string, now: Date, ttlSeconds: number): TurnCredential {
  const expiry = Math.floor(now.getTime() / 1000) + ttlSeconds;
  const username = `${expiry}:${userId}`;
  return { username, credential: createHmac('sha1', secret).update(username).digest('base64'), expiresAt: new Date(expiry * 1000) };
}
