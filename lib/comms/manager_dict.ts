/**
 * `DictProxy`, the proxy of a manager's `dict()`, as Python's `DictProxy`.
 *
 * @module
 */
import { encodeProxy, type ProxyState, takeState } from "./manager_base.ts";
import type { EncodedPortable } from "./wire.ts";

/** Keys of a `DictProxy`: compared by value, so only primitives. */
export type DictKey = string | number | bigint | boolean | null | undefined;

function checkKey(key: unknown): void {
  const type = typeof key;
  if (key !== null && type === "object" || type === "function" || type === "symbol") {
    throw new TypeError(
      `Cannot use a ${
        type === "object" ? "object" : type
      } as a key of a manager dict: keys are compared by value, so use a string, number, ` +
        `bigint, boolean, null or undefined`,
    );
  }
}

/**
 * A dict in a manager, as Python's `manager.dict()`, with `Map`'s names: `get`, `set`,
 * `has`, `delete`, `clear`, `size`, and Python's `setDefault`, `pop`, `popItem`,
 * `update`, `copy`. `keys()`, `values()` and `entries()` give arrays (snapshots).
 *
 * @typeParam K The keys (primitives: they are compared by value).
 * @typeParam V The values (structured-clone data).
 *
 * @example Shared between processes
 * ```ts
 * import { Manager } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * await using manager = await Manager.start();
 * const d = manager.dict<string, number>({ a: 1 });
 * d.set("b", 2);
 * assert.equal(d.get("a"), 1);
 * assert.deepEqual(d.entries(), [["a", 1], ["b", 2]]);
 * ```
 */
export class DictProxy<K extends DictKey = string, V = unknown> {
  /** Names the reviver of this class in a worker. */
  static readonly portableKind: string = "multiprocessing.managers.DictProxy";
  readonly #state: ProxyState;

  /** Not for users: proxies are made by a `Manager`. */
  constructor(state: unknown) {
    this.#state = takeState(state);
  }

  #call(method: string, ...args: unknown[]): unknown {
    return this.#state.channel.call(this.#state.id, method, args, "dict");
  }

  /** The value at `key`, or `fallback` (default `undefined`) when there is none. */
  get(key: K, fallback?: V): V | undefined {
    checkKey(key);
    return this.#call("get", key, fallback) as V | undefined;
  }

  /** Sets `key` to `value` (Python's `d[key] = value`). */
  set(key: K, value: V): this {
    checkKey(key);
    this.#call("set", key, value);
    return this;
  }

  /** Whether `key` is in the dict (Python's `key in d`). */
  has(key: K): boolean {
    checkKey(key);
    return this.#call("has", key) as boolean;
  }

  /** Removes `key`; true when it was there (Python's `del d[key]`). */
  delete(key: K): boolean {
    checkKey(key);
    return this.#call("delete", key) as boolean;
  }

  /** Removes every key. */
  clear(): void {
    this.#call("clear");
  }

  /** How many keys the dict holds (Python's `len(d)`). */
  get size(): number {
    return this.#call("size") as number;
  }

  /** The keys, in insertion order. */
  keys(): K[] {
    return this.#call("keys") as K[];
  }

  /** The values, in insertion order. */
  values(): V[] {
    return this.#call("values") as V[];
  }

  /** The `[key, value]` pairs, in insertion order (Python's `items()`). */
  entries(): Array<[K, V]> {
    return this.#call("entries") as Array<[K, V]>;
  }

  /** Iterates over a snapshot of the entries. */
  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries()[Symbol.iterator]();
  }

  /** Sets every key of `other`: pairs, a `Map`, or a plain object. */
  update(other: Iterable<readonly [K, V]> | Record<string, V>): void {
    const entries = Symbol.iterator in other
      ? [...(other as Iterable<readonly [K, V]>)]
      : Object.entries(other);
    for (const [key] of entries) checkKey(key);
    this.#call("update", entries);
  }

  /** The value at `key`; when there is none, sets it to `value` first (Python's `setdefault`). */
  setDefault(key: K, value: V): V {
    checkKey(key);
    return this.#call("setDefault", key, value) as V;
  }

  /** Removes `key` and gives its value, or `fallback` when there was none. */
  pop(key: K, fallback?: V): V | undefined {
    checkKey(key);
    return this.#call("pop", key, fallback) as V | undefined;
  }

  /**
   * Removes and gives the last inserted `[key, value]` (Python's `popitem()`).
   *
   * @throws {RangeError} The dict is empty (Python's `KeyError`).
   */
  popItem(): [K, V] {
    return this.#call("popItem") as [K, V];
  }

  /** A copy of the whole dict as a `Map` (Python's `copy()`, or `dict(d)`). */
  copy(): Map<K, V> {
    return this.#call("copy") as Map<K, V>;
  }

  /** Shows the contents, as Python's `print(d)` does. */
  [Symbol.for("Deno.customInspect")](): string {
    return `DictProxy(${Deno.inspect(this.copy())})`;
  }

  /**
   * Plain data for another isolate, for the worker wire.
   *
   * @ignore
   */
  encode(): { readonly data: EncodedPortable; readonly transfer: readonly Transferable[] } {
    return encodeProxy(DictProxy.portableKind, this.#state);
  }
}
