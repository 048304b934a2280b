/**
 * `Semaphore` and `BoundedSemaphore` over shared memory, as Python's: a counter that
 * `acquire()` takes from (waiting while it is 0) and `release()` gives back to.
 *
 * @module
 */
import {
  cellsOf,
  deadlineOf,
  remaining,
  sharedCells,
  sharedField,
  waitAsync,
  waitSync,
} from "./_wait.ts";
import type { AcquireAsyncOptions, BlockingOptions } from "./wait_options.ts";
import { type EncodedPortable, registerPortable } from "./wire.ts";

const VALUE = 0, BOUND = 1;

/**
 * A counting semaphore shared between processes, as Python's
 * `multiprocessing.Semaphore(value)`.
 *
 * @example At most two at a time
 * ```ts
 * import { Semaphore } from "./semaphore.ts";
 * import assert from "node:assert/strict";
 *
 * const slots = new Semaphore(2);
 * assert.equal(slots.acquire(), true);
 * assert.equal(slots.acquire(), true);
 * assert.equal(slots.acquire({ timeout: 0 }), false);
 * slots.release();
 * assert.equal(await slots.acquireAsync(), true);
 * assert.equal(slots.getValue(), 0);
 * ```
 */
export class Semaphore {
  /** Names the reviver of this class in a worker. */
  static readonly portableKind: string = "multiprocessing.Semaphore";
  /** Cells: the value, the bound (-1 for none). */
  readonly #cells: Int32Array;

  /**
   * Makes a semaphore holding `value`.
   *
   * @throws {RangeError} `value` is not a non-negative integer.
   */
  constructor(value = 1, shared?: SharedArrayBuffer) {
    if (shared !== undefined) {
      this.#cells = cellsOf("make a semaphore", shared, 2);
      return;
    }
    if (!Number.isInteger(value) || value < 0 || value > 0x7fffffff) {
      throw new RangeError(
        `Cannot make a semaphore as 'value' must be a non-negative integer: current value is ${value}`,
      );
    }
    this.#cells = sharedCells(2);
    Atomics.store(this.#cells, VALUE, value);
    Atomics.store(this.#cells, BOUND, this.bounded ? value : -1);
  }

  /** True for a `BoundedSemaphore`. */
  protected get bounded(): boolean {
    return false;
  }

  /**
   * Takes one from the counter, blocking while it is 0 (up to `timeout` ms).
   *
   * @returns True when taken; false with `blocking: false` or after the timeout.
   */
  acquire(options: BlockingOptions = {}): boolean {
    const deadline = options.blocking === false
      ? 0
      : deadlineOf("acquire the semaphore", options.timeout);
    for (;;) {
      if (this.#take()) return true;
      if (remaining(deadline) === 0) return false;
      waitSync(this.#cells, VALUE, 0, deadline);
    }
  }

  /**
   * Takes one from the counter without blocking the event loop.
   *
   * @returns True when taken; false with `blocking: false` or after the timeout.
   * @throws {unknown} `signal.reason` when aborted (nothing is then taken).
   */
  async acquireAsync(options: AcquireAsyncOptions = {}): Promise<boolean> {
    const deadline = options.blocking === false
      ? 0
      : deadlineOf("acquire the semaphore", options.timeout);
    for (;;) {
      if (options.signal?.aborted) throw options.signal.reason;
      if (this.#take()) return true;
      if (remaining(deadline) === 0) return false;
      await waitAsync(this.#cells, VALUE, 0, deadline, options.signal);
    }
  }

  /**
   * Gives `n` back to the counter, waking as many waiters.
   *
   * @throws {RangeError} A `BoundedSemaphore` would pass its initial value, or `n` < 1.
   */
  release(n = 1): void {
    if (!Number.isInteger(n) || n < 1) {
      throw new RangeError(
        `Cannot release the semaphore as 'n' must be a positive integer: current value is ${n}`,
      );
    }
    const cells = this.#cells;
    const bound = Atomics.load(cells, BOUND);
    for (;;) {
      const value = Atomics.load(cells, VALUE);
      if (bound >= 0 && value + n > bound) {
        throw new RangeError(
          `Cannot release the BoundedSemaphore past its initial value ${bound}: released too many times`,
        );
      }
      if (Atomics.compareExchange(cells, VALUE, value, value + n) === value) break;
    }
    Atomics.notify(cells, VALUE, n);
  }

  /** The counter now (Python's `get_value()`). */
  getValue(): number {
    return Atomics.load(this.#cells, VALUE);
  }

  /** Takes one (blocking) and returns what gives it back: `using _ = sem.hold()`. */
  hold(options: BlockingOptions = {}): Disposable {
    if (!this.acquire(options)) throw new Error("Cannot hold the semaphore: the timeout passed");
    return { [Symbol.dispose]: () => this.release() };
  }

  /**
   * Plain data for another isolate (the shared memory), for the worker wire.
   *
   * @ignore
   */
  encode(): { readonly data: EncodedPortable; readonly transfer: readonly Transferable[] } {
    const kind = (this.constructor as typeof Semaphore).portableKind;
    return { data: { __portable: kind, cells: this.#cells.buffer }, transfer: [] };
  }

  #take(): boolean {
    const cells = this.#cells;
    for (;;) {
      const value = Atomics.load(cells, VALUE);
      if (value === 0) return false;
      if (Atomics.compareExchange(cells, VALUE, value, value - 1) === value) return true;
    }
  }
}

/**
 * A semaphore that refuses to be released past its initial value, as Python's
 * `multiprocessing.BoundedSemaphore`.
 *
 * @example Releasing too many times
 * ```ts
 * import { BoundedSemaphore } from "./semaphore.ts";
 * import assert from "node:assert/strict";
 *
 * const sem = new BoundedSemaphore(1);
 * sem.acquire();
 * sem.release();
 * assert.throws(() => sem.release(), RangeError);
 * ```
 */
export class BoundedSemaphore extends Semaphore {
  /** Names the reviver of this class in a worker. */
  static override readonly portableKind: string = "multiprocessing.BoundedSemaphore";

  /** True: this semaphore is bounded. */
  protected override get bounded(): boolean {
    return true;
  }
}

registerPortable(
  Semaphore.portableKind,
  (data) => new Semaphore(0, sharedField(data, "cells")),
);
registerPortable(
  BoundedSemaphore.portableKind,
  (data) => new BoundedSemaphore(0, sharedField(data, "cells")),
);
