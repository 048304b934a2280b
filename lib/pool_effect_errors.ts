/**
 * What each call of the Effect face's pool can fail with, as lists of classes: one list
 * per error type of `errors.ts` (`CallError`, `SettledCallError`, `OpenError`), used at
 * run time to keep the error channel to exactly that type (anything else is a defect).
 * Each list `satisfies` its type (no class too many); `tests/effect_errors_test.ts`
 * proves none is missing. And `failOrDie`, the one place where a task's error enters an
 * Effect: an Effect-native task's defect dies, anything else fails.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import {
  type CallError,
  type OpenError,
  PoolClosed,
  SerializationError,
  type SettledCallError,
  TaskError,
  TaskNotFound,
  TaskTimeout,
  WaitTimeout,
  WorkerCrashed,
} from "./errors.ts";
import { isDefect } from "./errors_wire.ts";

/** A class whose instances are of type `E`. */
export type ErrorClass<E> = abstract new (...args: never[]) => E;

/** `map`, `starmap`, `apply` and the lazy maps: see `CallError`. */
export const CALL_ERRORS = [
  TaskError,
  SerializationError,
  TaskNotFound,
  WorkerCrashed,
  TaskTimeout,
  PoolClosed,
] as const satisfies readonly ErrorClass<CallError>[];

/** The settled calls, as a whole (each item's failure is in its outcome): `SettledCallError`. */
export const SETTLED_CALL_ERRORS = [
  TaskNotFound,
  PoolClosed,
  TaskError,
  WorkerCrashed,
] as const satisfies readonly ErrorClass<SettledCallError>[];

/** `mapZip`: a call's errors, and `WaitTimeout` when its deadline passes. */
export const ZIP_ERRORS = [
  ...CALL_ERRORS,
  WaitTimeout,
] as const satisfies readonly ErrorClass<CallError | WaitTimeout>[];

/** `Pool.make` and `Pool.layer`: see `OpenError`. */
export const OPEN_ERRORS = [
  TaskError,
  TaskNotFound,
  WorkerCrashed,
  PoolClosed,
] as const satisfies readonly ErrorClass<OpenError>[];

/**
 * `error` as the failure of a call that can fail with `classes`' errors: a typed
 * failure when it is one of them, else a defect (misuse, or a broken input iterable).
 *
 * @example
 * ```ts
 * import { Cause, Effect, Exit } from "effect";
 * import { PoolClosed } from "./errors.ts";
 * import { failure, SETTLED_CALL_ERRORS } from "./pool_effect_errors.ts";
 * import assert from "node:assert/strict";
 *
 * const closed = new PoolClosed({ message: "closed" });
 * assert.equal(await Effect.runPromise(Effect.flip(failure(SETTLED_CALL_ERRORS, closed))), closed);
 * const exit = await Effect.runPromiseExit(failure(SETTLED_CALL_ERRORS, new TypeError("misuse")));
 * assert.ok(Exit.isFailure(exit) && Cause.hasDies(exit.cause));
 * ```
 */
export function failure<const C extends readonly ErrorClass<unknown>[]>(
  classes: C,
  error: unknown,
): Effect.Effect<never, ErrorOf<C>> {
  return classes.some((type) => error instanceof type)
    ? failOrDie(error as ErrorOf<C>)
    : Effect.die(error);
}

/**
 * A task's error as the end of an Effect: a defect when it is an Effect-native task's
 * defect (`Effect.die`, or a throw inside its Effect: see `isDefect`), so it dies here as
 * it did in the worker; else a typed failure. Every Effect-face path that hands on a
 * task's error goes through it (the pool's calls, `AsyncResultEffect.get`,
 * `ProcessEffect.join`).
 *
 * @typeParam E The error channel's type.
 * @param error The error a call, a handle or a process ended with.
 * @returns An Effect that dies with a defect and fails with anything else.
 *
 * @example
 * ```ts
 * import { Cause, Effect, Exit } from "effect";
 * import { fromWire } from "./errors_wire.ts";
 * import { failOrDie } from "./pool_effect_errors.ts";
 * import { toWireError } from "./shared/wire_error.ts";
 * import assert from "node:assert/strict";
 *
 * const wire = toWireError(new Error("broken"));
 * const thrown = await Effect.runPromiseExit(failOrDie(fromWire(wire, "task")));
 * assert.ok(Exit.isFailure(thrown) && Cause.hasFails(thrown.cause));
 * const defect = fromWire({ ...wire, effect: "defect" }, "task");
 * const died = await Effect.runPromiseExit(failOrDie(defect));
 * assert.ok(Exit.isFailure(died) && Cause.hasDies(died.cause));
 * ```
 */
export function failOrDie<E>(error: E): Effect.Effect<never, E> {
  return isDefect(error) ? Effect.die(error) : Effect.fail(error);
}

/** The errors whose classes `C` lists. */
export type ErrorOf<C extends readonly ErrorClass<unknown>[]> = InstanceType<C[number]>;
