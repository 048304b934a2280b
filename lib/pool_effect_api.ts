/**
 * What a pool is on the Effect face: the `EffectPool` service (`Pool.make`,
 * `Pool.layer`) and its options. Each method names exactly the errors it can fail with
 * (see `CallError`, `SettledCallError`); interrupting a call cancels its chunks.
 *
 * @module
 */
import type * as Effect from "effect/Effect";
import type * as Stream from "effect/Stream";
import type { AsyncResult, AsyncResultCallbacks } from "./async_result.ts";
import type { PoolStats } from "./engine.ts";
import type { TaskFailure } from "./effect_task.ts";
import type { CallError, SettledCallError, WaitTimeout } from "./errors.ts";
import type { Settled, SettledAt } from "./jobs.ts";
import type { MapZipOptions, ZipInputs } from "./map_zip.ts";
import type { FaultOptions } from "./pool_options.ts";
import type { ArgOf, ResultOf, Sendable, SendableArgs, TaskFunction } from "./types.ts";

/**
 * Options of the Effect face's map-like calls (cancellation is interruption).
 *
 * @example
 * ```ts
 * import { Effect } from "effect";
 * import { inline, Pool } from "./effect.ts";
 * import assert from "node:assert/strict";
 *
 * const square = inline((x: number) => x * x);
 * const program = Effect.gen(function* () {
 *   const pool = yield* Pool.make({ processes: 1 });
 *   return yield* pool.map(square, [1, 2, 3], { chunksize: 2, timeout: 10_000 });
 * });
 * assert.deepEqual(await Effect.runPromise(Effect.scoped(program)), [1, 4, 9]);
 * ```
 */
export interface EffectMapOptions extends FaultOptions {
  /** Items per message to a worker; see `Pool.map`. */
  readonly chunksize?: number;
}

/**
 * Options of the Effect face's lazy maps (`imap` and its forms), as Streams.
 *
 * @example Every outcome, with its index
 * ```ts
 * import { Effect, Stream } from "effect";
 * import { inline, Pool } from "./effect.ts";
 * import assert from "node:assert/strict";
 *
 * const invert = inline((x: number) => {
 *   if (x === 0) throw new RangeError("zero");
 *   return 1 / x;
 * });
 * const program = Effect.gen(function* () {
 *   const pool = yield* Pool.make({ processes: 1 });
 *   const outcomes = pool.imap(invert, [1, 0, 2], { settled: true, chunksize: 2 });
 *   return Array.from(yield* Stream.runCollect(outcomes));
 * });
 * const outcomes = await Effect.runPromise(Effect.scoped(program));
 * assert.deepEqual(outcomes.map((o) => `${o.index}: ${o.status}`), [
 *   "0: fulfilled",
 *   "1: rejected",
 *   "2: fulfilled",
 * ]);
 * ```
 */
export interface EffectLazyMapOptions extends EffectMapOptions {
  /**
   * Emit every item's outcome (a `SettledAt`, with the item's index) and go on past
   * failures, as `mapSettled` does; the Stream then fails only as a whole
   * (`SettledCallError`). @default false
   */
  readonly settled?: boolean;
}

/**
 * A pool on the Effect face; see `Pool.make`. Same names and meaning as the Promise
 * face's methods; each returns an Effect (or a Stream) whose error type names exactly
 * what that call can fail with.
 *
 * @example Lazy maps as Streams
 * ```ts
 * import { Effect, Stream } from "effect";
 * import { type EffectPool, inline, Pool } from "./effect.ts";
 * import assert from "node:assert/strict";
 *
 * const add = inline((a: number, b: number) => a + b);
 *
 * const sums = (pool: EffectPool) =>
 *   Stream.runCollect(pool.istarmap(add, [[1, 2], [3, 4], [5, 6]]).pipe(Stream.take(2)));
 * const program = Effect.gen(function* () {
 *   return Array.from(yield* sums(yield* Pool.make({ processes: 2 })));
 * });
 * assert.deepEqual(await Effect.runPromise(Effect.scoped(program)), [3, 7]);
 * ```
 */
