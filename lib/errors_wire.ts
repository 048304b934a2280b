/**
 * A worker's error, sent as data (`toWireError` in `shared/wire_error.ts`), rebuilt on
 * the main side as one of the library's classes (`errors.ts`), or as the task's own
 * class when that is built in or registered (`error_registry.ts`). An Effect-native
 * task's defect is remembered as such (`isDefect`), so the Effect face can die with it.
 *
 * @module
 */
import { causeFromWire, rebuildError, rebuildTagged } from "./error_registry.ts";
import { countAsTaskError, SerializationError, TaskError, TaskNotFound } from "./errors.ts";
import type { WireError } from "./shared/wire_error.ts";

/**
 * Rebuilds the error a worker sent as data.
 *
 * @param wire The error as the worker sent it (already checked: `protocol_check.ts`).
 * @param task The task's name, for `TaskNotFound`.
 * @returns A `SerializationError` or `TaskNotFound` when the wire says so; otherwise the
 *   task's error: its own class when built in or registered (counting as a `TaskError`),
 *   else a `TaskError` proper.
 *
 * @example A task's RangeError comes back as a RangeError that counts as a TaskError
 * ```ts
 * import { TaskError } from "./errors.ts";
 * import { fromWire } from "./errors_wire.ts";
 * import { toWireError } from "./shared/wire_error.ts";
 * import assert from "node:assert/strict";
 *
 * const error = fromWire(structuredClone(toWireError(new RangeError("too big"))), "square");
 * assert.ok(error instanceof RangeError);
 * assert.ok(error instanceof TaskError);
 * assert.equal(error.remoteName, "RangeError");
 * ```
 */
export function fromWire(
  wire: WireError,
  task: string,
): TaskError | SerializationError | TaskNotFound {
  switch (wire.tag) {
    case "SerializationError":
      return new SerializationError({ message: wire.message });
    case "TaskNotFound":
      return new TaskNotFound({ message: wire.message, task });
    case "TaskError": {
      // An Effect-native task's typed failure keeps its `_tag`; its defect is marked so
      // that the Effect face dies with it (the Promise face rejects with it as ever).
      const error = wire.effect === "failure" ? failureFromWire(wire) : taskErrorFromWire(wire);
      if (wire.effect === "defect") defects.add(error);
      return error;
    }
  }
}

/** Errors that came from an Effect-native task's defect (`Effect.die`, a throw inside). */
const defects = new WeakSet<object>();

/**
 * Whether a task's error is the defect of the Effect it returned (`Effect.die`, or a
 * throw inside `Effect.sync`...) rather than its typed failure. The Effect face dies
 * with such an error instead of failing with it; on the Promise face it is the same
 * `TaskError` a plain task's throw gives.
 *
 * @param error Anything a call rejected or failed with.
 * @returns `true` only for an error rebuilt from an Effect-native task's defect.
 *
 * @example
 * ```ts
 * import { fromWire, isDefect } from "./errors_wire.ts";
 * import { toWireError } from "./shared/wire_error.ts";
 * import assert from "node:assert/strict";
 *
 * const thrown = toWireError(new Error("broken"));
 * assert.equal(isDefect(fromWire(thrown, "task")), false);
 * assert.equal(isDefect(fromWire({ ...thrown, effect: "defect" }, "task")), true);
 * ```
 */
export function isDefect(error: unknown): boolean {
  return typeof error === "object" && error !== null && defects.has(error);
}

/**
 * An Effect-native task's typed failure: with a `_tag`, its own class when registered
 * (or built in), else an error that keeps the `_tag` and every field; without one, as
 * any task error.
 */
function failureFromWire(wire: WireError): TaskError {
  const tagged = rebuildTagged(wire);
  return tagged === null ? taskErrorFromWire(wire) : asTaskError(tagged, wire);
}

/**
 * A task's error: its own class when that is built in or registered (see
 * `registerError`), carrying `TaskError`'s fields and counting as one; else a
 * `TaskError` proper.
 */
function taskErrorFromWire(wire: WireError): TaskError {
  const rebuilt = wire.isError ? rebuildError(wire) : null;
  if (rebuilt !== null) return asTaskError(rebuilt, wire);
  const error = new TaskError({
    message: wire.message,
    remoteName: wire.name,
    isError: wire.isError,
    ...(wire.isError ? {} : { value: wire.value }),
    ...(wire.code === undefined ? {} : { code: wire.code }),
    ...(wire.stack === undefined ? {} : { remoteStack: wire.stack }),
    ...(wire.cause === undefined ? {} : { cause: causeFromWire(wire.cause) }),
  });
  // Show where it happened: the worker's stack, under our class's name.
  if (wire.stack !== undefined) {
    error.stack = `TaskError: ${wire.stack}`;
  }
  return error;
}

/**
 * Gives a rebuilt error `TaskError`'s fields (hidden from printing) and its tag unless
 * its class has its own, so `catch`/`catchTag("TaskError")` code keeps working.
 */
function asTaskError(error: Error, wire: WireError): TaskError {
  const hidden = (key: string, value: unknown): void => {
    Object.defineProperty(error, key, { value, writable: true, configurable: true });
  };
  if (!("_tag" in error)) hidden("_tag", "TaskError");
  hidden("remoteName", wire.name);
  hidden("isError", wire.isError);
  if (!wire.isError && !Object.hasOwn(error, "value")) hidden("value", wire.value);
  if (wire.stack !== undefined) hidden("remoteStack", wire.stack);
  countAsTaskError(error);
  return error as unknown as TaskError;
}
