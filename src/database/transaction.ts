import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, QueryRunner } from 'typeorm';

/** Set on a transaction's query runner when Jobs, the one producer API, writes to the outbox in it (see `noteOutboxWrite`). */
const OUTBOX_WRITTEN = 'outboxWritten';

/** Marks the caller's transaction as one that wrote to the outbox; outside a transaction it does nothing. */
export function noteOutboxWrite(em: EntityManager): void {
  if (em.queryRunner?.isTransactionActive) em.queryRunner.data[OUTBOX_WRITTEN] = true;
}

/** Runs work in one transaction; hooks registered with `onOutboxCommit` run once a transaction that wrote to the outbox commits. */
@Injectable()
export class Transactions {
  private readonly outboxHooks: Array<() => void> = [];

  constructor(private readonly dataSource: DataSource) {}

  async run<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    const seen: { runner?: QueryRunner } = {};
    const result = await this.dataSource.transaction((em) => {
      seen.runner = em.queryRunner;
      return work(em);
    });
    if (seen.runner?.data[OUTBOX_WRITTEN]) for (const hook of this.outboxHooks) hook();
    return result;
  }

  /** Registered once at startup (the outbox relay's wake-up). */
  onOutboxCommit(hook: () => void): void {
    this.outboxHooks.push(hook);
  }
}
