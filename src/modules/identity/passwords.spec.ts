import { PasswordHasher, passwordProblems } from './passwords';

describe('password policy', () => {
  it('accepts a long uncommon password', () => {
    expect(passwordProblems('Tea-garden-Hangzhou-42', ['+8613812345678'])).toBeUndefined();
  });

  it.each(['password', '12345678', 'qwertyuiop', 'iloveyou', 'password123', 'Password!2026', 'woaini1314', 'qq123456'])('refuses the common password %s', (password) => {
    expect(passwordProblems(password, [])?.messages).toContain('password is too common');
  });

  it('refuses short ones and ones that contain the login', () => {
    expect(passwordProblems('a1b2c3', [])?.messages.join()).toMatch(/8-128/);
    expect(passwordProblems('x8613812345678x', ['+8613812345678'])?.messages.join()).toMatch(/phone or email/);
  });

  it('hashes with argon2id at >= 19 MiB and t=2', async () => {
    const hash = await new PasswordHasher({ memoryCost: 19456, timeCost: 2 }).hash('Tea-garden-Hangzhou-42');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    expect(await new PasswordHasher({ memoryCost: 19456, timeCost: 2 }).verify(hash, 'Tea-garden-Hangzhou-42')).toBe(true);
    expect(await new PasswordHasher({ memoryCost: 19456, timeCost: 2 }).verify(hash, 'tea-garden-Hangzhou-42')).toBe(false);
  });

  it('does not take a hash it cannot read for a wrong password', async () => {
    await expect(new PasswordHasher({ memoryCost: 19456, timeCost: 2 }).verify('$argon2id$v=19$broken', 'Tea-garden-Hangzhou-42')).rejects.toThrow();
  });
});
