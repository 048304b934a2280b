/**
 * The objects a manager's server holds, and the methods its proxies call on them: a
 * dict (a `Map`), a list (an array), a namespace (a `Map` of attributes) and a value.
 * Plain code over plain data: misuse throws the error Python would raise, under the
 * nearest JavaScript class (`IndexError`/`KeyError`/`ValueError` become `RangeError`,
 * Python's `TypeError` stays `TypeError`), and it reaches the caller.
 *
 * @module
 */

/** The kinds of objects a manager holds. */
export type ObjectKind = "dict" | "list" | "namespace" | "value";

/** One object in the server. */
export type Held =
  | { readonly kind: "dict"; readonly map: Map<unknown, unknown> }
  | { readonly kind: "list"; items: unknown[] }
  | { readonly kind: "namespace"; readonly map: Map<unknown, unknown> }
  | { readonly kind: "value"; value: unknown };

/** Makes an object of `kind` from its initial contents (as the proxy sent them). */
export function makeHeld(kind: ObjectKind, initial: unknown): Held {
  switch (kind) {
    case "dict":
      return { kind, map: new Map(initial as Array<[unknown, unknown]>) };
    case "namespace":
      return { kind, map: new Map(initial as Array<[unknown, unknown]>) };
    case "list":
      return { kind, items: [...(initial as unknown[])] };
    case "value":
      return { kind, value: initial };
    default:
      throw new TypeError(`Cannot make a manager object of kind '${String(kind)}'`);
  }
}

type Method<H> = (held: H, args: unknown[]) => unknown;

const mapMethods: Record<string, Method<{ map: Map<unknown, unknown> }>> = {
  get: ({ map }, [key, fallback]) => map.has(key) ? map.get(key) : fallback,
  set: ({ map }, [key, value]) => void map.set(key, value),
  has: ({ map }, [key]) => map.has(key),
  delete: ({ map }, [key]) => map.delete(key),
  clear: ({ map }) => map.clear(),
  size: ({ map }) => map.size,
  keys: ({ map }) => [...map.keys()],
  values: ({ map }) => [...map.values()],
  entries: ({ map }) => [...map.entries()],
  update: ({ map }, [entries]) => {
    for (const [key, value] of entries as Array<[unknown, unknown]>) map.set(key, value);
  },
  setDefault: ({ map }, [key, value]) => {
    if (!map.has(key)) map.set(key, value);
    return map.get(key);
  },
  pop: ({ map }, [key, fallback]) => {
    if (!map.has(key)) return fallback;
    const value = map.get(key);
    map.delete(key);
    return value;
  },
  popItem: ({ map }) => {
    if (map.size === 0) throw new RangeError("Cannot pop an item from the dict as it is empty");
    const last = [...map.keys()].at(-1);
    const value = map.get(last);
    map.delete(last);
    return [last, value];
  },
  copy: ({ map }) => new Map(map),
};

const listMethods: Record<string, Method<{ items: unknown[] }>> = {
  length: ({ items }) => items.length,
  get: ({ items }, [index]) => items[position(items, index, "read")],
  set: (held, [index, value]) => void (held.items[position(held.items, index, "assign")] = value),
  push: ({ items }, [values]) => items.push(...(values as unknown[])),
  insert: ({ items }, [index, value]) => {
    const n = items.length;
    let at = Number(index);
    at = at < 0 ? Math.max(0, n + at) : Math.min(n, at);
    items.splice(at, 0, value);
  },
  pop: ({ items }, [index]) => {
    if (items.length === 0) throw new RangeError("Cannot pop from the list as it is empty");
    return items.splice(position(items, index ?? -1, "pop"), 1)[0];
  },
  remove: ({ items }, [value]) => void items.splice(indexOf(items, value, "remove"), 1),
  index: ({ items }, [value]) => indexOf(items, value, "find"),
  count: ({ items }, [value]) => items.filter((item) => equal(item, value)).length,
  includes: ({ items }, [value]) => items.some((item) => equal(item, value)),
  clear: (held) => void (held.items = []),
  reverse: ({ items }) => void items.reverse(),
  sort: ({ items }, [reverse]) => {
    items.sort(naturalOrder);
    if (reverse) items.reverse();
  },
  slice: ({ items }, [start, end]) =>
    items.slice(start as number | undefined, end as number | undefined),
};

const valueMethods: Record<string, Method<{ value: unknown }>> = {
  get: (held) => held.value,
  set: (held, [value]) => void (held.value = value),
};

/** Runs `method` with `args` on `held`. */
export function callHeld(held: Held, method: string, args: unknown[]): unknown {
  const table: Record<string, Method<never>> = held.kind === "list"
    ? listMethods
    : held.kind === "value"
    ? valueMethods
    : mapMethods;
  const run = Object.hasOwn(table, method) ? table[method] : undefined;
  if (run === undefined) {
    throw new TypeError(`A manager ${held.kind} has no method '${method}'`);
  }
  return (run as Method<Held>)(held, args);
}

/** Python's index: negative counts from the end; out of range is an `IndexError`. */
function position(items: unknown[], index: unknown, action: string): number {
  if (typeof index !== "number" || !Number.isInteger(index)) {
    throw new TypeError(
      `Cannot ${action} a list item as the index must be an integer: current value is ${
        String(index)
      }`,
    );
  }
  const at = index < 0 ? items.length + index : index;
  if (at < 0 || at >= items.length) {
    throw new RangeError(
      `Cannot ${action} list item ${index} as it is out of range (length ${items.length})`,
    );
  }
  return at;
}

function indexOf(items: unknown[], value: unknown, action: string): number {
  const at = items.findIndex((item) => equal(item, value));
  if (at < 0) {
    throw new RangeError(`Cannot ${action} ${describe(value)} in the list as it is not there`);
  }
  return at;
}

/** Python's `==` on plain data: by value for arrays, objects, maps, sets and dates. */
export function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => equal(x, b[i]));
  }
  if (a instanceof Date) return b instanceof Date && a.getTime() === b.getTime();
  if (a instanceof Map) {
    return b instanceof Map && a.size === b.size &&
      [...a].every(([key, value]) => b.has(key) && equal(value, b.get(key)));
  }
  if (a instanceof Set) {
    return b instanceof Set && a.size === b.size && [...a].every((x) => b.has(x));
  }
  if (Object.getPrototypeOf(a) !== Object.prototype) return false;
  if (Object.getPrototypeOf(b) !== Object.prototype) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length &&
    keys.every((key) =>
      Object.hasOwn(b, key) &&
      equal((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])
    );
}

/** Python's default order: numbers with numbers, strings with strings; else `TypeError`. */
function naturalOrder(a: unknown, b: unknown): number {
  const numeric = (x: unknown) => typeof x === "number" || typeof x === "bigint";
  const comparable = (numeric(a) && numeric(b)) || (typeof a === "string" && typeof b === "string");
  if (!comparable) {
    throw new TypeError(
      `Cannot sort the list as '<' is not defined between ${typeof a} and ${typeof b}: ` +
        `sort numbers or strings, or read the list and sort it with your own comparison`,
    );
  }
  return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
}

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "object" && value !== null) return "the value";
  return String(value);
}
