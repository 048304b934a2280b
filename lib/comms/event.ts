/**
 * `Event` over shared memory, as Python's `multiprocessing.Event`: a flag that
 * processes wait for.
 *
 * @module
 */
import { cellsOf, deadlineOf, remaining, sharedField, waitAsync, waitSync } from "./_wait.ts";
import type { WaitOptions } from "./wait_options.ts";
import { type EncodedPortable, registerPortable } from "./wire.ts";

/**
 * A flag shared between processes: `set()` wakes every waiter, `clear()` lowers it,
 * `wait()` blocks until it is set (or a timeout), `waitAsync()` without blocking.
 *
 * @example Waiting with a timeout
 * ```ts
 * import { Event } from "./event.ts";
 * import assert from "node:assert/strict";
 *
 * const ready = new Event();
 * assert.equal(ready.wait(10), false);
 * ready.set();
 * assert.equal(ready.isSet(), true);
 * assert.equal(await ready.waitAsync(), true);
 * ready.clear();
 * assert.equal(await ready.waitAsync({ timeout: 10 }), false);
 * ```
 */
export class Event {
  /** Names the reviver of this class in a worker. */
  static readonly portableKind: string = "multiprocessing.Event";
  readonly #cells: Int32Array;

  /** Makes a cleared flag. */
  constructor(shared?: SharedArrayBuffer) {
    this.#cells = cellsOf("make an event", shared, 1);
  }

  /** True when the flag is set (Python's `is_set()`). */
  isSet(): boolean {
    return Atomics.load(this.#cells, 0) === 1;
  }

  /** Sets the flag and wakes every waiter. */
  set(): void {
    Atomics.store(this.#cells, 0, 1);
    Atomics.notify(this.#cells, 0);
  }

  /** Lowers the flag. */
  clear(): void {
    Atomics.store(this.#cells, 0, 0);
  }

  /**
   * Blocks until the flag is set, or `timeout` ms pass.
   *
   * @returns The flag at the end: false means the timeout came first.
   */
  wait(timeout?: number): boolean {
    const deadline = deadlineOf("wait for the event", timeout);
    while (!this.isSet()) {
      if (remaining(deadline) === 0) return false;
      waitSync(this.#cells, 0, 0, deadline);
    }
    return true;
  }

  /**
   * Waits until the flag is set without blocking the event loop.
   *
   * @returns The flag at the end: false means the timeout came first.
   */
  async waitAsync(options: WaitOptions = {}): Promise<boolean> {
    const deadline = deadlineOf("wait for the event", options.timeout);
    while (!this.isSet()) {
      if (remaining(deadline) === 0) return false;
      await waitAsync(this.#cells, 0, 0, deadline, options.signal);
    }
    return true;
  }

  /**
   * Plain data for another isolate (the shared memory), for the worker wire.
   *
   * @ignore
   */
  encode(): { readonly data: EncodedPortable; readonly transfer: readonly Transferable[] } {
    return { data: { __portable: Event.portableKind, cells: this.#cells.buffer }, transfer: [] };
  }
}

registerPortable(Event.portableKind, (data) => new Event(sharedField(data, "cells")));
