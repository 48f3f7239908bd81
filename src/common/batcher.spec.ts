import { Batcher, Settled } from './batcher';

interface Item {
  key: string;
  n: number;
}

/** Lets pending promise callbacks run. */
const tick = () => new Promise((r) => setImmediate(r));

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

  it('keeps one batch in flight while the load is light: what arrives meanwhile goes next, as one batch, in order', async () => {
    const gate = deferred();
    const flushes: number[][] = [];
    const batcher = new Batcher<Item, number>({ max: 100, waitMs: 0, lanes: 4 }, (i) => i.key, async (items) => {
      flushes.push(items.map((i) => i.n));
      if (flushes.length === 1) await gate.promise;
      return items.map((i) => ({ ok: true, value: i.n }));
    });
    const first = batcher.submit({ key: 'a', n: 1 });
    // other keys too: with fewer than a full batch waiting, none leaves alongside the one in flight
    const later = [2, 3, 4].map((n) => batcher.submit({ key: n === 3 ? 'b' : 'a', n }));
    await new Promise((r) => setTimeout(r, 10));
    expect(flushes).toEqual([[1]]);
    gate.release();
    await Promise.all([first, ...later]);
    expect(flushes).toEqual([[1], [2, 3, 4]]);
  });

  it('sends another batch alongside only when a full one is free to go, and never two batches of one key at once', async () => {
    const gates: (() => void)[] = [];
    const flushes: string[][] = [];
    const batcher = new Batcher<Item, number>({ max: 2, waitMs: 0, lanes: 3 }, (i) => i.key, async (items) => {
      flushes.push(items.map((i) => `${i.key}${i.n}`));
      await new Promise<void>((r) => gates.push(r));
      return items.map((i) => ({ ok: true, value: i.n }));
    });
    const all = [batcher.submit({ key: 'a', n: 1 })];
    await tick();
    expect(flushes).toEqual([['a1']]);
    // a's next item waits for a's batch; b1 alone is not a full batch
    all.push(batcher.submit({ key: 'a', n: 2 }), batcher.submit({ key: 'b', n: 1 }));
    await tick();
    expect(flushes).toEqual([['a1']]);
    // c1 makes a full batch of free items: it leaves alongside, without a2
    all.push(batcher.submit({ key: 'c', n: 1 }), batcher.submit({ key: 'a', n: 3 }));
    await tick();
    expect(flushes).toEqual([['a1'], ['b1', 'c1']]);
    // a's batch lands: a2 and a3 are free, a full batch, and leave beside the one still in flight
    gates[0]();
    await tick();
    expect(flushes).toEqual([['a1'], ['b1', 'c1'], ['a2', 'a3']]);
    gates[1]();
    gates[2]();
    expect(await Promise.all(all)).toEqual([1, 2, 1, 1, 3]);
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
