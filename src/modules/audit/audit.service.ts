import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { Actor } from '../../common/actor';
import { decodeCursor, keysetPage, Page, toPage } from '../../common/pagination';
import { AccessService, FamilyRole } from '../access/access.service';
import { AuditEventResponse, toAuditEventResponse } from './audit.dto';
import { AuditAction, AuditEventEntity } from './audit-event.entity';

export interface AuditRecord {
  action: AuditAction;
  actorId: string | null;
  familyId?: string | null;
  childId?: string | null;
  /** Ids and choices only: never message text, phone numbers, codes or tokens. */
  details?: Record<string, unknown>;
}

/** Who did what to which child or family, written in the same transaction as the decision itself. */
@Injectable()
export class AuditService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly access: AccessService,
  ) {}

  async record(em: EntityManager, record: AuditRecord): Promise<void> {
    await em.query(`INSERT INTO audit_events (action, actor_id, family_id, child_id, details) VALUES ($1, $2, $3, $4, $5)`, [
      record.action,
      record.actorId,
      record.familyId ?? null,
      record.childId ?? null,
      JSON.stringify(record.details ?? {}),
    ]);
  }

  async childLog(actor: Actor, childId: string, cursor: string | undefined, limit = 50): Promise<Page<AuditEventResponse>> {
    await this.access.requireChildControl(actor, childId);
    return this.page('child_id', childId, cursor, limit);
  }

  async familyLog(actor: Actor, familyId: string, cursor: string | undefined, limit = 50): Promise<Page<AuditEventResponse>> {
    await this.access.requireFamilyRole(actor, familyId, [FamilyRole.Guardian]);
    return this.page('family_id', familyId, cursor, limit);
  }

  async ownLog(actor: Actor, cursor: string | undefined, limit = 50): Promise<Page<AuditEventResponse>> {
    return this.page('actor_id', actor.userId, cursor, limit);
  }

  /** Everything recorded about a child, for the guardian's data export. */
  async allForChild(em: EntityManager, childId: string): Promise<AuditEventResponse[]> {
    const rows = await em.find(AuditEventEntity, { where: { childId }, order: { createdAt: 'ASC', id: 'ASC' } });
    return rows.map(toAuditEventResponse);
  }

  private async page(column: 'child_id' | 'family_id' | 'actor_id', id: string, cursor: string | undefined, limit: number) {
    const after = decodeCursor(cursor);
    const query = this.dataSource.getRepository(AuditEventEntity).createQueryBuilder('e').where(`e.${column} = :id`, { id });
    return toPage(await keysetPage(query, 'e', after, limit).getMany(), limit, toAuditEventResponse);
  }
}
