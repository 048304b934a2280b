/**
 * `SharedArray` (exported as `Array` too): numbers in shared memory, as Python's
 * `multiprocessing.Array`, with the lock that guards them.
 *
 * @module
 */
import {
  type ArrayOf,
  checkElement,
  type ElementType,
  elementType,
  type ShareableType,
  sharedTypedArray,
} from "./element_types.ts";
import type { Lock, RLock } from "./lock.ts";
import {
  decodeShared,
  lockOption,
  type SharedOptions,
  takeReviving,
  withReviving,
} from "./value.ts";
import { type EncodedPortable, registerPortable } from "./wire.ts";

/**
 * A fixed-length array of numbers in shared memory that every process it is passed to
 * reads and writes, as Python's `multiprocessing.Array(type, size_or_values)`. Index it
 * with `get(i)`/`set(i, v)`, or take the live typed array with `getObj()` for loops.
 *
 * @typeParam T `number`, or `bigint` for the 64-bit integer types (`i64`, `u64`).
 *
 * @example Ten zeros, or given values
 * ```ts
 * import { SharedArray } from "./shared_array.ts";
 * import assert from "node:assert/strict";
 *
 * const zeros = new SharedArray("i32", 10);
 * assert.equal(zeros.length, 10);
 * const arr = new SharedArray("d", [1.5, 2.5]);
 * arr.set(0, -arr.get(0));
 * assert.deepEqual(arr.toArray(), [-1.5, 2.5]);
 * assert.deepEqual([...arr], [-1.5, 2.5]);
 * ```
 */
export class SharedArray<T extends number | bigint = number> {
  /** Names the reviver of this class in a worker. */
  static readonly portableKind: string = "multiprocessing.Array";
  /** The element type, as a typed-array name. */
  readonly type: ElementType;
  readonly #items: ArrayOf<T>;
  readonly #lock: Lock | RLock | null;

  /**
   * Makes a shared array.
   *
   * @param type The element type (`"i32"`, `"f64"`, ... or `"i"`, `"d"`, ...).
   * @param sizeOrValues The length (all zeros), or the first values.
   * @throws {RangeError} Unknown `type`, or a size that is not a non-negative integer.
   * @throws {TypeError} `lock` is not a boolean or a lock, or a value is not of the type
   *   (a `bigint` for the 64-bit types, else a number).
   */
  constructor(
    type: ShareableType,
    sizeOrValues: number | Iterable<NoInfer<T>>,
    options: SharedOptions = {},
  ) {
    const state = takeReviving();
    if (state !== null) {
      this.type = state.type;
      this.#items = sharedTypedArray<ArrayOf<T>>(state.type, 0, state.buffer);
      this.#lock = state.lock;
      return;
    }
    this.type = elementType("make a shared array", type);
    this.#lock = lockOption("make a shared array", options.lock);
    if (typeof sizeOrValues === "number") {
      if (!Number.isInteger(sizeOrValues) || sizeOrValues < 0) {
        throw new RangeError(
          `Cannot make a shared array as 'sizeOrValues' must be a non-negative integer or ` +
            `values: current value is ${sizeOrValues}`,
        );
      }
      this.#items = sharedTypedArray<ArrayOf<T>>(this.type, sizeOrValues);
    } else {
      const values = [...sizeOrValues];
      for (const value of values) checkElement("make a shared array", this.type, value);
      this.#items = sharedTypedArray<ArrayOf<T>>(this.type, values.length);
      (this.#items as unknown as { set(values: ArrayLike<unknown>): void }).set(values);
    }
  }

  /** How many elements. */
  get length(): number {
    return this.#items.length;
  }

  /** The element at `index` (negative counts from the end, as in Python). */
  get(index: number): T {
    return this.#items.at(index) as T;
  }

  /**
   * Sets the element at `index` (negative counts from the end).
   *
   * @throws {RangeError} `index` is outside the array.
   * @throws {TypeError} `value` is not a `bigint` for a 64-bit type, or not a number.
   */
  set(index: number, value: T): void {
    checkElement("set an element", this.type, value);
    const i = index < 0 ? this.#items.length + index : index;
    if (!Number.isInteger(i) || i < 0 || i >= this.#items.length) {
      throw new RangeError(
        `Cannot set an element as 'index' must be within the array of ${this.#items.length}: ` +
          `current value is ${index}`,
      );
    }
    (this.#items as unknown as Array<T>)[i] = value;
  }

  /** A copy of the elements as a plain array (Python's `arr[:]`). */
  toArray(): T[] {
    return Array.from(this.#items as unknown as ArrayLike<T>);
  }

  /** The elements, in order. */
  [Symbol.iterator](): IterableIterator<T> {
    return (this.#items as unknown as Iterable<T>)[Symbol.iterator]() as IterableIterator<
      T
    >;
  }

  /**
   * The lock that guards the array (Python's `get_lock()`).
   *
   * @throws {TypeError} The array was made with `lock: false`.
   */
  getLock(): Lock | RLock {
    if (this.#lock === null) {
      throw new TypeError("Cannot get the lock of an array made with 'lock' false");
    }
    return this.#lock;
  }

  /** The live typed array over the shared memory (Python's `get_obj()`). */
  getObj(): ArrayOf<T> {
    return this.#items;
  }

  /**
   * Plain data for another isolate (the shared memory), for the worker wire.
   *
   * @ignore
   */
  encode(): { readonly data: EncodedPortable; readonly transfer: readonly Transferable[] } {
    return {
      data: {
        __portable: SharedArray.portableKind,
        type: this.type,
        buffer: this.#items.buffer,
        lock: this.#lock?.encode().data ?? null,
      },
      transfer: [],
    };
  }
}

export {
  /**
   * Python's name for `SharedArray`. Importing it shadows the global `Array` in the
   * importing module; `import { SharedArray }` does not.
   */
  SharedArray as Array,
};

registerPortable(
  SharedArray.portableKind,
  (data) => withReviving(decodeShared(data), () => new SharedArray("f64", 0)),
);
