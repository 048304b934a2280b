/**
 * `Lock` and `RLock` over shared memory, as Python's `multiprocessing.Lock` and
 * `RLock`: `acquire()` blocks (with `Atomics.wait`, in a worker or on Deno's main
 * thread), `acquireAsync()` waits without blocking the event loop.
 *
 * @module
 */
import {
  cellsOf,
  deadlineOf,
  ISOLATE_ID,
  lockAsync,
  lockSync,
  sharedField,
  tryLock,
  unlock,
} from "./_wait.ts";
import type { AcquireAsyncOptions, BlockingOptions } from "./wait_options.ts";
import { type EncodedPortable, registerPortable } from "./wire.ts";

/** What `Condition` needs of its lock: release fully, then restore. */
export interface ConditionLock {
  /** Takes the lock (blocking). */
  acquire(options?: BlockingOptions): boolean;
  /** Takes the lock without blocking the event loop. */
  acquireAsync(options?: AcquireAsyncOptions): Promise<boolean>;
  /** Frees the lock. */
  release(): void;
  /**
   * Plain data for another isolate.
   *
   * @ignore
   */
  encode(): { readonly data: EncodedPortable; readonly transfer: readonly Transferable[] };
}

/** Frees a lock entirely and says how to take it back (for `Condition.wait`). */
export function releaseSave(lock: ConditionLock): number {
  if (lock instanceof RLock) return lock._releaseAll();
  lock.release();
  return 1;
}

/** Takes back a lock freed by `releaseSave` (blocking). */
export function acquireRestore(lock: ConditionLock, saved: number): void {
  lock.acquire();
  if (lock instanceof RLock) lock._setCount(saved);
}

/** Takes back a lock freed by `releaseSave`, without blocking. */
export async function acquireRestoreAsync(lock: ConditionLock, saved: number): Promise<void> {
  await lock.acquireAsync();
  if (lock instanceof RLock) lock._setCount(saved);
}

/** Whether this process may wait on a condition over `lock`. */
export function heldHere(lock: ConditionLock): boolean {
  return lock instanceof RLock ? lock.owned() : lock instanceof Lock ? lock.locked() : true;
}

/**
 * A lock shared between processes, as Python's `multiprocessing.Lock`: any process may
 * release it. `acquire()` blocks the thread it runs on, as in Python; in code that must
 * keep its event loop running, use `acquireAsync()`.
 *
 * @example Guarding a shared counter
 * ```ts
 * import { Lock } from "./lock.ts";
 * import assert from "node:assert/strict";
 *
 * const lock = new Lock();
 * assert.equal(lock.acquire(), true);
 * assert.equal(lock.acquire({ blocking: false }), false);
 * lock.release();
 * {
 *   using _held = lock.hold();
 *   assert.equal(lock.locked(), true);
 * }
 * assert.equal(await lock.acquireAsync({ timeout: 10 }), true);
 * lock.release();
 * ```
 */
export class Lock {
  /** Names the reviver of this class in a worker. */
  static readonly portableKind: string = "multiprocessing.Lock";
  /** Cell 0: 0 free, 1 held, 2 held with waiters. */
  readonly #cells: Int32Array;

  /** Makes a free lock. */
  constructor(shared?: SharedArrayBuffer) {
    this.#cells = cellsOf("make a lock", shared, 1);
  }

