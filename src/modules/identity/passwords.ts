import * as argon2 from 'argon2';
import dumbPasswords from 'dumb-passwords';
import { FieldError } from '../../common/errors';

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;

/** Returns what is wrong with a new password (length, a well-known password, the login itself). */
export function passwordProblems(password: string, logins: Array<string | undefined | null>): FieldError | undefined {
  const messages: string[] = [];
  const length = [...password].length;
  if (length < PASSWORD_MIN || length > PASSWORD_MAX) messages.push(`password must be ${PASSWORD_MIN}-${PASSWORD_MAX} characters`);
  if (dumbPasswords.check(password) || dumbPasswords.check(password.toLowerCase())) messages.push('password is too common');
  const lowered = password.toLowerCase();
  if (logins.some((l) => l && lowered.includes(l.toLowerCase().replace(/^\+/, '')))) messages.push('password must not contain your phone or email');
  return messages.length ? { field: 'password', messages } : undefined;
}

export class PasswordHasher {
  constructor(private readonly cost: { memoryCost: number; timeCost: number }) {}

  hash(password: string): Promise<string> {
    return argon2.hash(password, { type: argon2.argon2id, memoryCost: this.cost.memoryCost, timeCost: this.cost.timeCost, parallelism: 1 });
  }

  async verify(hash: string, password: string): Promise<boolean> {
    try {
      return await argon2.verify(hash, password);
    } catch {
      return false;
    }
  }
}
