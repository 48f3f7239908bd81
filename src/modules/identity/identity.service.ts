import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, QueryFailedError } from 'typeorm';
import { Actor, UserKind } from '../../common/actor';
import { Clock } from '../../common/clock';
import { conflict, DomainError, ErrorCode, FieldError, invalidField } from '../../common/errors';
import { AppConfig } from '../../config/app-config';
import { Transactions } from '../../database/transaction';
import { AccessService } from '../access/access.service';
import { AuditAction } from '../audit/audit-event.entity';
import { AuditService } from '../audit/audit.service';
import { NotificationChannel } from '../notifications/notification.entity';
import { NotificationsService } from '../notifications/notifications.service';
import { NotificationKind } from '../notifications/templates';
import { LoginDto, RegisterDto } from './dto/auth.dto';
import { MeResponse, toMeResponse, UpdateMeDto } from './dto/me.dto';
import { CodePurpose } from './one-time-code.entity';
import { OneTimeCodes } from './one-time-codes.service';
import { PasswordHasher, passwordProblems } from './passwords';
import { TokenPair, TokensService } from './tokens.service';
import { Locale, UserEntity } from './user.entity';

const PHONE_CODE_TTL_SECONDS = 600;

/** Adult accounts: registration, sign-in, profile and phone confirmation. */
@Injectable()
export class IdentityService {
  private readonly hasher: PasswordHasher;
  /** Verified against when the login is unknown, so both failures take the same time. */
  private dummyHash?: Promise<string>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly transactions: Transactions,
    private readonly tokens: TokensService,
    private readonly codes: OneTimeCodes,
    private readonly audit: AuditService,
    private readonly access: AccessService,
    private readonly notifications: NotificationsService,
    private readonly clock: Clock,
    config: AppConfig,
  ) {
    this.hasher = new PasswordHasher(config.passwordHashing);
  }

  async register(input: RegisterDto): Promise<TokenPair> {
    const email = input.email?.toLowerCase();
    const problems: FieldError[] = [];
    if (!input.phone && !email) problems.push({ field: 'phone', messages: ['give a phone number or an email (or both)'] });
    const passwordProblem = passwordProblems(input.password, [input.phone, email, email?.split('@')[0]]);
    if (passwordProblem) problems.push(passwordProblem);
    if (problems.length) {
      throw new DomainError(ErrorCode.ValidationFailed, problems.map((p) => `${p.field}: ${p.messages.join(', ')}`).join('; '), { fields: problems });
    }
    const passwordHash = await this.hasher.hash(input.password);
    try {
      return await this.transactions.run(async (em) => {
        const user = await em.save(
          em.create(UserEntity, {
            kind: UserKind.Adult,
            displayName: input.displayName,
            phone: input.phone ?? null,
            email: email ?? null,
            passwordHash,
            locale: input.locale ?? Locale.ZhCN,
            timeZone: input.timeZone ?? 'Asia/Shanghai',
          }),
        );
        await this.audit.record(em, { action: AuditAction.AccountRegistered, actorId: user.id });
        if (user.phone) await this.sendPhoneCode(em, user);
        return this.tokens.startSession(em, user.id, UserKind.Adult);
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict('An account with this phone or email already exists; sign in instead');
      throw error;
    }
  }

  /** An unknown login and a wrong password get the same answer, in about the same time. */
  async login(input: LoginDto): Promise<TokenPair> {
    const login = input.login.trim();
    const user = await this.dataSource
      .getRepository(UserEntity)
      .createQueryBuilder('u')
      .addSelect('u.passwordHash')
      .where(login.includes('@') ? 'u.email = :login' : 'u.phone = :login', { login: login.toLowerCase() })
      .andWhere(`u.kind = 'adult'`)
      .getOne();
    const ok = user?.passwordHash
      ? await this.hasher.verify(user.passwordHash, input.password)
      : await this.hasher.verify(await this.getDummyHash(), input.password).then(() => false);
    if (!user || !ok) throw new DomainError(ErrorCode.InvalidCredentials, 'The login or the password is wrong');
    return this.transactions.run((em) => this.tokens.startSession(em, user.id, UserKind.Adult));
  }

  refresh(refreshToken: string): Promise<TokenPair> {
    return this.tokens.refresh(refreshToken);
  }

  async logout(actor: Actor): Promise<void> {
    const sessions = await this.transactions.run((em) => this.tokens.revokeSessions(em, { sessionId: actor.sessionId }, 'logout'));
    this.tokens.disconnect(sessions);
  }

  async me(actor: Actor): Promise<MeResponse> {
    const user = await this.dataSource.getRepository(UserEntity).findOneByOrFail({ id: actor.userId });
    return toMeResponse(user, actor.deviceId);
  }

  /** Children's profiles are kept by their guardians, so only adults change their own. */
  async updateMe(actor: Actor, input: UpdateMeDto): Promise<MeResponse> {
    this.access.requireAdult(actor);
    const changed = Object.keys(input).filter((k) => input[k as keyof UpdateMeDto] !== undefined);
    if (changed.length === 0) throw invalidField('body', 'give at least one field to change');
    try {
      return await this.transactions.run(async (em) => {
        const user = await em.findOneByOrFail(UserEntity, { id: actor.userId });
        const phoneChanged = input.phone !== undefined && input.phone !== user.phone;
        Object.assign(user, {
          ...(input.displayName !== undefined ? { displayName: input.displayName } : {}),
          ...(input.locale !== undefined ? { locale: input.locale } : {}),
          ...(input.timeZone !== undefined ? { timeZone: input.timeZone } : {}),
          ...(input.email !== undefined ? { email: input.email.toLowerCase() } : {}),
          ...(phoneChanged ? { phone: input.phone, phoneVerifiedAt: null } : {}),
        });
        await em.save(user);
        await this.audit.record(em, { action: AuditAction.AccountUpdated, actorId: actor.userId, details: { fields: changed } });
        if (phoneChanged) await this.sendPhoneCode(em, user);
        return toMeResponse(user);
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict('Another account already uses this phone or email');
      throw error;
    }
  }

  async requestPhoneVerification(actor: Actor): Promise<{ expiresAt: string }> {
    this.access.requireAdult(actor);
    return this.transactions.run(async (em) => {
      const user = await em.findOneByOrFail(UserEntity, { id: actor.userId });
      if (!user.phone) throw invalidField('phone', 'add a phone number to your account first');
      if (user.phoneVerifiedAt) throw conflict('This phone number is already confirmed');
      return { expiresAt: (await this.sendPhoneCode(em, user)).toISOString() };
    });
  }

  async confirmPhone(actor: Actor, code: string): Promise<MeResponse> {
    this.access.requireAdult(actor);
    return this.codes.redeem(CodePurpose.PhoneVerification, code, actor.userId, actor.userId, async (em, redeemed) => {
      const user = await em.findOneByOrFail(UserEntity, { id: actor.userId });
      if (redeemed.phone !== user.phone) throw new DomainError(ErrorCode.InvalidCode, 'This code was for another phone number');
      user.phoneVerifiedAt = this.clock.now();
      await em.save(user);
      await this.audit.record(em, { action: AuditAction.PhoneVerified, actorId: actor.userId });
      return toMeResponse(user);
    });
  }

  private async sendPhoneCode(em: EntityManager, user: UserEntity): Promise<Date> {
    const { code, expiresAt } = await this.codes.issue(em, {
      purpose: CodePurpose.PhoneVerification,
      ttlSeconds: PHONE_CODE_TTL_SECONDS,
      userId: user.id,
      phone: user.phone!,
      createdBy: user.id,
    });
    await this.notifications.notify(em, {
      userId: user.id,
      phone: user.phone!,
      kind: NotificationKind.PhoneVerification,
      params: { minutes: PHONE_CODE_TTL_SECONDS / 60 },
      secretParams: { code },
      locale: user.locale,
      channel: NotificationChannel.Sms,
    });
    return expiresAt;
  }

  private getDummyHash(): Promise<string> {
    this.dummyHash ??= this.hasher.hash('homeline-dummy-password-for-timing');
    return this.dummyHash;
  }
}

export const isUniqueViolation = (error: unknown) =>
  error instanceof QueryFailedError && (error as QueryFailedError & { code?: string }).code === '23505';
