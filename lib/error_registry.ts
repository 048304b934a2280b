/**
 * The error classes a task's error may come back as, and its rebuilding from wire data.
 *
 * A worker names its error's class (`WireError.className`), but what it sends is
 * untrusted: it may pick only a built-in class or one the program registered
 * (`registerError`, or a pool's or process's `errors` option), never any global. The
 * error is rebuilt without running the class's constructor: `Reflect.construct(Error,
 * [message], Class)` makes a real `Error` whose prototype is `Class.prototype`, and the
 * fields are defined as data properties (never assigned, so no setter of the class
 * runs with worker data).
 *
 * @module
 */
import { RESERVED_ERROR_KEYS, WIRE_ERROR_LIMITS, type WireError } from "./shared/wire_error.ts";

/** A class of errors a task may throw: any subclass of `Error`. */
// deno-lint-ignore no-explicit-any
export type ErrorClass = abstract new (...args: any[]) => Error;

// A plain `Error` is not among them: it has no class to keep, and a `TaskError` is an
// `Error` already, so it stays a `TaskError` proper (what most existing code checks for).
const BUILT_IN: ReadonlyMap<string, ErrorClass> = new Map<string, ErrorClass>([
  ["RangeError", RangeError],
  ["TypeError", TypeError],
  ["SyntaxError", SyntaxError],
  ["URIError", URIError],
  ["EvalError", EvalError],
  ["ReferenceError", ReferenceError],
  ["AggregateError", AggregateError],
  // Captured now: a later change to `Deno.errors` picks no other class.
  ...Object.entries(Deno.errors).map(([name, type]) =>
    [`Deno.errors.${name}`, type as ErrorClass] as const
  ),
]);

const registered = new Map<string, ErrorClass>();

/**
 * Lets a task's error of class `type` come back as that class (registered by its
 * constructor's name, once for the whole program): `instanceof` works on what the
 * pool or process rejects with, and `Effect.catchTag` when the class has a `_tag`.
 * Built-in classes (`RangeError`, `TypeError`, ..., `AggregateError`, `DOMException`,
 * `Deno.errors.*`) need no registration. The class's constructor is never called for
 * a rebuilt error: its own enumerable fields are copied as data.
 *
 * @param types The classes, subclasses of `Error` exported or not.
 * @throws {TypeError} A type is not a subclass of `Error`, has no name, takes a
 *   built-in's name, extends `DOMException`, or another class of its name is registered.
 *
 * @example A task's own error class, caught by class
 * ```ts
 * import { registerError } from "./error_registry.ts";
 *
 * class ParseError extends Error {
 *   readonly _tag = "ParseError";
 *   constructor(readonly line: number) {
 *     super(`cannot parse line ${line}`);
 *   }
 * }
 * registerError(ParseError);
 * registerError(ParseError); // the same class again does nothing
 * ```
 */
export function registerError(...types: readonly ErrorClass[]): void {
  for (const type of types) {
    const name = checkErrorClass(type, "register error");
    const known = registered.get(name);
    if (known !== undefined && known !== type) {
      throw new TypeError(
        `Cannot register error class '${name}' as another class of that name is registered: ` +
          `rename one of them (the class name is what a worker sends)`,
      );
    }
    registered.set(name, type);
  }
}

/** Checks one class for `registerError` or an `errors` option; gives its name. */
export function checkErrorClass(type: unknown, action: string): string {
  if (typeof type !== "function" || !(type.prototype instanceof Error)) {
    throw new TypeError(
      `Cannot ${action} as it must be a subclass of Error: current value is ${
        typeof type === "function" ? `class ${type.name || "(anonymous)"}` : String(type)
      }`,
    );
  }
  const name = type.name;
  if (name === "" || name === "Error" || BUILT_IN.has(name) || name.startsWith("Deno.errors.")) {
    throw new TypeError(
      `Cannot ${action} as the class name ${JSON.stringify(name)} is ${
        name === "" ? "empty" : "a built-in's"
      }: give the class a name of its own`,
    );
  }
  if (type.prototype instanceof DOMException) {
    throw new TypeError(
      `Cannot ${action} '${name}' as it extends DOMException, which cannot be rebuilt: ` +
        `extend Error instead`,
    );
  }
  return name;
}

