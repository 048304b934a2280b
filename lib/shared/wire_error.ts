/**
 * Errors as data: what crosses between a worker and the main side when a task fails.
 * Structured clone keeps an error's message, stack and cause but drops its class, its
 * `name` and its own fields, so the worker sends them explicitly (`toWireError`) and the
 * main side rebuilds a class from them (`lib/errors_wire.ts`). Shared by both sides;
 * imports nothing, so the worker side stays light.
 *
 * @module
 */

/** An error as data: what survives the trip between isolates and rebuilds a class. */
export interface WireError {
  /** Which library error the receiving side rebuilds. */
  readonly tag: "TaskError" | "SerializationError" | "TaskNotFound";
  /** The remote error's `name` (`"RangeError"`), or the type of a thrown non-Error. */
  readonly name: string;
  readonly message: string;
  readonly stack?: string | undefined;
  readonly cause?: WireError | undefined;
  /** True when the task threw an `Error`; false when it threw another value. */
  readonly isError: boolean;
  /** The thrown value itself when it was not an `Error` (cloned when it can be). */
  readonly value?: unknown;
  /** Own `code` of the remote error (`"ENOENT"`), when it had one. */
  readonly code?: string | undefined;
  /**
   * The remote error's class: its constructor's name (`"ParseError"`), or
   * `"Deno.errors.NotFound"` for Deno's own. The main side rebuilds only built-in and
   * registered classes by it (`lib/error_registry.ts`).
   */
  readonly className?: string | undefined;
  /** The remote error's own enumerable fields that structured clone can copy. */
  readonly fields?: ReadonlyArray<readonly [key: string, value: unknown]> | undefined;
  /** An `AggregateError`'s `errors`. */
  readonly errors?: readonly WireError[] | undefined;
  /**
   * How an Effect-native task's Effect ended, when it did not succeed: `"failure"` for
   * its typed error (`Effect.fail`), `"defect"` for a die or a throw inside it. Absent
   * when a plain task threw. Only a top-level `TaskError` reads it.
   */
  readonly effect?: EffectEnding | undefined;
}

/** How an Effect-native task's Effect ended without success (see `WireError.effect`). */
export type EffectEnding = "failure" | "defect";

/**
 * Bounds of an error as data, kept by `toWireError` and checked on arrival
 * (`lib/protocol_check.ts`): what a worker sends is never trusted to be small.
 */
export const WIRE_ERROR_LIMITS = {
  /** Longest `message` or `stack`, in UTF-16 units: longer ones are cut. */
  text: 65536,
  /** Longest `name`, `className` or field key. */
  name: 256,
  /** Most own fields per error. */
  fields: 32,
  /** Most errors of an `AggregateError` kept. */
  errors: 64,
  /** Deepest `cause`/`errors` nesting kept. */
  depth: 16,
  /** Most errors in one tree (the error, its causes and aggregated errors). */
  nodes: 256,
} as const;

/** Keys never carried as fields: the error's own parts, and keys that reach prototypes. */
export const RESERVED_ERROR_KEYS: ReadonlySet<string> = new Set([
  "__proto__",
  "constructor",
  "prototype",
  "name",
  "message",
  "stack",
  "cause",
  "errors",
]);

/**
 * Turns anything thrown into data that survives structured clone: its class name, own
 * clonable fields, cause chain and aggregated errors, within `WIRE_ERROR_LIMITS`. Runs
 * in the worker on values task code made, so every read is guarded: a getter that
 * throws loses that part only.
 *
 * @param thrown Anything a task threw (or an Effect-native task failed with).
 * @param tag Which library error the main side rebuilds from it.
 * @returns The error as plain, clonable data.
 *
 * @example A class and its fields survive the trip
 * ```ts
 * import { toWireError } from "./wire_error.ts";
 * import assert from "node:assert/strict";
 *
 * const error = Object.assign(new RangeError("too big"), { code: "E_BIG", limit: 3 });
 * const wire = structuredClone(toWireError(error));
 * assert.equal(wire.className, "RangeError");
 * assert.equal(wire.code, "E_BIG");
 * assert.deepEqual(wire.fields, [["code", "E_BIG"], ["limit", 3]]);
 * ```
 */
export function toWireError(thrown: unknown, tag: WireError["tag"] = "TaskError"): WireError {
  return wireOf(thrown, tag, 0, { nodes: 0 });
}

