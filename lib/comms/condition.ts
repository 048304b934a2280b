/**
 * `Condition` over shared memory, as Python's `multiprocessing.Condition`: wait for a
 * notification while holding a lock, which `wait` frees and takes back.
 *
 * @module
 */
import { cellsOf, deadlineOf, remaining, sharedField, waitAsync, waitSync } from "./_wait.ts";
import type { WaitOptions } from "./wait_options.ts";
import {
  acquireRestore,
  acquireRestoreAsync,
  type ConditionLock,
  heldHere,
  Lock,
  releaseSave,
  reviveLock,
  RLock,
} from "./lock.ts";
import { type EncodedPortable, registerPortable } from "./wire.ts";

const SEQ = 0;

/**
 * A condition variable shared between processes. Hold its lock to `wait`, `notify` or
 * `notifyAll`. As with any condition variable, check the predicate in a loop (or use
 * `waitFor`): a waiter may wake without a matching notification.
 *
 * @example Wait for a predicate
 * ```ts
 * import { Condition } from "./condition.ts";
 * import assert from "node:assert/strict";
 *
 * const cond = new Condition();
 * cond.acquire();
 * assert.equal(cond.wait(5), false); // nobody notified: timed out
 * assert.equal(cond.waitFor(() => true), true);
 * cond.notifyAll();
 * cond.release();
 * ```
 */
export class Condition {
  /** Names the reviver of this class in a worker. */
  static readonly portableKind: string = "multiprocessing.Condition";
  /** The lock `wait` frees and takes back. */
  readonly lock: Lock | RLock;
  readonly #cells: Int32Array;

  /**
   * Makes a condition over `lock` (a new `RLock` when omitted, as in Python).
   *
   * @throws {TypeError} `lock` is given and is not a `Lock` or an `RLock`.
   */
  constructor(lock?: Lock | RLock, shared?: SharedArrayBuffer) {
    if (lock !== undefined && !(lock instanceof Lock) && !(lock instanceof RLock)) {
      throw new TypeError(
        `Cannot make a condition as 'lock' must be a Lock or an RLock: received ${
          lock === null ? "null" : typeof lock
        }`,
      );
    }
    this.lock = lock ?? new RLock();
    this.#cells = cellsOf("make a condition", shared, 1);
  }

  /** Takes the lock (blocking); see `Lock.acquire`. */
  acquire(options?: Parameters<Lock["acquire"]>[0]): boolean {
    return this.lock.acquire(options);
  }

  /** Takes the lock without blocking; see `Lock.acquireAsync`. */
  acquireAsync(options?: Parameters<Lock["acquireAsync"]>[0]): Promise<boolean> {
    return this.lock.acquireAsync(options);
  }

  /** Frees the lock. */
  release(): void {
    this.lock.release();
  }

  /**
   * Frees the lock, blocks until notified (or `timeout` ms pass), takes the lock back.
   *
   * @returns False when the timeout came first.
   * @throws {Error} The lock is not held here.
   */
  wait(timeout?: number): boolean {
    const deadline = deadlineOf("wait on the condition", timeout);
    this.#checkHeld("wait on");
    const seq = Atomics.load(this.#cells, SEQ);
    const saved = releaseSave(this.lock);
    try {
      return waitSync(this.#cells, SEQ, seq, deadline) !== "timed-out";
    } finally {
      acquireRestore(this.lock, saved);
    }
  }

  /**
   * `wait` without blocking the event loop. The lock is taken back before it returns,
   * even when aborted.
   *
   * @returns False when the timeout came first.
   */
  async waitAsync(options: WaitOptions = {}): Promise<boolean> {
    const deadline = deadlineOf("wait on the condition", options.timeout);
    this.#checkHeld("wait on");
    const seq = Atomics.load(this.#cells, SEQ);
    const saved = releaseSave(this.lock);
    try {
      return (await waitAsync(this.#cells, SEQ, seq, deadline, options.signal)) !== "timed-out";
    } finally {
      await acquireRestoreAsync(this.lock, saved);
    }
  }

  /**
   * Waits until `predicate()` is true (checked with the lock held), or `timeout` ms pass.
   *
   * @returns The predicate's last value.
   */
  waitFor(predicate: () => boolean, timeout?: number): boolean {
    const deadline = deadlineOf("wait on the condition", timeout);
    let result = predicate();
    while (!result) {
      const left = remaining(deadline);
      if (left === 0) break;
      this.wait(left);
      result = predicate();
    }
    return result;
  }

  /** `waitFor` without blocking the event loop. */
  async waitForAsync(predicate: () => boolean, options: WaitOptions = {}): Promise<boolean> {
    const deadline = deadlineOf("wait on the condition", options.timeout);
    let result = predicate();
    while (!result) {
      const left = remaining(deadline);
      if (left === 0) break;
      await this.waitAsync(
        options.signal ? { timeout: left, signal: options.signal } : { timeout: left },
      );
      result = predicate();
    }
    return result;
  }

  /**
   * Wakes up to `n` waiters.
   *
   * @throws {Error} The lock is not held here.
   */
  notify(n = 1): void {
    this.#checkHeld("notify");
    Atomics.add(this.#cells, SEQ, 1);
    Atomics.notify(this.#cells, SEQ, n);
  }

  /** Wakes every waiter (Python's `notify_all()`). */
  notifyAll(): void {
    this.notify(Infinity);
  }

  /**
   * Plain data for another isolate (the shared memory and the lock's), for the wire.
   *
   * @ignore
   */
  encode(): { readonly data: EncodedPortable; readonly transfer: readonly Transferable[] } {
    return {
      data: {
        __portable: Condition.portableKind,
        cells: this.#cells.buffer,
        lock: this.lock.encode().data,
      },
      transfer: [],
    };
  }

  #checkHeld(action: string): void {
    if (!heldHere(this.lock as ConditionLock)) {
      throw new Error(`Cannot ${action} the condition without holding its lock`);
    }
  }
}

registerPortable(
  Condition.portableKind,
  (data) => new Condition(reviveLock(data.lock as EncodedPortable), sharedField(data, "cells")),
);
