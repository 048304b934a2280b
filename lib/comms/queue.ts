/**
 * `Queue` and `JoinableQueue`: many producers and many consumers, in the main program
 * and any number of processes and pool workers at once. The items live in shared memory
 * (a ring of serialized messages), so the queue has no owner: every copy of it, in every
 * isolate, is as good as the original, and it keeps working when its creator is busy.
 *
 * @module
 */
import { deserialize, serialize } from "./_codec.ts";
import { DEFAULT_MAX_BYTES, Ring, type RingData, SEQ } from "./_ring.ts";
import { deadlineOf, remaining, sharedCells, sharedField, waitAsync } from "./_wait.ts";
import type { WaitOptions } from "./wait_options.ts";
import { Empty, Full, HandleClosed } from "./errors.ts";
import { type EncodedPortable, registerPortable } from "./wire.ts";

const SLOTS = 0, UNFINISHED = 1, MAXSIZE = 2;

/** Options of `new Queue()`. */
export interface QueueOptions {
  /** The most items the queue holds; `put` waits for room beyond it. 0: no limit. @default 0 */
  readonly maxsize?: number;
  /**
   * The most bytes the queue's buffer may grow to (the serialized items it holds at
   * once); address space is reserved, memory is used as needed. @default 268435456
   */
  readonly maxBytes?: number;
}

/** Options of `Queue.put()` and `Queue.get()`. */
export interface QueueWaitOptions extends WaitOptions {
  /** False: do not wait; fail at once with `Full` / `Empty` (Python's `block=False`). @default true */
  readonly block?: boolean;
}

interface QueueState {
  readonly cells: Int32Array;
  readonly ring: Ring;
}

let reviving: QueueState | null = null;

/**
 * A first-in first-out queue between processes, as Python's `multiprocessing.Queue`.
 * Pass it to a `Process` or a pool task as an argument: the other side gets the same
 * queue. Items are copied (structured-clone semantics: plain data, `Map`, `Set`, `Date`,
 * typed arrays, errors); order is first-in first-out for each producer.
 *
 * @typeParam T The items.
 *
 * @example Producer and consumer in one program
 * ```ts
 * import { Queue } from "./queue.ts";
 * import assert from "node:assert/strict";
 *
 * const q = new Queue<string>();
 * await q.put("a");
 * await q.put("b");
 * assert.equal(q.qsize(), 2);
 * assert.equal(await q.get(), "a");
 * assert.equal(await q.get({ timeout: 100 }), "b");
 * ```
 */
export class Queue<T = unknown> {
  /** Names the reviver of this class in a worker. */
  static readonly portableKind: string = "multiprocessing.Queue";
  readonly #cells: Int32Array;
  readonly #ring: Ring;
  readonly #maxsize: number;
  #closed = false;

