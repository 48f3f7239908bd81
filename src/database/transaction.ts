import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

/** Runs work in one transaction; callbacks registered with `afterCommit` run only once it commits. */
@Injectable()
export class Transactions {
  private readonly afterCommitHooks: Array<() => void> = [];

  constructor(private readonly dataSource: DataSource) {}

  async run<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    const result = await this.dataSource.transaction(work);
    for (const hook of this.afterCommitHooks) hook();
    return result;
  }

  /** Registered once at startup (e.g. the outbox relay's wake-up). */
  onCommit(hook: () => void): void {
    this.afterCommitHooks.push(hook);
  }
}
