import { turnCredential } from './turn-credentials';

describe('TURN credentials (TURN REST API, coturn use-auth-secret)', () => {
  const now = new Date('2026-05-01T12:00:00.500Z');

  it('puts the expiry in Unix seconds before the user id', () => {
    const { username, expiresAt } = turnCredential('s3cret-s3cret-s3cret', 'user-1', now, 3600);
    expect(username).toBe(`${Math.floor(now.getTime() / 1000) + 3600}:user-1`);
    expect(expiresAt.toISOString()).toBe('2026-05-01T13:00:00.000Z');
  });

  it('signs the username with HMAC-SHA1 of the shared secret, in base64', () => {
    // reference value computed independently: printf '1777640400:user-1' | openssl dgst -sha1 -hmac 's3cret-s3cret-s3cret' -binary | base64
    expect(turnCredential('s3cret-s3cret-s3cret', 'user-1', now, 3600).credential).toBe('ac+8Xk0CWucFXMh+pamsSLmiCXg=');
  });

  it('differs per user and per secret', () => {
    const a = turnCredential('secret-number-one', 'user-1', now, 60).credential;
    expect(turnCredential('secret-number-one', 'user-2', now, 60).credential).not.toBe(a);
    expect(turnCredential('secret-number-two', 'user-1', now, 60).credential).not.toBe(a);
  });
});
