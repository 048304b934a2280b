/**
 * `NamespaceProxy` and `ValueProxy`, the proxies of a manager's `Namespace()` and
 * `Value()`, as Python's: one holds attributes, the other a single value.
 *
 * @module
 */
import { encodeProxy, type ProxyState, takeState } from "./manager_base.ts";
import type { EncodedPortable } from "./wire.ts";

/**
 * One value in a manager, as Python's `manager.Value(typecode, value)`: any
 * structured-clone value, read and written through `.value` (or `get()`/`set()`).
 *
 * @typeParam T The value.
 *
 * @example
 * ```ts
 * import { Manager } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * await using manager = await Manager.start();
 * const v = manager.Value("i", 0);
 * v.value += 5;
 * assert.equal(v.get(), 5);
 * ```
 */
export class ValueProxy<T = unknown> {
  /** Names the reviver of this class in a worker. */
  static readonly portableKind: string = "multiprocessing.managers.ValueProxy";
  readonly #state: ProxyState;

  /** Not for users: proxies are made by a `Manager`. */
  constructor(state: unknown) {
    this.#state = takeState(state);
  }

  /** The value now. */
  get value(): T {
    return this.get();
  }

  /** Replaces the value. */
  set value(value: T) {
    this.set(value);
  }

  /** The value now. */
  get(): T {
    return this.#state.channel.call(this.#state.id, "get", [], "Value") as T;
  }

  /** Replaces the value. */
  set(value: T): void {
    this.#state.channel.call(this.#state.id, "set", [value], "Value");
  }

  /**
   * Plain data for another isolate, for the worker wire.
   *
   * @ignore
   */
  encode(): { readonly data: EncodedPortable; readonly transfer: readonly Transferable[] } {
    return encodeProxy(ValueProxy.portableKind, this.#state);
  }
}

/** Names a Namespace keeps for itself: reading or writing them never reaches the server. */
const LOCAL_NAMES = new Set(["constructor", "encode", "then", "toString", "valueOf", "toJSON"]);

/**
 * The object behind a manager's `Namespace()`: attribute reads and writes on it go to
 * the server (`ns.x = 1`, `ns.x`, `delete ns.x`, `"x" in ns`, `Object.keys(ns)`), as
 * Python's `NamespaceProxy`. The names `constructor`, `encode`, `then`, `toString`,
 * `valueOf` and `toJSON` are its own. Make one with `manager.Namespace()`.
 *
 * @example
 * ```ts
 * import { Manager } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * await using manager = await Manager.start();
 * const ns = manager.Namespace({ x: 1 });
 * ns.x += 1;
 * assert.equal(ns.x, 2);
 * assert.deepEqual(Object.keys(ns), ["x"]);
 * ```
 */
export class NamespaceProxy {
  /** Names the reviver of this class in a worker. */
  static readonly portableKind: string = "multiprocessing.managers.NamespaceProxy";
  readonly #state: ProxyState;

  /** Not for users: namespaces are made by `manager.Namespace()`. */
  constructor(state: unknown) {
    this.#state = takeState(state);
  }

  /**
   * Plain data for another isolate, for the worker wire.
   *
   * @ignore
   */
  encode(): { readonly data: EncodedPortable; readonly transfer: readonly Transferable[] } {
    return encodeProxy(NamespaceProxy.portableKind, this.#state);
  }

  /** Shows the attributes, as Python's `Namespace(x=1)`. */
  [Symbol.for("Deno.customInspect")](): string {
    const pairs = this.#call("entries") as Array<[string, unknown]>;
    return `Namespace(${pairs.map(([k, v]) => `${k}=${Deno.inspect(v)}`).join(", ")})`;
  }

  #call(method: string, ...args: unknown[]): unknown {
    return this.#state.channel.call(this.#state.id, method, args, "Namespace");
  }

  /** The JavaScript Proxy users hold: attribute access becomes calls. */
  static wrap<T extends object>(target: NamespaceProxy): T {
    const call = (method: string, ...args: unknown[]): unknown => target.#call(method, ...args);
    return new Proxy(target, {
      get(object, name) {
        if (typeof name === "symbol" || LOCAL_NAMES.has(name)) {
          const own = Reflect.get(object, name, object);
          // Methods run on the target (its private state); the class stays itself.
          return typeof own === "function" && name !== "constructor" ? own.bind(object) : own;
        }
        return call("get", name);
      },
      set(_object, name, value) {
        if (typeof name === "symbol" || LOCAL_NAMES.has(name)) {
          throw new TypeError(
            `Cannot set '${String(name)}' on a manager Namespace: the name is its own`,
          );
        }
        call("set", name, value);
        return true;
      },
      has(object, name) {
        if (typeof name === "symbol") return Reflect.has(object, name);
        return call("has", name) as boolean;
      },
      deleteProperty(_object, name) {
        if (typeof name === "symbol") return false;
        call("delete", name);
        return true;
      },
      ownKeys() {
        return call("keys") as string[];
      },
      getOwnPropertyDescriptor(_object, name) {
        if (typeof name === "symbol" || !(call("has", name) as boolean)) return undefined;
        return { value: call("get", name), writable: true, enumerable: true, configurable: true };
      },
      defineProperty() {
        throw new TypeError("Cannot define properties on a manager Namespace: assign them");
      },
    }) as unknown as T;
  }
}
