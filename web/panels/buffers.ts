// Bounded windows of what the panels have seen: the kernel log (the last
// N records) and scheduler events (the last few seconds of virtual time).
// Both take batches in seq order, as the overview delivers them, and drop
// anything they have already seen, so a repeated batch does no harm.

/** Keeps the newest `capacity` items with increasing `seq`. */
export class RecentRecords<T extends { seq: number }> {
  private items: T[] = [];
  /** Items dropped from the front since the last clear (for a view that
   *  mirrors the buffer incrementally). */
  private droppedTotal = 0;

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new RangeError("capacity must be at least 1");
  }

  /** Appends the records newer than the last one held; returns how many were new. */
  push(batch: readonly T[]): number {
    let lastSeq = this.items.length > 0 ? this.items[this.items.length - 1]!.seq : -Infinity;
    let added = 0;
    for (const item of batch) {
      if (item.seq <= lastSeq) continue;
      this.items.push(item);
      lastSeq = item.seq;
      added++;
    }
    const excess = this.items.length - this.capacity;
    if (excess > 0) {
      this.items.splice(0, excess);
      this.droppedTotal += excess;
    }
    return added;
  }

  all(): readonly T[] {
    return this.items;
  }

  get length(): number {
    return this.items.length;
  }

  get dropped(): number {
    return this.droppedTotal;
  }

  clear(): void {
    this.items = [];
    this.droppedTotal = 0;
  }
}

/** Keeps items whose `timeNs` lies within `spanNs` of the newest time seen,
 *  and at most `maxItems` of them (a flood of events cannot grow it without
 *  bound). `since` says from when the window is complete: the first time
 *  seen, or the time of the oldest item kept once anything was dropped. */
export class TimeWindow<T extends { seq: number; timeNs: number }> {
  private items: T[] = [];
  private first = 0;
  private newestNs = -Infinity;
  private completeSinceNs: number | null = null;

  constructor(readonly spanNs: number, readonly maxItems: number) {}

  /** Adds a batch observed at virtual time `nowNs` (the overview's time). */
  push(batch: readonly T[], nowNs: number): void {
    if (this.completeSinceNs === null) this.completeSinceNs = batch.length > 0 ? Math.min(batch[0]!.timeNs, nowNs) : nowNs;
    const lastSeq = this.items.length > this.first ? this.items[this.items.length - 1]!.seq : -Infinity;
    let seq = lastSeq;
    for (const item of batch) {
      if (item.seq <= seq) continue;
      this.items.push(item);
      seq = item.seq;
      if (item.timeNs > this.newestNs) this.newestNs = item.timeNs;
    }
    if (nowNs > this.newestNs) this.newestNs = nowNs;
    this.trim();
  }

  private trim(): void {
    const cutoff = this.newestNs - this.spanNs;
    let first = this.first;
    while (first < this.items.length && this.items[first]!.timeNs < cutoff) first++;
    const overflow = this.items.length - first - this.maxItems;
    if (overflow > 0) first += overflow;
    if (first > this.first) {
      this.first = first;
      const oldest = this.items[first];
      const since = oldest === undefined ? this.newestNs : Math.max(cutoff, overflow > 0 ? oldest.timeNs : cutoff);
      this.completeSinceNs = Math.max(this.completeSinceNs ?? since, since);
    }
    // Compact now and then rather than shifting on every trim.
    if (this.first > 1024 && this.first * 2 > this.items.length) {
      this.items = this.items.slice(this.first);
      this.first = 0;
    }
  }

  all(): readonly T[] {
    return this.first === 0 ? this.items : this.items.slice(this.first);
  }

  get length(): number {
    return this.items.length - this.first;
  }

  /** Virtual time from which no event is missing (null before the first push). */
  get since(): number | null {
    return this.completeSinceNs;
  }

  get newest(): number {
    return this.newestNs;
  }

  clear(): void {
    this.items = [];
    this.first = 0;
    this.newestNs = -Infinity;
    this.completeSinceNs = null;
  }
}
