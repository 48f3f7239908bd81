import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { UserKind } from '../../src/common/actor';
import { DomainError } from '../../src/common/errors';
import { AccessService, maySendSql, SendStanding } from '../../src/modules/access/access.service';
import { testConfig } from '../setup/test-config';

/**
 * A send is decided in SQL (maySendSql, in the statement that stores it) and explained in TypeScript
 * (sendRefusal). The two must agree on every standing, or a send would be stored that the rules refuse.
 */
describe('access: the send decision in SQL and its explanation agree', () => {
  const client = new Client({ connectionString: testConfig().databaseUrl });
  beforeAll(async () => {
    // every refusal is logged as a security event; here they are the point, not news
    Logger.overrideLogger(false);
    await client.connect();
  });
  afterAll(() => client.end());

  it('on every combination of a standing’s flags', async () => {
    const flags = ['exists', 'live', 'member', 'childBarred', 'asGuardian'] as const;
    const combos = Array.from({ length: 1 << flags.length }, (_, bits) => Object.fromEntries(flags.map((f, i) => [f, Boolean(bits & (1 << i))])));
    const { rows } = await client.query<{ may: boolean }>(
      `SELECT ${maySendSql('s')} AS may
         FROM unnest($1::bool[], $2::bool[], $3::bool[], $4::bool[], $5::bool[]) WITH ORDINALITY AS s(exists, live, member, "childBarred", "asGuardian", n)
        ORDER BY s.n`,
      flags.map((f) => combos.map((c) => c[f])),
    );
    const access = new AccessService({} as DataSource);
    const actor = { userId: 'u', kind: UserKind.Adult, sessionId: 's' };
    const verdicts = combos.map((combo) => {
      const standing = { ...combo, n: 1, kind: 'family', familyId: null, maySend: false, recipients: null } as SendStanding;
      return access.sendRefusal(actor, 'c', standing) instanceof DomainError ? 'refused' : 'allowed';
    });
    expect(rows.map((r) => (r.may ? 'allowed' : 'refused'))).toEqual(verdicts);
    // and the decision is not trivially one way
    expect(verdicts.filter((v) => v === 'allowed')).toHaveLength(2);
  });
});
