import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Actor, UserKind } from '../../common/actor';
import { Clock } from '../../common/clock';
import { notFound } from '../../common/errors';
import { Transactions } from '../../database/transaction';
import { AccessService } from '../access/access.service';
import { AuditAction } from '../audit/audit-event.entity';
import { AuditService } from '../audit/audit.service';
import { ChildDeviceEntity } from './child-device.entity';
import { ChildDeviceResponse, toChildDeviceResponse } from './dto/device.dto';
import { CodeResponse } from './dto/me.dto';
import { ChildPairDto } from './dto/auth.dto';
import { CodePurpose } from './one-time-code.entity';
import { OneTimeCodes } from './one-time-codes.service';
import { TokenPair, TokensService } from './tokens.service';

export const PAIRING_CODE_TTL_SECONDS = 600;

/** A child never signs up: a guardian issues a pairing code, and a device turns it into child tokens. */
@Injectable()
export class DevicesService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly transactions: Transactions,
    private readonly access: AccessService,
    private readonly codes: OneTimeCodes,
    private readonly tokens: TokensService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  async issuePairingCode(actor: Actor, childId: string): Promise<CodeResponse> {
    const child = await this.access.requireChildControl(actor, childId);
    return this.transactions.run(async (em) => {
      const { code, expiresAt } = await this.codes.issue(em, {
        purpose: CodePurpose.Pairing,
        ttlSeconds: PAIRING_CODE_TTL_SECONDS,
        childId,
        familyId: child.familyId,
        createdBy: actor.userId,
      });
      await this.audit.record(em, { action: AuditAction.PairingCodeIssued, actorId: actor.userId, familyId: child.familyId, childId });
      return { code, expiresAt: expiresAt.toISOString() };
    });
  }

  pair(input: ChildPairDto): Promise<TokenPair> {
    return this.codes.redeem(CodePurpose.Pairing, input.code, undefined, null, async (em, redeemed) => {
      const childId = redeemed.childId!;
      const device = await em.save(em.create(ChildDeviceEntity, { childId, name: input.deviceName, codeIssuedBy: redeemed.createdBy }));
      await this.audit.record(em, {
        action: AuditAction.DevicePaired,
        actorId: redeemed.createdBy,
        familyId: redeemed.familyId,
        childId,
        details: { deviceId: device.id },
      });
      return this.tokens.startSession(em, childId, UserKind.Child, device.id);
    });
  }

  async list(actor: Actor, childId: string): Promise<ChildDeviceResponse[]> {
    await this.access.requireChildControl(actor, childId);
    const devices = await this.dataSource.getRepository(ChildDeviceEntity).find({ where: { childId }, order: { pairedAt: 'DESC' } });
    return devices.map(toChildDeviceResponse);
  }

  /** A revoked device's tokens stop working at once, open socket included. */
  async revoke(actor: Actor, childId: string, deviceId: string): Promise<void> {
    const child = await this.access.requireChildControl(actor, childId);
    const sessions = await this.transactions.run(async (em) => {
      const device = await em.findOneBy(ChildDeviceEntity, { id: deviceId, childId });
      if (!device) throw notFound('Device');
      if (!device.revokedAt) {
        await em.update(ChildDeviceEntity, { id: deviceId }, { revokedAt: this.clock.now(), revokedBy: actor.userId });
        await this.audit.record(em, {
          action: AuditAction.DeviceRevoked,
          actorId: actor.userId,
          familyId: child.familyId,
          childId,
          details: { deviceId },
        });
      }
      return this.tokens.revokeSessions(em, { deviceId }, 'device_revoked');
    });
    this.tokens.disconnect(sessions);
  }
}