export interface EffectPool {
  /** Number of worker processes. */
  readonly processes: number;
  /** Live counters. */
  readonly stats: Effect.Effect<PoolStats>;
  /**
   * Waits until a call made now would join the queue at once (see `maxQueue`; at once
   * without it): paces a loop of `applyAsync` or `submit`, whose handles hold their task
   * back while the queue is full. Interruptible; fails once the pool takes no work.
   */
  readonly room: Effect.Effect<void, SettledCallError>;
  /** Results of `fn` over `input`, in input order; fails fast. */
  map<F extends TaskFunction>(
    fn: F,
    input: Iterable<Sendable<ArgOf<F>>>,
    options?: EffectMapOptions,
  ): Effect.Effect<ResultOf<F>[], CallError | TaskFailure<F>>;
  /** As `map`, spreading each item as arguments. */
  starmap<F extends TaskFunction>(
    fn: F,
    input: Iterable<SendableArgs<Parameters<F>>>,
    options?: EffectMapOptions,
  ): Effect.Effect<ResultOf<F>[], CallError | TaskFailure<F>>;
  /** Every item's outcome, never failing on a task's error. */
  mapSettled<F extends TaskFunction>(
    fn: F,
    input: Iterable<Sendable<ArgOf<F>>>,
    options?: EffectMapOptions,
  ): Effect.Effect<Settled<ResultOf<F>>[], SettledCallError>;
  /** As `starmap`, with every item's outcome. */
  starmapSettled<F extends TaskFunction>(
    fn: F,
    input: Iterable<SendableArgs<Parameters<F>>>,
    options?: EffectMapOptions,
  ): Effect.Effect<Settled<ResultOf<F>>[], SettledCallError>;
  /** `fn(...args)` in a worker. */
  apply<F extends TaskFunction>(
    fn: F,
    args: SendableArgs<Parameters<F>>,
    options?: FaultOptions,
  ): Effect.Effect<ResultOf<F>, CallError | TaskFailure<F>>;
  /**
   * Submits `fn(...args)` and gives a handle at once (await it with
   * `AsyncResultEffect.get`): the call's errors are the handle's (with an Effect-native
   * task's typed failure, `TaskFailure<F>`), so this Effect never fails.
   */
  applyAsync<F extends TaskFunction>(
    fn: F,
    args: SendableArgs<Parameters<F>>,
    options?: AsyncResultCallbacks<ResultOf<F>, CallError | TaskFailure<F>> & FaultOptions,
  ): Effect.Effect<AsyncResult<ResultOf<F>, CallError | TaskFailure<F>>>;
  /** Python's `executor.submit(fn, *args)`: a handle at once (see `Pool.submit`). */
  submit<F extends TaskFunction>(
    fn: F,
    ...args: SendableArgs<Parameters<F>>
  ): Effect.Effect<AsyncResult<ResultOf<F>, CallError | TaskFailure<F>>>;
  /** Every outcome of `fn` over `input`, lazily, in input order, as a Stream. */
  imap<F extends TaskFunction>(
    fn: F,
    input: Iterable<Sendable<ArgOf<F>>> | AsyncIterable<Sendable<ArgOf<F>>>,
    options: EffectLazyMapOptions & { readonly settled: true },
  ): Stream.Stream<SettledAt<ResultOf<F>>, SettledCallError>;
  /**
   * Lazy, ordered results over any (async) iterable, as a Stream: a bounded number of
   * chunks in flight; ending or interrupting the Stream cancels them.
   */
  imap<F extends TaskFunction>(
    fn: F,
    input: Iterable<Sendable<ArgOf<F>>> | AsyncIterable<Sendable<ArgOf<F>>>,
    options?: EffectLazyMapOptions,
  ): Stream.Stream<ResultOf<F>, CallError | TaskFailure<F>>;
  /** As `imap` with `settled: true`, in completion order. */
  imapUnordered<F extends TaskFunction>(
    fn: F,
    input: Iterable<Sendable<ArgOf<F>>> | AsyncIterable<Sendable<ArgOf<F>>>,
    options: EffectLazyMapOptions & { readonly settled: true },
  ): Stream.Stream<SettledAt<ResultOf<F>>, SettledCallError>;
  /** As `imap`, in completion order. */
  imapUnordered<F extends TaskFunction>(
    fn: F,
    input: Iterable<Sendable<ArgOf<F>>> | AsyncIterable<Sendable<ArgOf<F>>>,
    options?: EffectLazyMapOptions,
  ): Stream.Stream<ResultOf<F>, CallError | TaskFailure<F>>;
  /** As `imap` with `settled: true`, each item being an argument list. */
  istarmap<F extends TaskFunction>(
    fn: F,
    input: Iterable<SendableArgs<Parameters<F>>> | AsyncIterable<SendableArgs<Parameters<F>>>,
    options: EffectLazyMapOptions & { readonly settled: true },
  ): Stream.Stream<SettledAt<ResultOf<F>>, SettledCallError>;
  /** As `imap`, each item being an argument list (see `Pool.istarmap`). */
  istarmap<F extends TaskFunction>(
    fn: F,
    input: Iterable<SendableArgs<Parameters<F>>> | AsyncIterable<SendableArgs<Parameters<F>>>,
    options?: EffectLazyMapOptions,
  ): Stream.Stream<ResultOf<F>, CallError | TaskFailure<F>>;
  /** As `istarmap` with `settled: true`, in completion order. */
  istarmapUnordered<F extends TaskFunction>(
    fn: F,
    input: Iterable<SendableArgs<Parameters<F>>> | AsyncIterable<SendableArgs<Parameters<F>>>,
    options: EffectLazyMapOptions & { readonly settled: true },
  ): Stream.Stream<SettledAt<ResultOf<F>>, SettledCallError>;
  /** As `istarmap`, in completion order. */
  istarmapUnordered<F extends TaskFunction>(
    fn: F,
    input: Iterable<SendableArgs<Parameters<F>>> | AsyncIterable<SendableArgs<Parameters<F>>>,
    options?: EffectLazyMapOptions,
  ): Stream.Stream<ResultOf<F>, CallError | TaskFailure<F>>;
  /**
   * Python's `executor.map(fn, *iterables)` as a Stream, in input order (see
   * `Pool.mapZip`); a trailing options object gives `chunksize` and `timeout`.
   */
  mapZip<F extends TaskFunction>(
    fn: F,
    ...inputs:
      | ZipInputs<Parameters<F>>
      | [...ZipInputs<Required<Parameters<F>>>, Omit<MapZipOptions, "signal">]
  ): Stream.Stream<ResultOf<F>, CallError | TaskFailure<F> | WaitTimeout>;
  /** Takes no new work. */
  readonly close: Effect.Effect<void>;
  /**
   * Waits for the workers to exit after `close` (once work is done) or `terminate`; dies
   * with an `Error` while the pool is still open, as Python's `join()` raises.
   */
  readonly join: Effect.Effect<void>;
  /** Stops every worker now. */
  readonly terminate: Effect.Effect<void>;
}
