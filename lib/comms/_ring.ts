/**
 * A first-in first-out ring of byte messages in shared memory, for queues and pipes:
 * any number of isolates push and pop, under a mutex held only while bytes are copied.
 * The buffer is a growable SharedArrayBuffer, so a message larger than the free room
 * grows it (up to `maxBytes`) instead of waiting. Readers wait on the `SEQ` cell, which
 * moves on every push (and whenever an owner wants to wake them, e.g. on close).
 *
 * @module
 */
import { locked, sharedCells } from "./_wait.ts";

const MUTEX = 0, COUNT = 1, HEAD = 2, USED = 3, CAP = 4;
/** The cell readers wait on: it changes on every push. */
export const SEQ = 5;
const CELLS = 6;

const INITIAL_BYTES = 64 * 1024;
/** The default limit of a ring's buffer: 256 MiB of address space, used as needed. */
export const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;

/** The shared parts of a ring, as they cross into another isolate. */
export interface RingData {
  readonly ctl: SharedArrayBuffer;
  readonly buffer: SharedArrayBuffer;
}

/** One ring of byte messages. */
export class Ring {
  /** The control cells: mutex, message count, head, bytes used, capacity, sequence. */
  readonly cells: Int32Array;
  readonly #buffer: SharedArrayBuffer;
  readonly #bytes: Uint8Array;

  constructor(data?: RingData, maxBytes: number = DEFAULT_MAX_BYTES) {
    if (data !== undefined) {
      this.cells = new Int32Array(data.ctl);
      this.#buffer = data.buffer;
    } else {
      this.cells = sharedCells(CELLS);
      const initial = Math.min(INITIAL_BYTES, maxBytes);
      this.#buffer = new SharedArrayBuffer(initial, { maxByteLength: maxBytes });
      Atomics.store(this.cells, CAP, initial);
    }
    this.#bytes = new Uint8Array(this.#buffer);
  }

  /** The shared memory, to send to another isolate. */
  data(): RingData {
    return { ctl: this.cells.buffer as SharedArrayBuffer, buffer: this.#buffer };
  }

  /** How many messages are in the ring. */
  count(): number {
    return Atomics.load(this.cells, COUNT);
  }

  /** Appends a message and wakes one reader; throws a RangeError past `maxBytes`. */
  push(message: Uint8Array): void {
    locked(this.cells, MUTEX, () => {
      const c = this.cells;
      const need = 4 + message.length;
      let cap = c[CAP]!;
      if (c[USED]! + need > cap) cap = this.#grow(c[USED]! + need);
      const tail = (c[HEAD]! + c[USED]!) % cap;
      const header = new Uint8Array(4);
      new DataView(header.buffer).setUint32(0, message.length, true);
      this.#copyIn(tail, header, cap);
      this.#copyIn((tail + 4) % cap, message, cap);
      c[USED] = c[USED]! + need;
      c[COUNT] = c[COUNT]! + 1;
    });
    Atomics.add(this.cells, SEQ, 1);
    Atomics.notify(this.cells, SEQ, 1);
  }

  /** Takes the oldest message, or null when the ring is empty. */
  pop(): Uint8Array | null {
    if (Atomics.load(this.cells, COUNT) === 0) return null;
    return locked(this.cells, MUTEX, () => {
      const c = this.cells;
      if (c[COUNT] === 0) return null;
      const cap = c[CAP]!;
      const head = c[HEAD]!;
      const header = this.#copyOut(head, 4, cap);
      const length = new DataView(header.buffer).getUint32(0, true);
      const message = this.#copyOut((head + 4) % cap, length, cap);
      c[HEAD] = (head + 4 + length) % cap;
      c[USED] = c[USED]! - 4 - length;
      c[COUNT] = c[COUNT]! - 1;
      if (c[COUNT] === 0) {
        c[HEAD] = 0;
        c[USED] = 0;
      }
      return message;
    });
  }

  /** Wakes every reader (they re-check whatever they wait for). */
  wakeAll(): void {
    Atomics.add(this.cells, SEQ, 1);
    Atomics.notify(this.cells, SEQ);
  }

  #grow(need: number): number {
    const c = this.cells;
    const old = c[CAP]!;
    let cap = old * 2;
    while (cap < need) cap *= 2;
    cap = Math.min(cap, this.#buffer.maxByteLength);
    if (cap < need) {
      throw new RangeError(
        `Cannot send a message of ${need - 4} bytes as the buffer would pass 'maxBytes': ` +
          `current value is ${this.#buffer.maxByteLength}`,
      );
    }
    // The messages move to the start of the grown buffer, in order (rare: growth doubles).
    const kept = this.#copyOut(c[HEAD]!, c[USED]!, old);
    if (this.#buffer.byteLength < cap) this.#buffer.grow(cap);
    this.#bytes.set(kept, 0);
    c[HEAD] = 0;
    c[CAP] = cap;
    return cap;
  }

  #copyIn(at: number, chunk: Uint8Array, cap: number): void {
    const first = Math.min(chunk.length, cap - at);
    this.#bytes.set(chunk.subarray(0, first), at);
    if (first < chunk.length) this.#bytes.set(chunk.subarray(first), 0);
  }

  #copyOut(at: number, length: number, cap: number): Uint8Array {
    const out = new Uint8Array(length);
    const first = Math.min(length, cap - at);
    out.set(this.#bytes.subarray(at, at + first));
    if (first < length) out.set(this.#bytes.subarray(0, length - first), first);
    return out;
  }
}
