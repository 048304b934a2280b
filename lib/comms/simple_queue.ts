/**
 * `SimpleQueue`, as Python's `multiprocessing.SimpleQueue`: a plain first-in first-out
 * queue between processes with only `put`, `get`, `empty` and `close` (no size limit,
 * no counting). Its items live in shared memory, as a `Queue`'s do.
 *
 * @module
 */
import { deserialize, serialize } from "./_codec.ts";
import { Ring, type RingData, SEQ } from "./_ring.ts";
import { deadlineOf, remaining, sharedField, waitAsync } from "./_wait.ts";
import type { WaitOptions } from "./wait_options.ts";
import { Empty, HandleClosed } from "./errors.ts";
import { type EncodedPortable, registerPortable } from "./wire.ts";

let reviving: Ring | null = null;

/**
 * A first-in first-out queue between processes, as Python's
 * `multiprocessing.SimpleQueue`. Pass it to a `Process` or a pool task as an argument.
 * Items are copied (structured-clone semantics).
 *
 * @typeParam T The items.
 *
 * @example Put, then get
 * ```ts
 * import { SimpleQueue } from "./simple_queue.ts";
 * import assert from "node:assert/strict";
 *
 * const q = new SimpleQueue<string>();
 * assert.equal(q.empty(), true);
 * q.put("a");
 * assert.equal(q.empty(), false);
 * assert.equal(await q.get(), "a");
 * q.close();
 * ```
 */
export class SimpleQueue<T = unknown> {
  /** Names the reviver of this class in a worker. */
  static readonly portableKind: string = "multiprocessing.SimpleQueue";
  readonly #ring: Ring;
  #closed = false;

  /** Makes an empty queue. */
  constructor() {
    const ring = reviving;
    reviving = null;
    this.#ring = ring ?? new Ring();
  }

  /**
   * Puts an item at the end of the queue; never waits (the queue has no size limit).
   *
   * @throws {HandleClosed} `close()` was called on this queue in this process.
   * @throws {TypeError} The item cannot be sent (a function, a symbol, shared memory).
   */
  put(item: T): void {
    this.#checkOpen("put on");
    this.#ring.push(serialize(item));
  }

  /**
   * Takes the item at the front of the queue, waiting for one. Python's `get()` has no
   * timeout; `timeout` and `signal` are here for programs that must not wait for ever.
   *
   * @throws {Empty} No item came within `timeout` milliseconds.
   * @throws {HandleClosed} `close()` was called on this queue in this process.
   */
  async get(options: WaitOptions = {}): Promise<T> {
    const deadline = deadlineOf("get from the queue", options.timeout);
    const ring = this.#ring;
    for (;;) {
      this.#checkOpen("get from");
      const seq = Atomics.load(ring.cells, SEQ);
      const bytes = ring.pop();
      if (bytes !== null) return deserialize(bytes) as T;
      if (remaining(deadline) === 0) {
        throw new Empty("Cannot get from the queue as it stayed empty until the timeout");
      }
      await waitAsync(ring.cells, SEQ, seq, deadline, options.signal);
    }
  }

  /**
   * True when the queue holds no item now (other processes may change it at once).
   *
   * @throws {HandleClosed} `close()` was called on this queue in this process.
   */
  empty(): boolean {
    this.#checkOpen("check");
    return this.#ring.count() === 0;
  }

  /**
   * Says this process will use the queue no more: later calls here fail with
   * `HandleClosed`. Other processes keep using it; items already put stay in it.
   */
  close(): void {
    this.#closed = true;
  }

  /**
   * Plain data for another isolate (the shared memory), for the worker wire.
   *
   * @ignore
   */
  encode(): { readonly data: EncodedPortable; readonly transfer: readonly Transferable[] } {
    return { data: { __portable: SimpleQueue.portableKind, ...this.#ring.data() }, transfer: [] };
  }

  #checkOpen(action: string): void {
    if (this.#closed) throw new HandleClosed(`Cannot ${action} the queue as it is closed`);
  }
}

registerPortable(SimpleQueue.portableKind, (data) => {
  const ring: RingData = { ctl: sharedField(data, "ctl"), buffer: sharedField(data, "buffer") };
  reviving = new Ring(ring);
  try {
    return new SimpleQueue();
  } finally {
    reviving = null;
  }
});
