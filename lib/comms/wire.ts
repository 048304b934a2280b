/**
 * How communication objects (queues, pipes, shared values, locks) travel as task
 * arguments: the sending side encodes them into plain data plus transferables, the
 * worker side revives them. Arguments with none of them pass untouched, and while no
 * such object was ever made in this isolate nothing is even scanned.
 *
 * @module
 */
import type { TaskRef } from "../shared/protocol.ts";

/** An object that knows how to cross into another isolate. */
export interface Portable {
  /**
   * Plain data that structured clone carries, plus what must be transferred, and
   * optionally what to do once the receiving process has ended (close its handle).
   */
  encode(): {
    readonly data: EncodedPortable;
    readonly transfer: readonly Transferable[];
    readonly release?: () => void;
  };
}

/** The data form of a `Portable`: its kind names the reviver. */
export interface EncodedPortable {
  /** The kind's name, as registered with `registerPortable`. */
  readonly __portable: string;
  /** The kind's own plain fields. */
  readonly [field: string]: unknown;
}

const revivers = new Map<string, (data: EncodedPortable) => unknown>();
let inUse = false;

/** A function a communication object carries (a `Barrier`'s action). */
export type CarriedFunction = () => unknown;

/**
 * How the main side names a function by reference (module and export, or inline
 * source), as it does for task functions. Unset in a worker, which cannot look it up.
 */
let namer: ((fn: CarriedFunction) => TaskRef) | null = null;

/** Installs how functions are named; called once by the main side (`lib/function_refs.ts`). */
export function setFunctionNamer(name: (fn: CarriedFunction) => TaskRef): void {
  namer = name;
}

/**
 * The reference of a function a communication object carries into workers, found as a
 * task function's is (exported, `task()`, `inline()`); throws `TaskNotFound` when it
 * cannot be, or a TypeError inside a worker, where functions cannot be looked up.
 */
export function nameFunction(fn: CarriedFunction, what: string): TaskRef {
  if (namer === null) {
    throw new TypeError(
      `Cannot send ${what} to another process from here: functions are found by reference ` +
        `only in the main program; make the object there`,
    );
  }
  return namer(fn);
}

/** Registers how to revive one kind of portable object; called by each kind's module. */
export function registerPortable(kind: string, revive: (data: EncodedPortable) => unknown): void {
  revivers.set(kind, revive);
  inUse = true;
}

function isPortable(value: unknown): value is Portable {
  return typeof value === "object" && value !== null &&
    typeof (value as { encode?: unknown }).encode === "function" &&
    typeof (value as { constructor?: { portableKind?: unknown } }).constructor?.portableKind ===
      "string";
}

/**
 * Encodes the portable objects among `items` (each item, or each argument of an
 * argument list when `spread`), one level deep. Returns null when there are none.
 */
export function encodeItems(
  items: readonly unknown[],
  spread: boolean,
): {
  readonly items: unknown[];
  readonly transfer: Transferable[];
  readonly release: Array<() => void>;
} | null {
  if (!containsPortable(items, spread)) return null;
  const out = [...items];
  const transfer: Transferable[] = [];
  const release: Array<() => void> = [];
  const encodeOne = (value: unknown): unknown => {
    if (!isPortable(value)) return value;
    const encoded = value.encode();
    transfer.push(...encoded.transfer);
    if (encoded.release) release.push(encoded.release);
    return encoded.data;
  };
  for (let i = 0; i < out.length; i++) {
    const item = out[i];
    out[i] = spread && Array.isArray(item) ? mapIfChanged(item, encodeOne) : encodeOne(item);
  }
  return { items: out, transfer, release };
}

/** Whether an item of `items` (or, when `spread`, an argument of one) is portable. */
export function containsPortable(items: readonly unknown[], spread: boolean): boolean {
  return inUse &&
    items.some((item) => spread && Array.isArray(item) ? item.some(isPortable) : isPortable(item));
}

/** Revives the encoded portable objects among `items`, in place. */
export function decodeItems(items: unknown[], spread: boolean): void {
  const decodeOne = (value: unknown): unknown => {
    const kind = (value as EncodedPortable | null)?.__portable;
    if (typeof kind !== "string") return value;
    const revive = revivers.get(kind);
    if (revive === undefined) {
      throw new TypeError(
        `Cannot revive a '${kind}' argument in this worker: import its module in the task module`,
      );
    }
    return revive(value as EncodedPortable);
  };
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    items[i] = spread && Array.isArray(item) ? mapIfChanged(item, decodeOne) : decodeOne(item);
  }
}

function mapIfChanged(list: unknown[], f: (value: unknown) => unknown): unknown[] {
  let out: unknown[] | null = null;
  for (let i = 0; i < list.length; i++) {
    const next = f(list[i]);
    if (next !== list[i]) (out ??= [...list])[i] = next;
  }
  return out ?? list;
}
