import { deriveSealingKey, seal, unseal } from './sealed';

describe('sealed params', () => {
  const key = deriveSealingKey('a-pepper-of-at-least-some-length');
  const context = '0b5f1d7e-3c1a-4e5b-9a57-2f0c8f1e6d42';
  const secrets = { code: '482913', url: 'https://homeline.example/join/K7P-2QX' };

  it('round-trips a small object', () => {
    const sealed = seal(key, secrets, context);
    expect(unseal(key, sealed, context)).toEqual(secrets);
  });

  it('does not contain the plaintext and differs every time', () => {
    const a = seal(key, secrets, context);
    const b = seal(key, secrets, context);
    expect(a.equals(b)).toBe(false);
    expect(a.toString('latin1')).not.toContain('482913');
  });

  it('derives a 256-bit key that depends on the pepper', () => {
    expect(key).toHaveLength(32);
    expect(deriveSealingKey('a-pepper-of-at-least-some-length').equals(key)).toBe(true);
    expect(deriveSealingKey('another-pepper').equals(key)).toBe(false);
    expect(() => deriveSealingKey('')).toThrow();
  });

  it.each([
    ['the iv', 0],
    ['the tag', 12],
    ['the ciphertext', 28],
  ])('refuses a value whose %s was tampered with', (_part, offset) => {
    const sealed = seal(key, secrets, context);
    sealed[offset] ^= 0x01;
    expect(() => unseal(key, sealed, context)).toThrow();
  });

  it('refuses a truncated value', () => {
    const sealed = seal(key, secrets, context);
    expect(() => unseal(key, sealed.subarray(0, sealed.length - 1), context)).toThrow();
    expect(() => unseal(key, sealed.subarray(0, 20), context)).toThrow();
  });

  it('does not open with a different key', () => {
    const sealed = seal(key, secrets, context);
    expect(() => unseal(deriveSealingKey('another-pepper'), sealed, context)).toThrow();
  });

  it('does not open on another notification', () => {
    const sealed = seal(key, secrets, context);
    expect(() => unseal(key, sealed, 'a-different-notification-id')).toThrow();
  });
});
