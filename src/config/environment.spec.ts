import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigurationError, validateEnvironment } from './environment';

const valid = {
  DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/db',
  REDIS_URL: 'redis://127.0.0.1:6379',
  JWT_SECRET: 'x'.repeat(32),
  CODE_PEPPER: 'y'.repeat(32),
};

describe('environment validation', () => {
  it('fills defaults', () => {
    const env = validateEnvironment(valid);
    expect(env).toMatchObject({ APP_ROLE: 'all', PORT: 3000, REDIS_PREFIX: 'hl', PASSWORD_MEMORY_KIB: 19456, PASSWORD_TIME_COST: 2 });
  });

  it('names every variable that is wrong', () => {
    try {
      validateEnvironment({ ...valid, DATABASE_URL: 'mysql://x', JWT_SECRET: 'short', PORT: 'abc', APP_ROLE: 'both', PASSWORD_MEMORY_KIB: '1024' });
      throw new Error('expected a ConfigurationError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigurationError);
      const message = (error as Error).message;
      for (const name of ['DATABASE_URL', 'JWT_SECRET', 'PORT', 'APP_ROLE', 'PASSWORD_MEMORY_KIB']) expect(message).toContain(name);
      expect(message).not.toContain('REDIS_URL');
    }
  });

  it('requires the secrets', () => {
    expect(() => validateEnvironment({ DATABASE_URL: valid.DATABASE_URL, REDIS_URL: valid.REDIS_URL })).toThrow(/JWT_SECRET[\s\S]*CODE_PEPPER/);
  });

  it('requires an SMS gateway in production, and its secret with it anywhere', () => {
    expect(() => validateEnvironment({ ...valid, NODE_ENV: 'production' })).toThrow(/SMS_GATEWAY_URL is required in production/);
    expect(() => validateEnvironment({ ...valid, SMS_GATEWAY_URL: 'https://sms.example.com/send' })).toThrow(/SMS_GATEWAY_SECRET is required with SMS_GATEWAY_URL/);
    const sms = { SMS_GATEWAY_URL: 'https://sms.example.com/send', SMS_GATEWAY_SECRET: 's'.repeat(16) };
    expect(validateEnvironment({ ...valid, NODE_ENV: 'production', ...sms })).toMatchObject(sms);
    // elsewhere, SMS are only logged without one
    expect(validateEnvironment(valid).SMS_GATEWAY_URL).toBeUndefined();
  });
});

describe('.env.example', () => {
  it('documents exactly the variables the service reads', () => {
    const { readFileSync } = require('node:fs') as typeof import('node:fs');
    const { join } = require('node:path') as typeof import('node:path');
    const documented = readFileSync(join(__dirname, '..', '..', '.env.example'), 'utf8')
      .split('\n')
      .filter((line) => /^[A-Z_][A-Z0-9_]*=/.test(line))
      .map((line) => line.split('=')[0])
      .sort();
    const read = Object.keys(validateEnvironment(valid))
      .concat(['PUBLIC_URL', 'SMS_GATEWAY_URL', 'SMS_GATEWAY_SECRET', 'ADMIN_TOKEN'])
      .filter((name, i, all) => all.indexOf(name) === i)
      .sort();
    expect(documented).toEqual(read);
  });
});

describe('the API commands outside npm (docker/Dockerfile, scripts/up.sh)', () => {
  const root = join(__dirname, '..', '..');
  const start = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
  const lastLine = (file: string, prefix: string) =>
    readFileSync(join(root, file), 'utf8')
      .split('\n')
      .filter((line) => line.startsWith(prefix))
      .pop()!
      .slice(prefix.length);

  it('run the API with the node flags of npm start', () => {
    expect(JSON.parse(lastLine('docker/Dockerfile', 'CMD ')) as string[]).toEqual(start.split(/\s+/));
    expect(lastLine('scripts/up.sh', 'exec ')).toBe(start);
  });
});
