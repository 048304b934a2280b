/**
 * `AsyncResult` on the Effect face: `AsyncResultEffect.get(handle)` awaits a handle from
 * `pool.submit`, `pool.applyAsync` or `pool.mapAsync` (on either face) as an Effect
 * whose error channel is the task's own error. The handle is the Promise face's object;
 * these functions read it data-first, as Effect's `Queue.take(queue)` does.
 *
 * Interrupting a wait stops the waiting, not the task: `AsyncResultEffect.cancel` (or
 * `handle.cancel()`) stops the task.
 *
 * @example Awaiting a handle
 * ```ts
 * import { Effect } from "effect";
 * import { AsyncResultEffect, inline, Pool } from "./effect.ts";
 * import assert from "node:assert/strict";
 *
 * const square = inline((x: number) => x * x);
 *
 * const program = Effect.gen(function* () {
 *   const pool = yield* Pool.make({ processes: 1 });
 *   const handle = yield* pool.submit(square, 12);
 *   return yield* AsyncResultEffect.get(handle);
 * });
 * assert.equal(await Effect.runPromise(Effect.scoped(program)), 144);
 * ```
 *
 * @module
 */
import * as Effect from "effect/Effect";
import { type AsyncResult, observe, outcomeOf } from "./async_result.ts";
import { type TaskCancelled, WaitTimeout } from "./errors.ts";
import { failOrDie } from "./pool_effect_errors.ts";

/** Options of `AsyncResultEffect.get` and `AsyncResultEffect.wait`. */
export interface AsyncResultWaitOptions {
  /** Milliseconds to wait at most (the task keeps running after). @default Infinity */
  readonly timeout?: number;
}

/**
 * The outcome of `handle`, once settled, as an Effect that never waits; an Effect-native
 * task's defect dies, as it does on the pool's own calls.
 */
function settled<T, E>(handle: AsyncResult<T, E>): Effect.Effect<T, E | TaskCancelled> | null {
  const outcome = outcomeOf(handle);
  if (outcome === undefined) return null;
  return outcome.ok ? Effect.succeed(outcome.value) : failOrDie(outcome.error);
}

/**
 * Suspends until `handle` settles, then continues with `then` (read from the handle);
 * after `timeout` ms it continues with `expired` instead. Interruption takes the
 * callback and the timer back: the task itself is untouched.
 */
function whenSettled<T, E, A, X>(
  handle: AsyncResult<T, E>,
  timeout: number | undefined,
  then: () => Effect.Effect<A, X>,
  expired: () => Effect.Effect<A, X>,
): Effect.Effect<A, X> {
  return Effect.callback<A, X>((resume) => {
    if (handle.done()) return resume(then());
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stop = observe(handle as AsyncResult<unknown, unknown>, () => {
      clearTimeout(timer);
      resume(then());
    });
    if (timeout !== undefined) {
      timer = setTimeout(() => {
        stop();
        resume(expired());
      }, timeout);
    }
    return Effect.sync(() => {
      stop();
      clearTimeout(timer);
    });
  });
}

/**
 * Why the arguments of `method` are misuse, or null: misuse is a defect on the Effect
 * face (`Effect.die`), as for the pool's calls.
 */
function misuse(method: string, handle: unknown, options: AsyncResultWaitOptions): Error | null {
  if (typeof (handle as AsyncResult<unknown>)?.done !== "function") {
    return new TypeError(
      `Cannot call AsyncResultEffect.${method}() as 'handle' must be an AsyncResult (from ` +
        `submit, applyAsync, mapAsync or starmapAsync): received ${
          handle === null ? "null" : typeof handle
        }`,
    );
  }
  const timeout = options?.timeout;
  if (
    timeout !== undefined &&
    (typeof timeout !== "number" || Number.isNaN(timeout) || timeout < 0)
  ) {
    return new RangeError(
      `Cannot call AsyncResultEffect.${method}() as 'timeout' must be a non-negative number ` +
        `of milliseconds: current value is ${String(timeout)}`,
    );
  }
  return null;
}

function get<T, E>(
  handle: AsyncResult<T, E>,
  options: AsyncResultWaitOptions = {},
): Effect.Effect<T, E | TaskCancelled | WaitTimeout> {
  const refused = misuse("get", handle, options);
  if (refused !== null) return Effect.die(refused);
  const { timeout } = options;
  return Effect.suspend(() =>
    settled(handle) ?? whenSettled<T, E, T, E | TaskCancelled | WaitTimeout>(
      handle,
      timeout,
      () => settled(handle)!,
      () =>
        Effect.fail(
          new WaitTimeout({
            message: `The result was not ready within ${timeout} ms; the task keeps running`,
            timeout: timeout!,
          }),
        ),
    )
  );
}

