/**
 * Every way a task can fail, as tagged error classes. They are real `Error`s (so the
 * Promise face can `catch` and `instanceof` them) and carry a `_tag` (so the Effect
 * face can `Effect.catchTag` them). Plain classes rather than `Data.TaggedError`: JSR
 * wants a class's parent to be a plain name, and nothing here needs Effect. How a
 * worker's error becomes one of these again: `errors_wire.ts`.
 *
 * @module
 */

/**
 * The parent of every error this library raises: an `Error` whose fields are copied
 * from one object, and whose `name` is its `_tag`.
 *
 * @example Telling the library's errors apart from others
 * ```ts
 * import { MultiprocessingError, PoolClosed } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * const error = new PoolClosed({ message: "closed" });
 * assert.ok(error instanceof MultiprocessingError);
 * assert.equal(error.name, "PoolClosed");
 * ```
 */
export abstract class MultiprocessingError extends Error {
  /** Tells the error apart on the Effect face (`Effect.catchTag(tag, ...)`). */
  abstract readonly _tag: string;

  /** Makes the error from its fields: `message`, an optional `cause`, and the rest. */
  constructor(fields: { readonly message: string; readonly cause?: unknown }) {
    super(fields.message, "cause" in fields ? { cause: fields.cause } : undefined);
    const { message: _message, cause: _cause, ...rest } = fields;
    Object.assign(this, rest);
  }

  /** The tag, so printed errors read `TaskError: ...`. */
  override get name(): string {
    return this._tag;
  }
}

/** The fields of `TaskError`. */
export interface TaskErrorFields {
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
}

/**
 * The task itself threw. Keeps the remote error's name, message, stack and cause; when
 * the task threw something that is not an `Error`, `value` holds it.
 *
 * When the task's error is of a built-in class (`RangeError`, `TypeError`,
 * `AggregateError`, `DOMException`, `Deno.errors.*`...) or a registered one
 * (`registerError`, or the `errors` option of a pool or process), the rejection is that
 * error itself, rebuilt with its fields, cause chain and remote stack, and it still
 * counts as a `TaskError`: `instanceof TaskError` is true, it has `remoteName`,
 * `isError` and `remoteStack`, and its `_tag` is `"TaskError"` unless its class has its
 * own `_tag` (then `Effect.catchTag` takes that one).
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
export class TaskError extends MultiprocessingError {
  /** Tells the error apart on the Effect face. */
  readonly _tag = "TaskError" as const;

  /** Makes the error from its fields. */
  constructor(fields: TaskErrorFields) {
    super(fields);
  }

  /**
   * A task's error rebuilt as its own class counts as a `TaskError` too
   * (`countAsTaskError`). Only `instanceof` asks this: a check by prototype
   * (`TaskError.prototype.isPrototypeOf`) does not.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return (typeof value === "object" && value !== null && rebuiltTaskErrors.has(value)) ||
      Function.prototype[Symbol.hasInstance].call(this, value);
  }
}
/** The fields `TaskError` carries, beside `message` and `cause`. */
export interface TaskError extends Readonly<Omit<TaskErrorFields, "message" | "cause">> {}

/** The fields of `SerializationError`. */
export interface SerializationErrorFields {
  /** What went wrong, and what to do about it. */
  readonly message: string;
  /** The error underneath, when there is one. */
  readonly cause?: unknown;
}

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
export class SerializationError extends MultiprocessingError {
  /** Tells the error apart on the Effect face. */
  readonly _tag = "SerializationError" as const;

  /** Makes the error from its fields. */
  constructor(fields: SerializationErrorFields) {
    super(fields);
  }
}
/** The fields `SerializationError` carries, beside `message` and `cause`. */
export interface SerializationError
  extends Readonly<Omit<SerializationErrorFields, "message" | "cause">> {}

/** The fields of `TaskNotFound`. */
export interface TaskNotFoundFields {
  /** What went wrong, and what to do about it. */
  readonly message: string;
  /** The function's name. */
  readonly task: string;
  /** The error underneath, when there is one. */
  readonly cause?: unknown;
}

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
export class TaskNotFound extends MultiprocessingError {
  /** Tells the error apart on the Effect face. */
  readonly _tag = "TaskNotFound" as const;

  /** Makes the error from its fields. */
  constructor(fields: TaskNotFoundFields) {
    super(fields);
  }
}
/** The fields `TaskNotFound` carries, beside `message` and `cause`. */
export interface TaskNotFound extends Readonly<Omit<TaskNotFoundFields, "message" | "cause">> {}

/** The fields of `WorkerCrashed`. */
export interface WorkerCrashedFields {
  /** What went wrong, and what to do about it. */
  readonly message: string;
  /** Name of the worker that died. */
  readonly worker: string;
  /** The code it exited with, or `null` when it died of an error. */
  readonly exitCode: number | null;
  /** The error underneath, when there is one. */
  readonly cause?: unknown;
}

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
export class WorkerCrashed extends MultiprocessingError {
  /** Tells the error apart on the Effect face. */
  readonly _tag = "WorkerCrashed" as const;

