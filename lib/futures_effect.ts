/**
 * `concurrent.futures` on the Effect face: `wait` as an Effect (interrupting it stops
 * the wait, not the tasks) and `asCompleted` as a Stream of handles in completion
 * order, failing with `WaitTimeout` when its timeout passes. The handles come from
 * `pool.submit` or `pool.applyAsync` on either face; `AsyncResultEffect.get(handle)`
 * awaits one.
 *
 * @example The first of two to end
 * ```ts
 * import { Effect } from "effect";
 * import { FuturesEffect, inline, Pool } from "./effect.ts";
 * import assert from "node:assert/strict";
 *
 * const square = inline((x: number) => x * x);
 *
 * const program = Effect.gen(function* () {
 *   const pool = yield* Pool.make({ processes: 2 });
 *   const a = yield* pool.submit(square, 3);
 *   const b = yield* pool.submit(square, 4);
 *   const { done } = yield* FuturesEffect.wait([a, b], { returnWhen: "ALL_COMPLETED" });
 *   return done.size;
 * });
 * assert.equal(await Effect.runPromise(Effect.scoped(program)), 2);
 * ```
 *
 * @module
 */
import * as Effect from "effect/Effect";
import * as Stream from "effect/Stream";
import type { AsyncResult } from "./async_result.ts";
import { WaitTimeout } from "./errors.ts";
import {
  asCompleted as asCompletedPromise,
  type Completed,
  type DoneAndNotDone,
  type ReturnWhen,
  wait as waitPromise,
} from "./futures.ts";

/** Options of `FuturesEffect.wait` (cancellation is interruption). */
export interface EffectFuturesWaitOptions {
  /** When to return. @default {"ALL_COMPLETED"} */
  readonly returnWhen?: ReturnWhen;
  /** Milliseconds to wait at most; then the sets as they are. @default Infinity */
  readonly timeout?: number;
}

/** Options of `FuturesEffect.asCompleted`. */
export interface EffectAsCompletedOptions {
  /** Milliseconds from the start after which the Stream fails with `WaitTimeout`. */
  readonly timeout?: number;
}

/**
 * Waits until handles end (see `wait`); never fails. Interrupting it stops the wait;
 * the tasks keep running (`cancel()` them to stop them).
 *
 * @example
 * ```ts
 * import { Effect } from "effect";
 * import { FuturesEffect, inline, Pool } from "./effect.ts";
 * import assert from "node:assert/strict";
 *
 * const square = inline((x: number) => x * x);
 *
 * await using pool = await Pool.open({ processes: 1 });
 * const handles = [pool.submit(square, 2)];
 * const { done } = await Effect.runPromise(FuturesEffect.wait(handles));
 * assert.equal(done.size, 1);
 * ```
 */
function wait<H extends AsyncResult<unknown>>(
  handles: Iterable<H>,
  options: EffectFuturesWaitOptions = {},
): Effect.Effect<DoneAndNotDone<H>> {
  return Effect.callback<DoneAndNotDone<H>>((resume, signal) => {
    waitPromise(handles, { ...options, signal }).then(
      (sets) => resume(Effect.succeed(sets)),
      (error) => {
        if (!signal.aborted) resume(Effect.die(error));
      },
    );
  });
}

/**
 * The handles as they end, as a Stream of `{ handle, index }` (see `asCompleted`);
 * fails with `WaitTimeout` when `timeout` passes with handles unfinished.
 *
 * @example
 * ```ts
 * import { Effect, Stream } from "effect";
 * import { AsyncResultEffect, FuturesEffect, inline, Pool } from "./effect.ts";
 * import assert from "node:assert/strict";
 *
 * const square = inline((x: number) => x * x);
 *
 * await using pool = await Pool.open({ processes: 2 });
 * const handles = [1, 2, 3].map((x) => pool.submit(square, x));
 * const values = await Effect.runPromise(
 *   FuturesEffect.asCompleted(handles).pipe(
 *     Stream.mapEffect(({ handle }) => AsyncResultEffect.get(handle)),
 *     Stream.runCollect,
 *   ),
 * );
 * assert.deepEqual([...values].sort(), [1, 4, 9]);
 * ```
 */
function asCompleted<H extends AsyncResult<unknown>>(
  handles: Iterable<H>,
  options: EffectAsCompletedOptions = {},
): Stream.Stream<Completed<H>, WaitTimeout> {
  return Stream.suspend(() =>
    Stream.fromAsyncIterable(
      asCompletedPromise(handles, options),
      (error) => error,
    ).pipe(
      Stream.catch((error) =>
        error instanceof WaitTimeout ? Stream.fail(error) : Stream.die(error)
      ),
    )
  );
}

/**
 * `concurrent.futures` on the Effect face: `wait` and `asCompleted` over handles from
 * `pool.submit` or `pool.applyAsync`.
 *
 * @example
 * ```ts
 * import { FuturesEffect } from "./effect.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(typeof FuturesEffect.wait, "function");
 * ```
 */
export const FuturesEffect: FuturesEffectApi = { wait, asCompleted } as const;

/** The functions of `FuturesEffect`. */
export interface FuturesEffectApi {
  /** Waits until handles end (Python's `concurrent.futures.wait`); never fails. */
  readonly wait: <H extends AsyncResult<unknown>>(
    handles: Iterable<H>,
    options?: EffectFuturesWaitOptions,
  ) => Effect.Effect<DoneAndNotDone<H>>;
  /** The handles as they end (Python's `as_completed`), as a Stream. */
  readonly asCompleted: <H extends AsyncResult<unknown>>(
    handles: Iterable<H>,
    options?: EffectAsCompletedOptions,
  ) => Stream.Stream<Completed<H>, WaitTimeout>;
}
