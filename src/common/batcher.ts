export interface BatcherOptions {
  /** Most items committed together. */
  max: number;
  /** Longest the first item of a batch waits for company. */
  waitMs: number;
  /** Batches in flight at once; a key always maps to the same lane. */
  lanes: number;
}

/** What a flush answers per item, in the order it was given: a value, or the error for that item alone. */
export type Settled<O> = { ok: true; value: O } | { ok: false; error: unknown };

interface Pending<I, O> {
  item: I;
  resolve: (value: O) => void;
  reject: (error: unknown) => void;
}

interface Lane<I, O> {
  queue: Pending<I, O>[];
  timer?: NodeJS.Timeout;
  flushing: boolean;
}

/**
 * Groups items (message sends, reminders) into batches so one transaction commits many. Items with the same key
 * (a conversation) always go to the same lane, and a lane has one batch in flight at a time, so their
 * order of arrival is their order of commit. While a batch is in flight the next one gathers; it
 * leaves as soon as the lane is free, or when it is full, or `waitMs` after its first item arrived.
 * Each submitter's promise settles only after its batch's flush has settled (after the commit).
 */
export class Batcher<I, O> {
  private readonly lanes: Lane<I, O>[];
  private closed = false;

  constructor(
    private readonly options: BatcherOptions,
    private readonly keyOf: (item: I) => string,
    private readonly flush: (items: I[]) => Promise<Settled<O>[]>,
  ) {
    this.lanes = Array.from({ length: Math.max(1, options.lanes) }, () => ({ queue: [], flushing: false }));
  }

  submit(item: I): Promise<O> {
    if (this.closed) return Promise.reject(new Error('the batcher is closed'));
    const lane = this.lanes[laneOf(this.keyOf(item), this.lanes.length)];
    return new Promise<O>((resolve, reject) => {
      lane.queue.push({ item, resolve, reject });
      this.schedule(lane);
    });
  }

  /** Flushes what is queued and refuses new items (shutdown). */
  async close(): Promise<void> {
    this.closed = true;
    while (this.lanes.some((l) => l.queue.length > 0 || l.flushing)) {
      for (const lane of this.lanes) if (!lane.flushing && lane.queue.length > 0) void this.run(lane);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  private schedule(lane: Lane<I, O>): void {
    if (lane.flushing) return;
    if (lane.queue.length >= this.options.max || this.options.waitMs === 0) {
      void this.run(lane);
      return;
    }
    lane.timer ??= setTimeout(() => void this.run(lane), this.options.waitMs);
  }

  private async run(lane: Lane<I, O>): Promise<void> {
    if (lane.timer) clearTimeout(lane.timer);
    lane.timer = undefined;
    if (lane.flushing || lane.queue.length === 0) return;
    lane.flushing = true;
    const batch = lane.queue.splice(0, this.options.max);
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
      lane.flushing = false;
    }
    // whatever gathered meanwhile leaves at once: it has waited for a whole batch already
    if (lane.queue.length > 0) void this.run(lane);
  }
}

/** FNV-1a over the key: stable across processes, cheap, and spreads uuids evenly. */
export function laneOf(key: string, lanes: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % lanes;
}
