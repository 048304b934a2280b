/**
 * Every way a task can fail, as tagged error classes. They are real `Error`s (so the
 * Promise face can `catch` and `instanceof` them) and carry a `_tag` (so the Effect
 * face can `Effect.catchTag` them).
 *
 * @module
 */
import { Data } from "effect";
import type { WireError } from "./protocol.ts";

/**
 * The task itself threw. Keeps the remote error's name, message, stack and cause; when
 * the task threw something that is not an `Error`, `value` holds it.
 *
 * @example Catching a task's failure
 * ```ts
 * import { TaskError } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * const error = new TaskError({ message: "bad input", remoteName: "RangeError", isError: true });
 * assert.ok(error instanceof Error);
 * assert.equal(error._tag, "TaskError");
 * assert.equal(error.remoteName, "RangeError");
 * ```
 */
export class TaskError extends Data.TaggedError("TaskError")<{
  /** The remote error's message (or a description of the thrown value). */
  readonly message: string;
  /** The remote error's `name` (`"RangeError"`), or the type of the thrown value. */
  readonly remoteName: string;
  /** True when the task threw an `Error`; false when it threw another value. */
  readonly isError: boolean;
  /** The thrown value when it was not an `Error`. */
  readonly value?: unknown;
  /** The remote error's `code` property (`"ENOENT"`), when it had one. */
  readonly code?: string | undefined;
  /** The remote error's stack, as the worker saw it. */
  readonly remoteStack?: string | undefined;
  /** The remote error's cause, rebuilt. */
  readonly cause?: unknown;
}> {}

/**
 * A value could not cross between isolates: an argument (found before the worker sees
 * it) or a result (the worker survives).
 *
 * @example
 * ```ts
 * import { SerializationError } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * const error = new SerializationError({ message: "Cannot send argument 0" });
 * assert.equal(error._tag, "SerializationError");
 * ```
 */
export class SerializationError extends Data.TaggedError("SerializationError")<{
  readonly message: string;
  readonly cause?: unknown;
}> {}

/**
 * The function cannot be found where the worker could load it. Raised before anything
 * runs when the main side cannot name it, or by the worker when its module lacks it.
 *
 * @example
 * ```ts
 * import { TaskNotFound } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * const error = new TaskNotFound({ message: "export `square`", task: "square" });
 * assert.equal(error.task, "square");
 * ```
 */
export class TaskNotFound extends Data.TaggedError("TaskNotFound")<{
  readonly message: string;
  /** The function's name. */
  readonly task: string;
  readonly cause?: unknown;
}> {}

/**
 * The worker running the task died: it called `Deno.exit()` or `self.close()`, or an
 * error escaped every handler (a throw in a timer, an unhandled rejection).
 *
 * @example
 * ```ts
 * import { WorkerCrashed } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * const error = new WorkerCrashed({ message: "exited with code 3", worker: "PoolWorker-1", exitCode: 3 });
 * assert.equal(error.exitCode, 3);
 * ```
 */
export class WorkerCrashed extends Data.TaggedError("WorkerCrashed")<{
  readonly message: string;
  /** Name of the worker that died. */
  readonly worker: string;
  /** The code it exited with, or `null` when it died of an error. */
  readonly exitCode: number | null;
  readonly cause?: unknown;
}> {}

/**
 * The task did not finish within its timeout; its worker was replaced.
 *
 * @example
 * ```ts
 * import { TaskTimeout } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * const error = new TaskTimeout({ message: "after 100 ms", timeout: 100 });
 * assert.equal(error.timeout, 100);
 * ```
 */
export class TaskTimeout extends Data.TaggedError("TaskTimeout")<{
  readonly message: string;
  /** The timeout that passed, in milliseconds. */
  readonly timeout: number;
}> {}

/**
 * The pool no longer takes work (after `close()` or `terminate()`), or it was stopped
 * while the task waited.
 *
 * @example
 * ```ts
 * import { PoolClosed } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new PoolClosed({ message: "closed" })._tag, "PoolClosed");
 * ```
 */
export class PoolClosed extends Data.TaggedError("PoolClosed")<{
  readonly message: string;
}> {}

/**
 * Waiting on an `AsyncResult` with a timeout ended before the result arrived, as
 * Python's `multiprocessing.TimeoutError`. The task itself keeps running.
 *
 * @example
 * ```ts
 * import { WaitTimeout } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new WaitTimeout({ message: "not ready", timeout: 10 }).timeout, 10);
 * ```
 */
export class WaitTimeout extends Data.TaggedError("WaitTimeout")<{
  readonly message: string;
  /** How long the caller waited, in milliseconds. */
  readonly timeout: number;
}> {}

/**
 * The caller cancelled the task (`AsyncResult.cancel()`) before it finished.
 *
 * @example
 * ```ts
 * import { TaskCancelled } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new TaskCancelled({ message: "cancelled" })._tag, "TaskCancelled");
 * ```
 */
export class TaskCancelled extends Data.TaggedError("TaskCancelled")<{
  readonly message: string;
}> {}

/** Any error a task submitted to a pool or process can end with. */
export type PoolError =
  | TaskError
  | SerializationError
  | TaskNotFound
  | WorkerCrashed
  | TaskTimeout
  | PoolClosed
  | WaitTimeout
  | TaskCancelled;

/** Rebuilds the error a worker sent as data. */
export function fromWire(
  wire: WireError,
  task: string,
): TaskError | SerializationError | TaskNotFound {
  switch (wire.tag) {
    case "SerializationError":
      return new SerializationError({ message: wire.message });
    case "TaskNotFound":
      return new TaskNotFound({ message: wire.message, task });
    case "TaskError":
      return taskErrorFromWire(wire);
  }
}

function taskErrorFromWire(wire: WireError): TaskError {
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

function causeFromWire(wire: WireError): unknown {
  if (!wire.isError) return wire.value;
  const cause = new Error(wire.message, wire.cause ? { cause: causeFromWire(wire.cause) } : {});
  cause.name = wire.name;
  if (wire.stack !== undefined) cause.stack = wire.stack;
  return cause;
}
