/**
 * `ListProxy`, the proxy of a manager's `list()`, as Python's `ListProxy`.
 *
 * @module
 */
import { encodeProxy, type ProxyState, takeState } from "./manager_base.ts";
import type { EncodedPortable } from "./wire.ts";

/**
 * A list in a manager, as Python's `manager.list()`: `get(i)`/`set(i, x)` take
 * Python's negative indexes and throw `RangeError` out of range (Python's
 * `IndexError`); `append`, `extend`, `insert`, `pop`, `remove`, `index`, `count`,
 * `reverse`, `sort` as in Python; `push`, `length`, `slice`, `includes`, `toArray` as
 * in JavaScript. Equality (`remove`, `index`, ...) is by value, as Python's `==`.
 *
 * @typeParam T The items (structured-clone data).
 *
 * @example
 * ```ts
 * import { Manager } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * await using manager = await Manager.start();
 * const l = manager.list([3, 1]);
 * l.append(2);
 * l.sort();
 * assert.deepEqual(l.toArray(), [1, 2, 3]);
 * assert.equal(l.get(-1), 3);
 * ```
 */
export class ListProxy<T = unknown> {
  /** Names the reviver of this class in a worker. */
  static readonly portableKind: string = "multiprocessing.managers.ListProxy";
  readonly #state: ProxyState;

  /** Not for users: proxies are made by a `Manager`. */
  constructor(state: unknown) {
    this.#state = takeState(state);
  }

  #call(method: string, ...args: unknown[]): unknown {
    return this.#state.channel.call(this.#state.id, method, args, "list");
  }

  /** How many items the list holds (Python's `len(l)`). */
  get length(): number {
    return this.#call("length") as number;
  }

  /**
   * The item at `index` (negative counts from the end).
   *
   * @throws {RangeError} `index` is out of range (Python's `IndexError`).
   */
  get(index: number): T {
    return this.#call("get", index) as T;
  }

  /**
   * Replaces the item at `index` (negative counts from the end).
   *
   * @throws {RangeError} `index` is out of range (Python's `IndexError`).
   */
  set(index: number, value: T): void {
    this.#call("set", index, value);
  }

  /** Adds `value` at the end. */
  append(value: T): void {
    this.#call("push", [value]);
  }

  /** Adds `values` at the end; gives the new length. */
  push(...values: T[]): number {
    return this.#call("push", values) as number;
  }

  /** Adds every item of `values` at the end. */
  extend(values: Iterable<T>): void {
    this.#call("push", [...values]);
  }

  /** Inserts `value` before `index` (clamped to the list, as Python does). */
  insert(index: number, value: T): void {
    this.#call("insert", index, value);
  }

  /**
   * Removes and gives the item at `index` (default: the last).
   *
   * @throws {RangeError} The list is empty or `index` is out of range.
   */
  pop(index = -1): T {
    return this.#call("pop", index) as T;
  }

  /**
   * Removes the first item equal to `value`.
   *
   * @throws {RangeError} No item is equal to it (Python's `ValueError`).
   */
  remove(value: T): void {
    this.#call("remove", value);
  }

  /**
   * The index of the first item equal to `value`.
   *
   * @throws {RangeError} No item is equal to it (Python's `ValueError`).
   */
  index(value: T): number {
    return this.#call("index", value) as number;
  }

  /** How many items are equal to `value`. */
  count(value: T): number {
    return this.#call("count", value) as number;
  }

  /** Whether an item is equal to `value` (Python's `value in l`). */
  includes(value: T): boolean {
    return this.#call("includes", value) as boolean;
  }

  /** Removes every item. */
  clear(): void {
    this.#call("clear");
  }

  /** Reverses the list in place. */
  reverse(): void {
    this.#call("reverse");
  }

  /**
   * Sorts in place, numbers by value and strings by code unit (Python's default order).
   *
   * @throws {TypeError} The items are not all numbers or all strings.
   */
  sort(options: { readonly reverse?: boolean } = {}): void {
    this.#call("sort", options.reverse === true);
  }

  /** A copy of items `start` to `end` (JavaScript's `slice`, Python's `l[start:end]`). */
  slice(start?: number, end?: number): T[] {
    return this.#call("slice", start, end) as T[];
  }

  /** A copy of every item (Python's `l[:]`). */
  toArray(): T[] {
    return this.#call("slice") as T[];
  }

  /** Iterates over a snapshot of the items. */
  [Symbol.iterator](): IterableIterator<T> {
    return this.toArray()[Symbol.iterator]();
  }

  /** Shows the contents, as Python's `print(l)` does. */
  [Symbol.for("Deno.customInspect")](): string {
    return `ListProxy(${Deno.inspect(this.toArray())})`;
  }

  /**
   * Plain data for another isolate, for the worker wire.
   *
   * @ignore
   */
  encode(): { readonly data: EncodedPortable; readonly transfer: readonly Transferable[] } {
    return encodeProxy(ListProxy.portableKind, this.#state);
  }
}
