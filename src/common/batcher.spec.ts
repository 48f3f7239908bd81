import { laneOf, Batcher, Settled } from './batcher';

interface Item {
  key: string;
  n: number;
}

const deferred = () => {
  let release!: () => void;
  const promise = new Promise<void>((r) => (release = r));
  return { promise, release };
};

describe('Batcher', () => {
  it('commits items that arrive together in one flush, in arrival order, and settles each after it', async () => {
    const flushes: number[][] = [];
    const batcher = new Batcher<Item, number>({ max: 100, waitMs: 5, lanes: 1 }, (i) => i.key, async (items) => {
      flushes.push(items.map((i) => i.n));
      return items.map((i) => ({ ok: true, value: i.n * 10 }));
    });
    const results = await Promise.all([1, 2, 3, 4].map((n) => batcher.submit({ key: 'a', n })));
    expect(results).toEqual([10, 20, 30, 40]);
    expect(flushes).toEqual([[1, 2, 3, 4]]);
  });

  it('leaves at once when full, never more than max per flush', async () => {
    const sizes: number[] = [];
    const batcher = new Batcher<Item, number>({ max: 3, waitMs: 10_000, lanes: 1 }, (i) => i.key, async (items) => {
      sizes.push(items.length);
      return items.map((i) => ({ ok: true, value: i.n }));
    });
    const all = Promise.all(Array.from({ length: 7 }, (_, n) => batcher.submit({ key: 'a', n })));
    // the seventh waits for its timer or for company; closing flushes it
    await new Promise((r) => setTimeout(r, 20));
    await batcher.close();
    expect(await all).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(sizes).toEqual([3, 3, 1]);
  });

  it('keeps one batch in flight per lane: what arrives meanwhile goes next, in order', async () => {
    const gate = deferred();
    const flushes: number[][] = [];
    const batcher = new Batcher<Item, number>({ max: 100, waitMs: 0, lanes: 1 }, (i) => i.key, async (items) => {
      flushes.push(items.map((i) => i.n));
      if (flushes.length === 1) await gate.promise;
      return items.map((i) => ({ ok: true, value: i.n }));
    });
    const first = batcher.submit({ key: 'a', n: 1 });
    const later = [2, 3, 4].map((n) => batcher.submit({ key: 'a', n }));
    await new Promise((r) => setTimeout(r, 10));
    expect(flushes).toEqual([[1]]);
    gate.release();
    await Promise.all([first, ...later]);
    expect(flushes).toEqual([[1], [2, 3, 4]]);
  });

  it('runs different lanes side by side, and keeps a key on its lane', async () => {
    const keys = ['conv-a', 'conv-b', 'conv-c', 'conv-d', 'conv-e'];
    const byLane = new Map<number, string[]>();
    for (const key of keys) byLane.set(laneOf(key, 4), [...(byLane.get(laneOf(key, 4)) ?? []), key]);
    expect(byLane.size).toBeGreaterThan(1);
    for (const key of keys) expect(laneOf(key, 4)).toBe(laneOf(key, 4));

    let inFlight = 0;
    let most = 0;
    const batcher = new Batcher<Item, number>({ max: 100, waitMs: 0, lanes: 4 }, (i) => i.key, async (items) => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 10));
      inFlight--;
      return items.map((i) => ({ ok: true, value: i.n }));
    });
    await Promise.all(keys.map((key, n) => batcher.submit({ key, n })));
    expect(most).toBeGreaterThan(1);
  });

  it('settles each item with its own outcome, and every item with a failed flush', async () => {
    let fail = false;
    const batcher = new Batcher<Item, number>({ max: 100, waitMs: 1, lanes: 1 }, (i) => i.key, async (items): Promise<Settled<number>[]> => {
      if (fail) throw new Error('database away');
      return items.map((i) => (i.n % 2 ? { ok: true, value: i.n } : { ok: false, error: new Error(`refused ${i.n}`) }));
    });
    const outcomes = await Promise.allSettled([1, 2, 3].map((n) => batcher.submit({ key: 'a', n })));
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    fail = true;
    await expect(batcher.submit({ key: 'a', n: 5 })).rejects.toThrow('database away');
    await batcher.close();
    await expect(batcher.submit({ key: 'a', n: 7 })).rejects.toThrow(/closed/);
  });
});
