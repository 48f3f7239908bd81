import { Injectable } from '@nestjs/common';
import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import { AppConfig } from '../../config/app-config';
import { Clock } from '../../common/clock';
import { DomainError, ErrorCode } from '../../common/errors';
import { updateReturning } from '../../database/sql';
import { Transactions } from '../../database/transaction';
import { CodePurpose, OneTimeCodeEntity } from './one-time-code.entity';

/** No 0/O, 1/I/L: easy to read aloud and type for an elderly guardian. */
export const CODE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
export const MAX_FAILED_ATTEMPTS = 5;

const randomChars = (n: number, alphabet = CODE_ALPHABET) =>
  Array.from({ length: n }, () => alphabet[randomInt(alphabet.length)]).join('');

/** Upper-cases and drops spaces and dashes, so "ab2c-7xq9" and "AB2C 7XQ9" are the same code. */
export const normalizeCode = (code: string) => code.toUpperCase().replace(/[\s-]/g, '');

/** `XXXX-XXXX`: the first half finds the row, the second is the secret that is checked and burnt. */
export const isShareableCode = (code: string) => new RegExp(`^[${CODE_ALPHABET}]{8}$`).test(normalizeCode(code));

export interface IssueCodeInput {
  purpose: CodePurpose;
  ttlSeconds: number;
  createdBy?: string;
  userId?: string;
  familyId?: string;
  childId?: string;
  role?: string;
  phone?: string;
}

/**
 * One mechanism for every one-time code (pairing, invitations, phone confirmation): from a CSPRNG,
 * stored as an HMAC, expiring, single use (a compare-and-set), and burnt after five wrong tries.
 */
@Injectable()
export class OneTimeCodes {
  constructor(
    private readonly dataSource: DataSource,
    private readonly transactions: Transactions,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  async issue(em: EntityManager, input: IssueCodeInput): Promise<{ id: string; code: string; expiresAt: Date }> {
    const phoneCode = input.purpose === CodePurpose.PhoneVerification;
    const code = phoneCode ? randomChars(6, '0123456789') : randomChars(8);
    const lookup = phoneCode ? input.userId! : code.slice(0, 4);
    const expiresAt = new Date(this.clock.now().getTime() + input.ttlSeconds * 1000);
    if (phoneCode) {
      // a new phone code replaces the previous one
      await em.query(`UPDATE one_time_codes SET consumed_at = now() WHERE purpose = $1 AND lookup = $2 AND consumed_at IS NULL`, [
        input.purpose,
        lookup,
      ]);
    }
    const row = await em.save(
      em.create(OneTimeCodeEntity, {
        purpose: input.purpose,
        lookup,
        codeHash: this.hash(input.purpose, code),
        userId: input.userId ?? null,
        familyId: input.familyId ?? null,
        childId: input.childId ?? null,
        role: input.role ?? null,
        phone: input.phone ?? null,
        createdBy: input.createdBy ?? null,
        expiresAt,
      }),
    );
    return { id: row.id, code: phoneCode ? code : `${code.slice(0, 4)}-${code.slice(4)}`, expiresAt };
  }

  /**
   * Checks a code, then consumes it (a compare-and-set: single use, unexpired, not burnt) in a new
   * transaction that runs `work`; if `work` fails, the code is left unused. The check runs before any
   * transaction is open, so a wrong code's count is committed on its own and no request ever holds two
   * pooled connections at once.
   */
  async redeem<T>(
    purpose: CodePurpose,
    rawCode: string,
    lookup: string | undefined,
    consumedBy: string | null,
    work: (em: EntityManager, code: OneTimeCodeEntity) => Promise<T>,
  ): Promise<T> {
    const match = await this.check(purpose, rawCode, lookup);
    return this.transactions.run(async (em) => {
      const [consumed] = await updateReturning(
        em,
        `UPDATE one_time_codes SET consumed_at = $2, consumed_by = $3
          WHERE id = $1 AND consumed_at IS NULL AND failed_attempts < $4 AND expires_at > $2
          RETURNING id`,
        [match.id, this.clock.now(), consumedBy, MAX_FAILED_ATTEMPTS],
      );
      if (!consumed) throw invalidCode();
      return work(em, match);
    });
  }

  /** Finds the live code that matches; a miss counts against every live code with the same public half. */
  private async check(purpose: CodePurpose, rawCode: string, lookup: string | undefined): Promise<OneTimeCodeEntity> {
    const code = normalizeCode(rawCode);
    const key = lookup ?? code.slice(0, 4);
    const live = await this.dataSource.getRepository(OneTimeCodeEntity).findBy({ purpose, lookup: key, consumedAt: IsNull() });
    const hash = Buffer.from(this.hash(purpose, code), 'hex');
    const match = live.find((c) => timingSafeEqual(Buffer.from(c.codeHash, 'hex'), hash));
    if (match) return match;
    if (live.length > 0) {
      await this.dataSource.query(`UPDATE one_time_codes SET failed_attempts = failed_attempts + 1 WHERE id = ANY($1::uuid[])`, [
        live.map((c) => c.id),
      ]);
    }
    throw invalidCode();
  }

  private hash(purpose: CodePurpose, code: string): string {
    return createHmac('sha256', this.config.codePepper).update(`${purpose}:${code}`).digest('hex');
  }
}

const invalidCode = () => new DomainError(ErrorCode.InvalidCode, 'The code is wrong, expired or already used. Ask for a new one.');