function wireOf(
  thrown: unknown,
  tag: WireError["tag"],
  depth: number,
  budget: { nodes: number },
): WireError {
  budget.nodes++;
  if (!(thrown instanceof Error)) {
    return {
      tag,
      name: thrown === null ? "null" : typeof thrown,
      message: cut(describeThrown(thrown), WIRE_ERROR_LIMITS.text),
      isError: false,
      value: cloneOrDescribe(thrown),
    };
  }
  const name = cut(String(read(thrown, "name") ?? "Error"), WIRE_ERROR_LIMITS.name);
  const message = cut(String(read(thrown, "message") ?? ""), WIRE_ERROR_LIMITS.text);
  const stack = read(thrown, "stack");
  const code = read(thrown, "code");
  const cause = read(thrown, "cause");
  const deeper = depth + 1 < WIRE_ERROR_LIMITS.depth;
  const wire: {
    -readonly [K in keyof WireError]: WireError[K];
  } = {
    tag,
    name,
    message,
    stack: typeof stack === "string" ? cut(stack, WIRE_ERROR_LIMITS.text) : undefined,
    cause: cause !== undefined && deeper && budget.nodes < WIRE_ERROR_LIMITS.nodes
      ? wireOf(cause, "TaskError", depth + 1, budget)
      : undefined,
    isError: true,
    code: typeof code === "string" ? code : undefined,
  };
  const className = classNameOf(thrown);
  if (className !== undefined) wire.className = className;
  const fields = fieldsOf(thrown);
  if (fields.length > 0) wire.fields = fields;
  const errors = read(thrown, "errors");
  if (thrown instanceof AggregateError && Array.isArray(errors) && deeper) {
    const wires: WireError[] = [];
    for (let i = 0; i < errors.length && i < WIRE_ERROR_LIMITS.errors; i++) {
      if (budget.nodes >= WIRE_ERROR_LIMITS.nodes) break;
      wires[wires.length] = wireOf(errors[i], "TaskError", depth + 1, budget);
    }
    wire.errors = wires;
  }
  return wire;
}

/** `value[key]`, or undefined when reading it throws (a hostile getter). */
function read(value: object, key: string): unknown {
  try {
    return (value as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

/** The constructor's name; Deno's own error classes as `Deno.errors.<Name>`. */
function classNameOf(error: Error): string | undefined {
  try {
    const ctor = Object.getPrototypeOf(error)?.constructor;
    if (typeof ctor !== "function" || typeof ctor.name !== "string" || ctor.name === "") {
      return undefined;
    }
    const denoErrors = (globalThis as { Deno?: { errors?: Record<string, unknown> } }).Deno
      ?.errors;
    if (denoErrors !== undefined && Object.hasOwn(denoErrors, ctor.name)) {
      if (denoErrors[ctor.name] === ctor) return `Deno.errors.${ctor.name}`;
    }
    return cut(ctor.name, WIRE_ERROR_LIMITS.name);
  } catch {
    return undefined;
  }
}

/** Own enumerable fields whose values structured clone can copy; others are left out. */
function fieldsOf(error: Error): Array<readonly [string, unknown]> {
  const fields: Array<readonly [string, unknown]> = [];
  let keys: string[];
  try {
    keys = Object.keys(error);
  } catch {
    return fields;
  }
  for (let i = 0; i < keys.length && fields.length < WIRE_ERROR_LIMITS.fields; i++) {
    const key = keys[i]!;
    if (RESERVED_ERROR_KEYS.has(key) || key.length > WIRE_ERROR_LIMITS.name) continue;
    try {
      const value = (error as unknown as Record<string, unknown>)[key];
      structuredClone(value);
      fields[fields.length] = [key, value];
    } catch {
      // A function, a symbol, a class instance with private state: it cannot cross.
    }
  }
  return fields;
}

function cut(text: string, limit: number): string {
  return text.length > limit ? text.slice(0, limit) : text;
}

function describeThrown(value: unknown): string {
  if (typeof value === "string") return value;
  try {
    const json = JSON.stringify(value);
    if (json !== undefined) return json;
  } catch {
    // fall through to String()
  }
  try {
    return String(value);
  } catch {
    return "an unprintable value";
  }
}

function cloneOrDescribe(value: unknown): unknown {
  try {
    return structuredClone(value);
  } catch {
    return describeThrown(value);
  }
}
