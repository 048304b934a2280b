/**
 * `Value`: one number in shared memory, as Python's `multiprocessing.Value`, with the
 * lock that guards it.
 *
 * @module
 */
import { sharedField } from "./_wait.ts";
import {
  type ArrayOf,
  checkElement,
  type ElementType,
  elementType,
  type ShareableType,
  sharedTypedArray,
} from "./element_types.ts";
import { Lock, reviveLock, RLock } from "./lock.ts";
import { type EncodedPortable, registerPortable } from "./wire.ts";

/** Options of `Value` and `Array`: the lock that comes with them. */
export interface SharedOptions {
  /**
   * True: a new `RLock` (as in Python); false: no lock (`getLock()` throws); or the lock
   * to use. @default true
   */
  readonly lock?: boolean | Lock | RLock;
}

interface SharedState {
  readonly type: ElementType;
  readonly buffer: SharedArrayBuffer;
  readonly lock: Lock | RLock | null;
}

let reviving: SharedState | null = null;

/** The lock option as a lock or null; for `Value` and `Array`. */
export function lockOption(action: string, lock: SharedOptions["lock"]): Lock | RLock | null {
  if (lock === undefined || lock === true) return new RLock();
  if (lock === false) return null;
  if (lock instanceof Lock || lock instanceof RLock) return lock;
  throw new TypeError(
    `Cannot ${action} as 'lock' must be a boolean, a Lock or an RLock: current value is ${
      String(lock)
    }`,
  );
}

/** The shared state being revived, if any; for `Value` and `Array` constructors. */
export function takeReviving(): SharedState | null {
  const state = reviving;
  reviving = null;
  return state;
}

/** Runs `make` with `state` as the state to revive; for revivers. */
export function withReviving<A>(state: SharedState, make: () => A): A {
  reviving = state;
  try {
    return make();
  } finally {
    reviving = null;
  }
}

/** The shared state of an encoded `Value` or `Array`. */
export function decodeShared(data: EncodedPortable): SharedState {
  return {
    type: elementType("revive a shared value", data.type),
    buffer: sharedField(data, "buffer"),
    lock: data.lock ? reviveLock(data.lock as EncodedPortable) : null,
  };
}

/**
 * A number in shared memory that every process it is passed to reads and writes.
 * `value += 1` is a read and a write, not atomic: hold `getLock()` around it when
 * several processes write.
 *
 * @typeParam T `number`, or `bigint` for the 64-bit integer types (`i64`, `u64`).
 *
 * @example A counter under its lock
 * ```ts
 * import { Value } from "./value.ts";
 * import assert from "node:assert/strict";
 *
 * const counter = new Value("i", 0);
 * {
 *   using _held = counter.getLock().hold();
 *   counter.value += 1;
 * }
 * assert.equal(counter.value, 1);
 * const big = new Value<bigint>("i64", 2n ** 40n, { lock: false });
 * assert.equal(big.value, 1099511627776n);
 * ```
 */
export class Value<T extends number | bigint = number> {
  /** Names the reviver of this class in a worker. */
  static readonly portableKind: string = "multiprocessing.Value";
  /** The element type, as a typed-array name. */
  readonly type: ElementType;
  readonly #cell: ArrayOf<T>;
  readonly #lock: Lock | RLock | null;

  /**
   * Makes a shared number.
   *
   * @param type The element type (`"i32"`, `"f64"`, ... or `"i"`, `"d"`, ...).
   * @param initial The first value. @default 0
   * @throws {RangeError} Unknown `type`.
   * @throws {TypeError} `lock` is not a boolean or a lock, or `initial` is not of the type
   *   (a `bigint` for the 64-bit types, else a number).
   */
  constructor(type: ShareableType, initial?: NoInfer<T>, options: SharedOptions = {}) {
    const state = takeReviving();
    if (state !== null) {
      this.type = state.type;
      this.#cell = sharedTypedArray<ArrayOf<T>>(state.type, 1, state.buffer);
      this.#lock = state.lock;
      return;
    }
    this.type = elementType("make a shared value", type);
    this.#lock = lockOption("make a shared value", options.lock);
    this.#cell = sharedTypedArray<ArrayOf<T>>(this.type, 1);
    if (initial !== undefined) {
      checkElement("make a shared value", this.type, initial);
      this.value = initial;
    }
  }

  /** The number now. */
  get value(): T {
    return this.#cell[0] as T;
  }

  /**
   * Sets the number.
   *
   * @throws {TypeError} `next` is not a `bigint` for a 64-bit type, or not a number.
   */
  set value(next: T) {
    checkElement("set a shared value", this.type, next);
    (this.#cell as unknown as Array<T>)[0] = next;
  }

  /**
   * The lock that guards the value (Python's `get_lock()`).
   *
   * @throws {TypeError} The value was made with `lock: false`.
   */
  getLock(): Lock | RLock {
    if (this.#lock === null) {
      throw new TypeError("Cannot get the lock of a value made with 'lock' false");
    }
    return this.#lock;
  }

  /** The one-element typed array over the shared memory (Python's `get_obj()`). */
  getObj(): ArrayOf<T> {
    return this.#cell;
  }

  /**
   * Plain data for another isolate (the shared memory), for the worker wire.
   *
   * @ignore
   */
  encode(): { readonly data: EncodedPortable; readonly transfer: readonly Transferable[] } {
    return {
      data: {
        __portable: Value.portableKind,
        type: this.type,
        buffer: this.#cell.buffer,
        lock: this.#lock?.encode().data ?? null,
      },
      transfer: [],
    };
  }
}

registerPortable(
  Value.portableKind,
  (data) => withReviving(decodeShared(data), () => new Value("f64")),
);