  /** Makes the error from its fields. */
  constructor(fields: WorkerCrashedFields) {
    super(fields);
  }
}
/** The fields `WorkerCrashed` carries, beside `message` and `cause`. */
export interface WorkerCrashed extends Readonly<Omit<WorkerCrashedFields, "message" | "cause">> {}

/** The fields of `TaskTimeout`. */
export interface TaskTimeoutFields {
  /** What went wrong, and what to do about it. */
  readonly message: string;
  /** The timeout that passed, in milliseconds. */
  readonly timeout: number;
}

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
export class TaskTimeout extends MultiprocessingError {
  /** Tells the error apart on the Effect face. */
  readonly _tag = "TaskTimeout" as const;

  /** Makes the error from its fields. */
  constructor(fields: TaskTimeoutFields) {
    super(fields);
  }
}
/** The fields `TaskTimeout` carries, beside `message` and `cause`. */
export interface TaskTimeout extends Readonly<Omit<TaskTimeoutFields, "message" | "cause">> {}

/** The fields of `PoolClosed`. */
export interface PoolClosedFields {
  /** What went wrong, and what to do about it. */
  readonly message: string;
}

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
export class PoolClosed extends MultiprocessingError {
  /** Tells the error apart on the Effect face. */
  readonly _tag = "PoolClosed" as const;

  /** Makes the error from its fields. */
  constructor(fields: PoolClosedFields) {
    super(fields);
  }
}
/** The fields `PoolClosed` carries, beside `message` and `cause`. */
export interface PoolClosed extends Readonly<Omit<PoolClosedFields, "message" | "cause">> {}

/** The fields of `WaitTimeout`. */
export interface WaitTimeoutFields {
  /** What went wrong, and what to do about it. */
  readonly message: string;
  /** How long the caller waited, in milliseconds. */
  readonly timeout: number;
}

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
export class WaitTimeout extends MultiprocessingError {
  /** Tells the error apart on the Effect face. */
  readonly _tag = "WaitTimeout" as const;

  /** Makes the error from its fields. */
  constructor(fields: WaitTimeoutFields) {
    super(fields);
  }
}
/** The fields `WaitTimeout` carries, beside `message` and `cause`. */
export interface WaitTimeout extends Readonly<Omit<WaitTimeoutFields, "message" | "cause">> {}

/** The fields of `TaskCancelled`. */
export interface TaskCancelledFields {
  /** What went wrong, and what to do about it. */
  readonly message: string;
}

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
export class TaskCancelled extends MultiprocessingError {
  /** Tells the error apart on the Effect face. */
  readonly _tag = "TaskCancelled" as const;

  /** Makes the error from its fields. */
  constructor(fields: TaskCancelledFields) {
    super(fields);
  }
}
/** The fields `TaskCancelled` carries, beside `message` and `cause`. */
export interface TaskCancelled extends Readonly<Omit<TaskCancelledFields, "message" | "cause">> {}

/**
 * What a call that runs tasks can fail with: `map`, `starmap`, `apply` and the lazy
 * maps. A task's own error is a `TaskError` (or its own class, which also counts as
 * one); `TaskTimeout` only with a `timeout`; `PoolClosed` once the pool stops taking work.
 */
export type CallError =
  | TaskError
  | SerializationError
  | TaskNotFound
  | WorkerCrashed
  | TaskTimeout
  | PoolClosed;

/**
 * What a settled call (`mapSettled`, `starmapSettled`) can fail with as a whole: every
 * item's own failure is in its outcomes. `TaskError` and `WorkerCrashed` only when the
 * pool can no longer start workers (their initializer keeps failing).
 */
export type SettledCallError = TaskNotFound | PoolClosed | TaskError | WorkerCrashed;

/** What opening a pool can fail with: its initializer threw, could not be found, or its worker died. */
export type OpenError = TaskError | TaskNotFound | WorkerCrashed | PoolClosed;

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

/**
 * Errors of a task's own class that count as `TaskError`. A set rather than a prototype:
 * a rebuilt `RangeError` must keep `RangeError.prototype`, and a prototype chain cannot
 * also hold `TaskError.prototype` without changing a built-in's or the user's class.
 */
const rebuiltTaskErrors = new WeakSet<object>();

/**
 * Makes `error`, a task's error rebuilt as its own class (`errors_wire.ts`), count as a
 * `TaskError`: `error instanceof TaskError` is true from now on. Internal: not exported
 * by the entries.
 *
 * @param error The rebuilt error.
 *
 * @example
 * ```ts
 * import { countAsTaskError, TaskError } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * const error = new RangeError("too big");
 * countAsTaskError(error);
 * assert.ok(error instanceof TaskError);
 * assert.ok(error instanceof RangeError);
 * ```
 */
export function countAsTaskError(error: Error): void {
  rebuiltTaskErrors.add(error);
}
