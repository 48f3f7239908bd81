import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { testConfig } from '../setup/test-config';

/**
 * The pool keeps the connections a burst opened (data-source-options: `idleTimeoutMillis: 0`): the
 * next burst finds the same backends, with their prepared statements' plans, instead of starting new
 * ones when it can least afford to. pg-pool's own default closes a connection after 10 s idle; the
 * same burst through a pool with that default is the control. The idle spell runs on fake timers.
 */
describe('database pool', () => {
  const BURST = 4;
  const pools: DataSource[] = [];

  afterEach(async () => {
    jest.useRealTimers();
    await Promise.all(pools.splice(0).map((pool) => pool.destroy()));
  });

  /** The backends that served BURST queries at once (each holds its connection for a moment). */
  const burst = async (pool: DataSource): Promise<Set<number>> => {
    const rows = await Promise.all(Array.from({ length: BURST }, () => pool.query('SELECT pg_backend_pid() AS pid, pg_sleep(0.02)')));
    return new Set(rows.map(([row]: { pid: number }[]) => row.pid));
  };
  const openConnections = (pool: DataSource): number => (pool.driver as unknown as { master: { totalCount: number } }).master.totalCount;

  it('keeps every connection through a minute idle, where pg-pool’s default closes them', async () => {
    const options = dataSourceOptions(testConfig());
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    const kept = await new DataSource(options).initialize();
    const closing = await new DataSource({ ...options, extra: { ...(options.extra as object), idleTimeoutMillis: undefined } }).initialize();
    pools.push(kept, closing);

    const [keptBefore, closingBefore] = [await burst(kept), await burst(closing)];
    expect([keptBefore.size, closingBefore.size]).toEqual([BURST, BURST]);

    await jest.advanceTimersByTimeAsync(60_000);

    expect(openConnections(kept)).toBe(BURST);
    expect(openConnections(closing)).toBe(0);
    // the next burst: the same backends on the kept pool, new ones on the control
    expect(await burst(kept)).toEqual(keptBefore);
    const closingAfter = await burst(closing);
    expect([...closingAfter].filter((pid) => closingBefore.has(pid))).toEqual([]);
  });
});