  /**
   * Takes the lock, blocking until it is free (or `timeout` ms pass).
   *
   * @returns True when taken; false with `blocking: false` or after the timeout.
   * @throws {RangeError} `timeout` is negative.
   */
  acquire(options: BlockingOptions = {}): boolean {
    if (options.blocking === false) return tryLock(this.#cells, 0);
    return lockSync(this.#cells, 0, deadlineOf("acquire the lock", options.timeout));
  }

  /**
   * Takes the lock without blocking the event loop.
   *
   * @returns True when taken; false with `blocking: false` or after the timeout.
   * @throws {unknown} `signal.reason` when aborted (the lock is then not taken).
   */
  acquireAsync(options: AcquireAsyncOptions = {}): Promise<boolean> {
    try {
      if (options.blocking === false) return Promise.resolve(tryLock(this.#cells, 0));
      const deadline = deadlineOf("acquire the lock", options.timeout);
      return lockAsync(this.#cells, 0, deadline, options.signal);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Frees the lock (from any process).
   *
   * @throws {Error} The lock is not held.
   */
  release(): void {
    if (Atomics.load(this.#cells, 0) === 0) throw new Error("Cannot release an unlocked Lock");
    unlock(this.#cells, 0);
  }

  /** True while some process holds the lock. */
  locked(): boolean {
    return Atomics.load(this.#cells, 0) !== 0;
  }

  /** Takes the lock (blocking) and returns what frees it: `using _ = lock.hold()`. */
  hold(options: BlockingOptions = {}): Disposable {
    if (!this.acquire(options)) throw new Error("Cannot hold the lock: the timeout passed");
    return { [Symbol.dispose]: () => this.release() };
  }

  /** Takes the lock without blocking: `using _ = await lock.holdAsync()`. */
  async holdAsync(options: AcquireAsyncOptions = {}): Promise<Disposable> {
    if (!(await this.acquireAsync(options))) {
      throw new Error("Cannot hold the lock: the timeout passed");
    }
    return { [Symbol.dispose]: () => this.release() };
  }

  /**
   * Plain data for another isolate (the shared memory), for the worker wire.
   *
   * @ignore
   */
  encode(): { readonly data: EncodedPortable; readonly transfer: readonly Transferable[] } {
    return { data: { __portable: Lock.portableKind, cells: this.#cells.buffer }, transfer: [] };
  }
}

const MUTEX = 0, OWNER = 1, COUNT = 2;

/**
 * A re-entrant lock, as Python's `multiprocessing.RLock`: the process that holds it may
 * take it again, and must release it as many times. The owner is the process (the
 * isolate): async code inside one process shares ownership.
 *
 * @example Taking it twice
 * ```ts
 * import { RLock } from "./lock.ts";
 * import assert from "node:assert/strict";
 *
 * const lock = new RLock();
 * lock.acquire();
 * lock.acquire();
 * lock.release();
 * assert.equal(lock.owned(), true);
 * lock.release();
 * assert.equal(lock.owned(), false);
 * ```
 */
export class RLock {
  /** Names the reviver of this class in a worker. */
  static readonly portableKind: string = "multiprocessing.RLock";
  /** Cells: the mutex, the owner's id, the depth. */
  readonly #cells: Int32Array;

  /** Makes a free lock. */
  constructor(shared?: SharedArrayBuffer) {
    this.#cells = cellsOf("make an RLock", shared, 3);
  }

  /**
   * Takes the lock (again, if this process holds it), blocking until it is free.
   *
   * @returns True when taken; false with `blocking: false` or after the timeout.
   */
  acquire(options: BlockingOptions = {}): boolean {
    if (this.#reenter()) return true;
    const taken = options.blocking === false
      ? tryLock(this.#cells, MUTEX)
      : lockSync(this.#cells, MUTEX, deadlineOf("acquire the lock", options.timeout));
    if (taken) this.#own();
    return taken;
  }

  /** Takes the lock (again, if this process holds it) without blocking the event loop. */
  async acquireAsync(options: AcquireAsyncOptions = {}): Promise<boolean> {
    if (this.#reenter()) return true;
    const taken = options.blocking === false ? tryLock(this.#cells, MUTEX) : await lockAsync(
      this.#cells,
      MUTEX,
      deadlineOf("acquire the lock", options.timeout),
      options.signal,
    );
    if (taken) this.#own();
    return taken;
  }

  /**
   * Releases one level; the lock is free when every acquire was released.
   *
   * @throws {Error} This process does not hold the lock.
   */
  release(): void {
    if (!this.owned()) throw new Error("Cannot release an RLock this process does not hold");
    const depth = Atomics.sub(this.#cells, COUNT, 1);
    if (depth === 1) {
      Atomics.store(this.#cells, OWNER, 0);
      unlock(this.#cells, MUTEX);
    }
  }

  /** True when this process holds the lock. */
  owned(): boolean {
    return Atomics.load(this.#cells, OWNER) === ISOLATE_ID;
  }

  /** True while some process holds the lock. */
  locked(): boolean {
    return Atomics.load(this.#cells, MUTEX) !== 0;
  }

  /** Takes the lock (blocking) and returns what releases it: `using _ = lock.hold()`. */
  hold(options: BlockingOptions = {}): Disposable {
    if (!this.acquire(options)) throw new Error("Cannot hold the lock: the timeout passed");
    return { [Symbol.dispose]: () => this.release() };
  }

  /** Frees every level at once; returns the depth. Internal, for `Condition`. */
  _releaseAll(): number {
    if (!this.owned()) throw new Error("Cannot release an RLock this process does not hold");
    const depth = Atomics.exchange(this.#cells, COUNT, 0);
    Atomics.store(this.#cells, OWNER, 0);
    unlock(this.#cells, MUTEX);
    return depth;
  }

  /** Sets the depth after re-taking the lock. Internal, for `Condition`. */
  _setCount(depth: number): void {
    Atomics.store(this.#cells, COUNT, depth);
  }

  /**
   * Plain data for another isolate (the shared memory), for the worker wire.
   *
   * @ignore
   */
  encode(): { readonly data: EncodedPortable; readonly transfer: readonly Transferable[] } {
    return { data: { __portable: RLock.portableKind, cells: this.#cells.buffer }, transfer: [] };
  }

  #reenter(): boolean {
    if (!this.owned()) return false;
    Atomics.add(this.#cells, COUNT, 1);
    return true;
  }

  #own(): void {
    Atomics.store(this.#cells, OWNER, ISOLATE_ID);
    Atomics.store(this.#cells, COUNT, 1);
  }
}

/** Revives a `Lock` or `RLock` from its encoded data; for kinds that embed a lock. */
export function reviveLock(data: EncodedPortable): Lock | RLock {
  const cells = sharedField(data, "cells");
  return data.__portable === RLock.portableKind ? new RLock(cells) : new Lock(cells);
}

registerPortable(Lock.portableKind, reviveLock);
registerPortable(RLock.portableKind, reviveLock);