function wait<T, E>(
  handle: AsyncResult<T, E>,
  options: AsyncResultWaitOptions = {},
): Effect.Effect<boolean> {
  const refused = misuse("wait", handle, options);
  if (refused !== null) return Effect.die(refused);
  return Effect.suspend(() =>
    handle.done() ? Effect.succeed(true) : whenSettled(
      handle,
      options.timeout,
      () => Effect.succeed(true),
      () => Effect.succeed(false),
    )
  );
}

function exception<T, E>(
  handle: AsyncResult<T, E>,
  options: AsyncResultWaitOptions = {},
): Effect.Effect<E | undefined, TaskCancelled | WaitTimeout> {
  return get(handle, options).pipe(
    Effect.as(undefined),
    Effect.catch((error) =>
      handle.cancelled() || error instanceof WaitTimeout
        ? Effect.fail(error as TaskCancelled | WaitTimeout)
        : Effect.succeed(error as E)
    ),
  );
}

function cancel<T, E>(handle: AsyncResult<T, E>): Effect.Effect<boolean> {
  const refused = misuse("cancel", handle, {});
  if (refused !== null) return Effect.die(refused);
  return Effect.sync(() => handle.cancel());
}

/**
 * The functions of `AsyncResultEffect`: each takes the handle first.
 */
export interface AsyncResultEffectApi {
  /**
   * The handle's value; fails with the task's error, with `TaskCancelled` once it is
   * cancelled, or with `WaitTimeout` when `timeout` ms pass first (only with a timeout).
   * Dies with an Effect-native task's defect (`Effect.die` in the worker), as the pool's
   * calls do. Interrupting it stops the waiting; the task keeps running. A bad `timeout`
   * is a defect.
   */
  readonly get: {
    <T, E>(handle: AsyncResult<T, E>): Effect.Effect<T, E | TaskCancelled>;
    <T, E>(
      handle: AsyncResult<T, E>,
      options: AsyncResultWaitOptions,
    ): Effect.Effect<T, E | TaskCancelled | WaitTimeout>;
  };
  /** Waits for the handle to settle, for at most `timeout` ms: whether it did. Never fails. */
  readonly wait: <T, E>(
    handle: AsyncResult<T, E>,
    options?: AsyncResultWaitOptions,
  ) => Effect.Effect<boolean>;
  /**
   * The task's error once it ended, or `undefined` when it succeeded (Python's
   * `Future.exception()`); fails with `TaskCancelled` when it was cancelled, or with
   * `WaitTimeout` when `timeout` ms pass first. An Effect-native task's defect is no
   * typed error: it dies, as in `get`.
   */
  readonly exception: <T, E>(
    handle: AsyncResult<T, E>,
    options?: AsyncResultWaitOptions,
  ) => Effect.Effect<E | undefined, TaskCancelled | WaitTimeout>;
  /** `handle.cancel()` as an Effect: whether the handle is cancelled (see `AsyncResult.cancel`). */
  readonly cancel: <T, E>(handle: AsyncResult<T, E>) => Effect.Effect<boolean>;
}

/**
 * `AsyncResult` on the Effect face: `get`, `wait`, `exception` and `cancel`, each taking
 * the handle first. Interrupting `get`, `wait` or `exception` stops the waiting, not the
 * task.
 *
 * @example A failed task's error, typed
 * ```ts
 * import { Effect } from "effect";
 * import { AsyncResultEffect, inline, Pool, TaskError } from "./effect.ts";
 * import assert from "node:assert/strict";
 *
 * const fail = inline((message: string) => {
 *   throw new Error(message);
 * });
 *
 * const program = Effect.gen(function* () {
 *   const pool = yield* Pool.make({ processes: 1 });
 *   const handle = yield* pool.applyAsync(fail, ["no"]);
 *   return yield* Effect.flip(AsyncResultEffect.get(handle));
 * });
 * const error = await Effect.runPromise(Effect.scoped(program));
 * assert.ok(error instanceof TaskError);
 * ```
 */
export const AsyncResultEffect: AsyncResultEffectApi = { get, wait, exception, cancel };