  /**
   * Makes an empty queue.
   *
   * @param options `{ maxsize }`, or the `maxsize` alone as in Python's `Queue(maxsize)`.
   * @throws {RangeError} `maxsize` is not a non-negative integer.
   * @throws {TypeError} `options` is neither an object nor a number.
   */
  constructor(options: QueueOptions | number = {}) {
    const state = reviving;
    reviving = null;
    if (state !== null) {
      this.#cells = state.cells;
      this.#ring = state.ring;
      this.#maxsize = Atomics.load(state.cells, MAXSIZE);
      return;
    }
    if (typeof options !== "number" && (typeof options !== "object" || options === null)) {
      throw new TypeError(
        `Cannot make a queue as its options must be { maxsize } or the maxsize alone: ` +
          `received ${options === null ? "null" : typeof options}`,
      );
    }
    const { maxsize = 0, maxBytes = DEFAULT_MAX_BYTES } = typeof options === "number"
      ? { maxsize: options }
      : options;
    if (!Number.isInteger(maxsize) || maxsize < 0 || maxsize > 0x7fffffff) {
      throw new RangeError(
        `Cannot make a queue as 'maxsize' must be a non-negative integer: current value is ${maxsize}`,
      );
    }
    if (!Number.isInteger(maxBytes) || maxBytes < 1024) {
      throw new RangeError(
        `Cannot make a queue as 'maxBytes' must be an integer of at least 1024: current value is ${maxBytes}`,
      );
    }
    this.#cells = sharedCells(3);
    Atomics.store(this.#cells, MAXSIZE, maxsize);
    this.#ring = new Ring(undefined, maxBytes);
    this.#maxsize = maxsize;
  }

  /** The most items the queue holds (0: no limit). */
  get maxsize(): number {
    return this.#maxsize;
  }

  /**
   * Puts an item at the end of the queue. With a `maxsize`, waits for room (up to
   * `timeout` ms; `block: false` does not wait).
   *
   * @throws {Full} No room came before the timeout, or none with `block: false`.
   * @throws {HandleClosed} `close()` was called on this queue in this process.
   * @throws {TypeError} The item cannot be sent (a function, a symbol, shared memory).
   */
  async put(item: T, options: QueueWaitOptions = {}): Promise<void> {
    const deadline = deadlineOf("put on the queue", options.timeout);
    this.#checkOpen("put on");
    const bytes = serialize(item);
    const cells = this.#cells;
    if (this.#maxsize > 0) {
      for (;;) {
        const slots = Atomics.load(cells, SLOTS);
        if (slots < this.#maxsize) {
          if (Atomics.compareExchange(cells, SLOTS, slots, slots + 1) === slots) break;
          continue;
        }
        if (options.block === false || remaining(deadline) === 0) {
          throw new Full(`Cannot put on the queue as it is full (maxsize ${this.#maxsize})`);
        }
        await waitAsync(cells, SLOTS, slots, deadline, options.signal);
      }
    } else {
      Atomics.add(cells, SLOTS, 1);
    }
    if (this instanceof JoinableQueue) Atomics.add(cells, UNFINISHED, 1);
    try {
      this.#ring.push(bytes);
    } catch (error) {
      this.#freeSlot();
      if (this instanceof JoinableQueue) Atomics.sub(cells, UNFINISHED, 1);
      throw error;
    }
  }

  /**
   * Takes the item at the front of the queue, waiting for one (up to `timeout` ms;
   * `block: false` does not wait).
   *
   * @throws {Empty} No item came before the timeout, or none with `block: false`.
   * @throws {HandleClosed} `close()` was called on this queue in this process.
   */
  async get(options: QueueWaitOptions = {}): Promise<T> {
    const deadline = deadlineOf("get from the queue", options.timeout);
    const ring = this.#ring;
    for (;;) {
      this.#checkOpen("get from");
      const seq = Atomics.load(ring.cells, SEQ);
      const bytes = ring.pop();
      if (bytes !== null) {
        this.#freeSlot();
        return deserialize(bytes) as T;
      }
      if (options.block === false || remaining(deadline) === 0) {
        throw new Empty("Cannot get from the queue as it is empty");
      }
      await waitAsync(ring.cells, SEQ, seq, deadline, options.signal);
    }
  }

  /** `put(item, { block: false })`: fails with `Full` at once when there is no room. */
  putNowait(item: T): Promise<void> {
    return this.put(item, { block: false });
  }

  /** `get({ block: false })`: fails with `Empty` at once when there is no item. */
  getNowait(): Promise<T> {
    return this.get({ block: false });
  }

  /** How many items are in the queue now (other processes may change it at once). */
  qsize(): number {
    return this.#ring.count();
  }

  /** True when the queue holds no item now. */
  empty(): boolean {
    return this.#ring.count() === 0;
  }

  /** True when a queue with a `maxsize` has no room now. */
  full(): boolean {
    return this.#maxsize > 0 && Atomics.load(this.#cells, SLOTS) >= this.#maxsize;
  }

  /**
   * Says this process will use the queue no more: later calls here fail with
   * `HandleClosed`. Other processes keep using it; items already put stay in it.
   */
  close(): void {
    this.#closed = true;
  }

  /** Python's `join_thread()`: nothing to wait for here (no feeder thread). */
  joinThread(): void {}

  /**
   * Plain data for another isolate (the shared memory), for the worker wire.
   *
   * @ignore
   */
  encode(): { readonly data: EncodedPortable; readonly transfer: readonly Transferable[] } {
    return {
      data: {
        __portable: (this.constructor as typeof Queue).portableKind,
        cells: this.#cells.buffer,
        ...this.#ring.data(),
      },
      transfer: [],
    };
  }

  /** The shared counters: slots taken (`[0]`) and unfinished tasks (`[1]`). */
  protected get cells(): Int32Array {
    return this.#cells;
  }

  #freeSlot(): void {
    Atomics.sub(this.#cells, SLOTS, 1);
    if (this.#maxsize > 0) Atomics.notify(this.#cells, SLOTS, 1);
  }

  #checkOpen(action: string): void {
    if (this.#closed) throw new HandleClosed(`Cannot ${action} the queue as it is closed`);
  }
}

/**
 * A `Queue` that counts unfinished work, as Python's `multiprocessing.JoinableQueue`:
 * every `put` adds a task, every `taskDone()` ends one, and `join()` waits until all
 * are done.
 *
 * @typeParam T The items.
 *
 * @example Waiting until every item was handled
 * ```ts
 * import { JoinableQueue } from "./queue.ts";
 * import assert from "node:assert/strict";
 *
 * const q = new JoinableQueue<number>();
 * await q.put(1);
 * await q.put(2);
 * let sum = 0;
 * for (let i = 0; i < 2; i++) {
 *   sum += await q.get();
 *   q.taskDone();
 * }
 * await q.join();
 * assert.equal(sum, 3);
 * ```
 */
export class JoinableQueue<T = unknown> extends Queue<T> {
  /** Names the reviver of this class in a worker. */
  static override readonly portableKind: string = "multiprocessing.JoinableQueue";

  /**
   * Says one item taken with `get` is handled.
   *
   * @throws {RangeError} Called more times than items were put.
   */
  taskDone(): void {
    const cells = this.cells;
    for (;;) {
      const n = Atomics.load(cells, UNFINISHED);
      if (n <= 0) {
        throw new RangeError("Cannot call taskDone() more times than items were put");
      }
      if (Atomics.compareExchange(cells, UNFINISHED, n, n - 1) !== n) continue;
      if (n === 1) Atomics.notify(cells, UNFINISHED);
      return;
    }
  }

  /** How many items were put and not yet marked done with `taskDone()`. */
  unfinished(): number {
    return Atomics.load(this.cells, UNFINISHED);
  }

  /**
   * Waits until every item put was marked done (up to `timeout` ms).
   *
   * @returns True when all are done; false when the timeout came first.
   */
  async join(options: WaitOptions = {}): Promise<boolean> {
    const deadline = deadlineOf("join the queue", options.timeout);
    const cells = this.cells;
    for (;;) {
      const n = Atomics.load(cells, UNFINISHED);
      if (n === 0) return true;
      if (remaining(deadline) === 0) return false;
      await waitAsync(cells, UNFINISHED, n, deadline, options.signal);
    }
  }
}

function reviveQueue<Q extends Queue>(make: () => Q): (data: EncodedPortable) => Q {
  return (data) => {
    const ring: RingData = {
      ctl: sharedField(data, "ctl"),
      buffer: sharedField(data, "buffer"),
    };
    reviving = { cells: new Int32Array(sharedField(data, "cells")), ring: new Ring(ring) };
    try {
      return make();
    } finally {
      reviving = null;
    }
  };
}

registerPortable(Queue.portableKind, reviveQueue(() => new Queue()));
registerPortable(JoinableQueue.portableKind, reviveQueue(() => new JoinableQueue()));
