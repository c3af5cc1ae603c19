/**
 * The scheduler's priority queue (scheduler.ts): publisher indices by their next time, with
 * parallel arrays instead of objects, so a push or pop allocates nothing once grown.
 */

/** A binary min-heap of small integers (publisher indices) by a number; no allocation once grown. */
export class IndexHeap {
  private readonly ids: number[] = [];
  private readonly keys: number[] = [];

  get size(): number {
    return this.ids.length;
  }

  /** The smallest key; Infinity when empty. */
  peekKey(): number {
    return this.keys.length === 0 ? Number.POSITIVE_INFINITY : (this.keys[0] as number);
  }

  push(id: number, key: number): void {
    const ids = this.ids;
    const keys = this.keys;
    let i = ids.length;
    ids.push(id);
    keys.push(key);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pk = keys[parent] as number;
      if (pk <= key) break;
      ids[i] = ids[parent] as number;
      keys[i] = pk;
      i = parent;
    }
    ids[i] = id;
    keys[i] = key;
  }

  /** Removes and returns the id with the smallest key; -1 when empty. */
  pop(): number {
    const ids = this.ids;
    const keys = this.keys;
    if (ids.length === 0) return -1;
    const top = ids[0] as number;
    const lastId = ids.pop() as number;
    const lastKey = keys.pop() as number;
    const n = ids.length;
    if (n === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && (keys[r] as number) < (keys[l] as number) ? r : l;
      if ((keys[c] as number) >= lastKey) break;
      ids[i] = ids[c] as number;
      keys[i] = keys[c] as number;
      i = c;
    }
    ids[i] = lastId;
    keys[i] = lastKey;
    return top;
  }
}
