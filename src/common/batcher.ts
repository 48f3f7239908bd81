export interface BatcherOptions {
  /** Most items committed together. */
  max: number;
  /** Longest the first item waits for company when no batch is in flight. */
  waitMs: number;
  /** Most batches in flight at once. */
  lanes: number;
}

/** What a flush answers per item, in the order it was given: a value, or the error for that item alone. */
export type Settled<O> = { ok: true; value: O } | { ok: false; error: unknown };

interface Pending<I, O> {
  item: I;
  key: string;
  resolve: (value: O) => void;
  reject: (error: unknown) => void;
}

/**
 * Groups items (message sends) into batches so one transaction commits many.
 *
 * While the load is light one batch is in flight at a time: what arrives meanwhile gathers and
 * leaves as one batch when it lands (or `waitMs` after the first item when nothing is in flight), so
 * a busier service commits fewer, bigger batches, which cost less per item. Another batch goes out
 * alongside only when a full one (`max` items) is free to go, up to `lanes` in flight.
 *
 * Items with the same key (a conversation) are never in two batches in flight at once, and leave in
 * arrival order, so their order of arrival is their order of commit. Each submitter's promise
 * settles only after its batch's flush has settled (after the commit).
 */
export class Batcher<I, O> {
  private queue: Pending<I, O>[] = [];
  /** Items queued per key. */
  private readonly queued = new Map<string, number>();
  /** Keys with a batch in flight. */
  private readonly busy = new Set<string>();
  /** Queued items whose key has no batch in flight: those a batch may take now. */
  private free = 0;
  private flights = 0;
  private timer?: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly options: BatcherOptions,
    private readonly keyOf: (item: I) => string,
    private readonly flush: (items: I[]) => Promise<Settled<O>[]>,
  ) {}

  submit(item: I): Promise<O> {
    if (this.closed) return Promise.reject(new Error('the batcher is closed'));
    const key = this.keyOf(item);
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, key, resolve, reject });
      this.queued.set(key, (this.queued.get(key) ?? 0) + 1);
      if (!this.busy.has(key)) this.free++;
      this.dispatch();
    });
  }

  /** Flushes what is queued and refuses new items (shutdown). */
  async close(): Promise<void> {
    this.closed = true;
    while (this.queue.length > 0 || this.flights > 0) {
      this.dispatch();
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  private dispatch(): void {
    if (this.flights === 0 && this.free > 0) {
      if (this.free < this.options.max && this.options.waitMs > 0 && !this.closed) {
        this.timer ??= setTimeout(() => {
          this.timer = undefined;
          if (this.flights === 0 && this.free > 0) this.launch();
        }, this.options.waitMs);
        return;
      }
      this.launch();
    }
    while (this.flights > 0 && this.flights < Math.max(1, this.options.lanes) && this.free >= this.options.max) this.launch();
  }

  /** Takes up to `max` free items, oldest first, and flies them as one batch. */
  private launch(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch: Pending<I, O>[] = [];
    const rest: Pending<I, O>[] = [];
    for (const p of this.queue) (batch.length < this.options.max && !this.busy.has(p.key) ? batch : rest).push(p);
    this.queue = rest;
    this.free -= batch.length;
    const keys = new Set<string>();
    for (const { key } of batch) {
      const left = this.queued.get(key)! - 1;
      if (left > 0) this.queued.set(key, left);
      else this.queued.delete(key);
      keys.add(key);
    }
    // the rest of these keys' items wait for this batch to land
    for (const key of keys) {
      this.busy.add(key);
      this.free -= this.queued.get(key) ?? 0;
    }
    void this.fly(batch, keys);
  }

  private async fly(batch: Pending<I, O>[], keys: Set<string>): Promise<void> {
    this.flights++;
    try {
      const results = await this.flush(batch.map((p) => p.item));
      batch.forEach((p, i) => {
        const result = results[i];
        if (!result) p.reject(new Error('the batch answered no result for this item'));
        else if (result.ok) p.resolve(result.value);
        else p.reject(result.error);
      });
    } catch (error) {
      for (const p of batch) p.reject(error);
    } finally {
      this.flights--;
      for (const key of keys) {
        this.busy.delete(key);
        this.free += this.queued.get(key) ?? 0;
      }
    }
    // whatever gathered meanwhile leaves at once: it has waited for a whole batch already
    if (this.flights === 0 && this.free > 0) this.launch();
    this.dispatch();
  }
}