/** The classes registered so far, by name (for tests and messages). */
export function registeredErrors(): ReadonlyMap<string, ErrorClass> {
  return registered;
}

/**
 * The wire error rebuilt as its own class, or `null` when the class is neither built in
 * nor registered (the caller then keeps its generic form). `wire.isError` must be true.
 */
export function rebuildError(wire: WireError): Error | null {
  const className = wire.className ?? wire.name;
  if (className === "DOMException") return finish(new DOMException(wire.message, wire.name), wire);
  const type = registered.get(className) ?? BUILT_IN.get(className);
  if (type === undefined) return null;
  const error = Reflect.construct(Error, [wire.message], type) as Error;
  if (error.name !== wire.name) define(error, "name", wire.name, false);
  if (wire.errors !== undefined && error instanceof AggregateError) {
    define(error, "errors", wire.errors.map(causeFromWire), false);
  }
  return finish(error, wire);
}

/** A cause as data, back as an error (its class when it can be) or the thrown value. */
export function causeFromWire(wire: WireError): unknown {
  if (!wire.isError) return wire.value;
  const rebuilt = rebuildError(wire);
  if (rebuilt !== null) return rebuilt;
  const error = new Error(wire.message);
  define(error, "name", wire.name, false);
  return finish(error, wire);
}

/**
 * An Effect-native task's typed failure that carries a string `_tag` (a
 * `Data.TaggedError`, a `{ _tag, ... }` value), so that `Effect.catchTag` finds it: its
 * own class when that is built in or registered, else an `Error` named by its `name`
 * (a plain value's `_tag`) with every field kept as an own property. Null when the
 * failure has no string `_tag` (the caller then rebuilds it as any task error).
 */
export function rebuildTagged(wire: WireError): Error | null {
  if (wire.isError) {
    const tag = wire.fields?.find(([key]) => key === "_tag")?.[1];
    return typeof tag === "string" ? causeFromWire(wire) as Error : null;
  }
  const value = wire.value;
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const fields = value as Record<string, unknown>;
  const tag = Object.hasOwn(fields, "_tag") ? fields._tag : undefined;
  if (typeof tag !== "string") return null;
  const message = typeof fields.message === "string" ? fields.message : wire.message;
  const error = new Error(message);
  define(error, "name", tag, false);
  define(error, "stack", `${tag}: ${message}`, false);
  // The value came from the worker: its keys are bounded as an error's fields are.
  const keys = Object.keys(fields);
  for (let i = 0, kept = 0; i < keys.length && kept < WIRE_ERROR_LIMITS.fields; i++) {
    const key = keys[i]!;
    if (RESERVED_ERROR_KEYS.has(key) || key.length > WIRE_ERROR_LIMITS.name) continue;
    define(error, key, fields[key], true);
    kept++;
  }
  return error;
}

/** Stack, cause, `code` and own fields: the parts every rebuilt error carries. */
function finish(error: Error, wire: WireError): Error {
  define(error, "stack", wire.stack ?? `${wire.name}: ${wire.message}`, false);
  if (wire.cause !== undefined) define(error, "cause", causeFromWire(wire.cause), false);
  let hasCode = false;
  for (const [key, value] of wire.fields ?? []) {
    // The check refused these already; kept here so a rebuilt error never reaches one.
    if (RESERVED_ERROR_KEYS.has(key)) continue;
    if (key === "code") hasCode = true;
    define(error, key, value, true);
  }
  if (!hasCode && wire.code !== undefined) define(error, "code", wire.code, true);
  return error;
}

/** An own data property: defined, not assigned, so no setter on the prototype runs. */
function define(target: object, key: string, value: unknown, enumerable: boolean): void {
  Object.defineProperty(target, key, { value, writable: true, enumerable, configurable: true });
}
