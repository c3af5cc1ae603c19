/**
 * Packet identifiers in flight on one connection, with a small state and a number per id: a
 * table indexed by `id & mask` that starts at 256 slots and doubles (up to 65,536, one slot per
 * id) only when two ids in flight would share a slot. Memory follows what is really in flight:
 * a connection with a window of 100 holds about 3 KiB, not the 64 KiB per table of a slot for
 * every possible id, and no Map entry or object is made per message.
 */
const INITIAL_SLOTS = 256;
const MAX_SLOTS = 0x1_0000;

export class IdTable {
  /** The id in each slot, 0 when free. */
  private ids = new Uint16Array(INITIAL_SLOTS);
  private states = new Uint8Array(INITIAL_SLOTS);
  private tokens = new Float64Array(INITIAL_SLOTS);
  private mask = INITIAL_SLOTS - 1;
  /** Ids in the table. */
  size = 0;

  /** The slot of `id`, or -1 when it is not in the table. */
  find(id: number): number {
    const slot = id & this.mask;
    return this.ids[slot] === id ? slot : -1;
  }

  /** Adds `id`, or updates it when present. */
  add(id: number, state: number, token: number): void {
    let slot = id & this.mask;
    let held = this.ids[slot]!;
    // At the largest table the slot is the id itself: the loop ends there at the latest.
    while (held !== 0 && held !== id) {
      this.grow();
      slot = id & this.mask;
      held = this.ids[slot]!;
    }
    if (held === 0) {
      this.ids[slot] = id;
      this.size++;
    }
    this.states[slot] = state;
    this.tokens[slot] = token;
  }

  state(slot: number): number {
    return this.states[slot]!;
  }

  setState(slot: number, state: number): void {
    this.states[slot] = state;
  }

  token(slot: number): number {
    return this.tokens[slot]!;
  }

  remove(slot: number): void {
    if (this.ids[slot] === 0) return;
    this.ids[slot] = 0;
    this.size--;
  }

  /** Doubles the table until every id in it has a slot of its own. */
  private grow(): void {
    for (let size = (this.mask + 1) * 2; size <= MAX_SLOTS; size *= 2) {
      const mask = size - 1;
      const ids = new Uint16Array(size);
      let clash = false;
      for (let s = 0; s <= this.mask && !clash; s++) {
        const id = this.ids[s]!;
        if (id !== 0 && ids[id & mask] !== 0) clash = true;
        else if (id !== 0) ids[id & mask] = id;
      }
      if (clash && size < MAX_SLOTS) continue;
      const states = new Uint8Array(size);
      const tokens = new Float64Array(size);
      for (let s = 0; s <= this.mask; s++) {
        const id = this.ids[s]!;
        if (id === 0) continue;
        states[id & mask] = this.states[s]!;
        tokens[id & mask] = this.tokens[s]!;
      }
      this.ids = ids;
      this.states = states;
      this.tokens = tokens;
      this.mask = mask;
      return;
    }
  }
}

/** A connection's outgoing ids: the table, and the next id to hand out (counting up, wrapping after 65,535, skipping ids in flight). */
export class OutgoingIds extends IdTable {
  private next = 1;

  /** The next id not in flight, added with `state` and `token`; -1 when 65,535 are in flight. */
  take(state: number, token: number): number {
    if (this.size >= 0xffff) return -1;
    for (;;) {
      const id = this.next;
      this.next = id === 0xffff ? 1 : id + 1;
      if (this.find(id) < 0) {
        this.add(id, state, token);
        return id;
      }
    }
  }

  /** Hands out ids from where `other` (the client's previous connection) stopped. */
  continueFrom(other: OutgoingIds): void {
    this.next = other.next;
  }
}
