/**
 * The pool on the Effect face: `Pool` with `make` and `layer`, a scoped resource whose
 * methods are Effects with typed errors; interrupting a call cancels its chunks. `imap`
 * and `imapUnordered` are Streams. Public through `@multiprocessing/deno/effect`.
 *
 * @module
 */
import type { ArgOf, ResultOf, Sendable, SendableArgs, TaskFunction } from "./types.ts";
import * as Context from "effect/Context";
import * as Effect from "effect/Effect";
import * as Layer from "effect/Layer";
import type * as Scope from "effect/Scope";
import * as Stream from "effect/Stream";
import { AsyncResult, type AsyncResultCallbacks } from "./async_result.ts";
import "./async_result_effect.ts";
import { Engine, type PoolStats } from "./engine.ts";
import {
  type CallError,
  type OpenError,
  PoolClosed,
  type PoolError,
  SerializationError,
  type SettledCallError,
  TaskCancelled,
  TaskError,
  TaskNotFound,
  TaskTimeout,
  WaitTimeout,
  WorkerCrashed,
} from "./errors.ts";
import { startFuture } from "./futures.ts";
import { mapZipCall, type MapZipOptions, type ZipInputs } from "./map_zip.ts";
import type { Settled } from "./jobs.ts";
import { callSite, trackPool } from "./live_registry.ts";
import {
  checkCallChunksize,
  checkIterable,
  imapCall,
  jobSpec,
  startApplyCall,
  type Started,
  startMapCall,
} from "./pool_calls.ts";
import { engineOptions, type FaultOptions, type PoolOptions } from "./pool_options.ts";
import { Pool as PromisePool } from "./pool.ts";

/** Options of the Effect face's map-like calls (cancellation is interruption). */
export interface EffectMapOptions extends FaultOptions {
  /** Items per message to a worker; see `Pool.map`. */
  readonly chunksize?: number;
}

/**
 * A pool on the Effect face; see `Pool.make`. Same names and meaning as the Promise
 * face's methods.
 */
export interface EffectPool {
  /** Number of worker processes. */
  readonly processes: number;
  /** Live counters. */
  readonly stats: Effect.Effect<PoolStats>;
  /** Results of `fn` over `input`, in input order; fails fast. */
  map<F extends TaskFunction>(
    fn: F,
    input: Iterable<Sendable<ArgOf<F>>>,
    options?: EffectMapOptions,
  ): Effect.Effect<ResultOf<F>[], CallError>;
  /** As `map`, spreading each item as arguments. */
  starmap<F extends TaskFunction>(
    fn: F,
    input: Iterable<SendableArgs<Parameters<F>>>,
    options?: EffectMapOptions,
  ): Effect.Effect<ResultOf<F>[], CallError>;
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
  ): Effect.Effect<ResultOf<F>, CallError>;
  /** Submits `fn(...args)` and gives a handle at once (its `effect` awaits it). */
  applyAsync<F extends TaskFunction>(
    fn: F,
    args: SendableArgs<Parameters<F>>,
    options?: AsyncResultCallbacks<ResultOf<F>> & FaultOptions,
  ): Effect.Effect<AsyncResult<ResultOf<F>>>;
  /** Lazy, ordered results over any (async) iterable, as a Stream. */
  imap<F extends TaskFunction>(
    fn: F,
    input: Iterable<Sendable<ArgOf<F>>> | AsyncIterable<Sendable<ArgOf<F>>>,
    options?: EffectMapOptions,
  ): Stream.Stream<ResultOf<F>, CallError>;
  /** As `imap`, in completion order. */
  imapUnordered<F extends TaskFunction>(
    fn: F,
    input: Iterable<Sendable<ArgOf<F>>> | AsyncIterable<Sendable<ArgOf<F>>>,
    options?: EffectMapOptions,
  ): Stream.Stream<ResultOf<F>, CallError>;
  /** Python's `executor.submit(fn, *args)`: a handle at once (see `Pool.submit`). */
  submit<F extends TaskFunction>(
    fn: F,
    ...args: SendableArgs<Parameters<F>>
  ): Effect.Effect<AsyncResult<ResultOf<F>>>;
  /**
   * Python's `executor.map(fn, *iterables)` as a Stream, in input order (see
   * `Pool.mapZip`); a trailing options object gives `chunksize` and `timeout`.
   */
  mapZip<F extends TaskFunction>(
    fn: F,
    ...inputs:
      | ZipInputs<Parameters<F>>
      | [...ZipInputs<Required<Parameters<F>>>, Omit<MapZipOptions, "signal">]
  ): Stream.Stream<ResultOf<F>, CallError | WaitTimeout>;
  /** Takes no new work. */
  readonly close: Effect.Effect<void>;
  /** Waits for the workers to exit after `close` (once work is done) or `terminate`. */
  readonly join: Effect.Effect<void>;
  /** Stops every worker now. */
  readonly terminate: Effect.Effect<void>;
}

/**
 * The service key of a pool provided by `Pool.layer`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect";
 * import { Pool, PoolService } from "./effect.ts";
 *
 * const program = Effect.gen(function* () {
 *   const pool = yield* PoolService;
 *   return pool.processes;
 * });
 * await Effect.runPromise(Effect.provide(program, Pool.layer({ processes: 1 })));
 * ```
 */
export const PoolService: Context.Service<EffectPool, EffectPool> = Context.Service<EffectPool>(
  "multiprocessing/Pool",
);

/**
 * `Pool` with its Effect face: everything the Promise face's `Pool` has (`Pool.open`),
 * plus `Pool.make` (a scoped pool whose methods are Effects) and `Pool.layer`.
 *
 * @example A scoped pool
 * ```ts
 * import { Effect } from "effect";
 * import { inline, Pool } from "./effect.ts";
 * import assert from "node:assert/strict";
 *
 * const square = inline((x: number) => x * x);
 *
 * const program = Effect.gen(function* () {
 *   const pool = yield* Pool.make({ processes: 2 });
 *   return yield* pool.map(square, [1, 2, 3]);
 * });
 * assert.deepEqual(await Effect.runPromise(Effect.scoped(program)), [1, 4, 9]);
 * ```
 */
export class Pool extends PromisePool {
  /**
   * The Effect face: opens a pool as a scoped resource; closing the scope terminates
   * every worker. Its methods return Effects with typed errors.
   *
   * @example
   * ```ts
   * import { Effect } from "effect";
   * import { inline, Pool } from "./effect.ts";
   * import assert from "node:assert/strict";
   *
   * const square = inline((x: number) => x * x);
   *
   * const program = Effect.gen(function* () {
   *   const pool = yield* Pool.make({ processes: 2 });
   *   return yield* pool.map(square, [1, 2, 3]);
   * });
   * assert.deepEqual(await Effect.runPromise(Effect.scoped(program)), [1, 4, 9]);
   * ```
   */
  static make(options: PoolOptions = {}): Effect.Effect<EffectPool, OpenError, Scope.Scope> {
    return make(options);
  }

  /**
   * The pool as a service for a whole Effect program: a `Layer` that opens it and
   * terminates it with the layer.
   *
   * @example
   * ```ts
   * import { Effect } from "effect";
   * import { inline, Pool } from "./effect.ts";
   * import assert from "node:assert/strict";
   *
   * const square = inline((x: number) => x * x);
   *
   * const program = Effect.gen(function* () {
   *   const pool = yield* Pool.Service;
   *   return yield* pool.apply(square, [9]);
   * });
   * const result = await Effect.runPromise(Effect.provide(program, Pool.layer({ processes: 1 })));
   * assert.equal(result, 81);
   * ```
   */
  static layer(options: PoolOptions = {}): Layer.Layer<EffectPool, OpenError> {
    return layer(options);
  }

  /** The service key under which `Pool.layer` provides the pool. */
  static readonly Service: typeof PoolService = PoolService;
}

/** Opens a pool in the current scope; see `Pool.make`. */
export function make(options: PoolOptions): Effect.Effect<EffectPool, OpenError, Scope.Scope> {
  let settings;
  try {
    settings = engineOptions(options);
  } catch (misuse) {
    // An initializer that cannot be sent is the pool's typed failure; bad options a defect.
    return misuse instanceof TaskNotFound ? Effect.fail(misuse) : Effect.die(misuse);
  }
  const site = callSite(); // the caller's, taken now: the Effect runs later, from elsewhere
  const open = Effect.callback<Engine, OpenError>((resume) => {
    const engine = new Engine(settings);
    trackPool(engine, settings, "Pool.make", site); // its scope closes it: no GC warning
    // Opening fails only with its initializer's error, or `PoolClosed` when terminated.
    engine.open((error) =>
      resume(error ? Effect.fail(error as OpenError) : Effect.succeed(engine))
    );
    return Effect.sync(() => engine.terminate());
  });
  return Effect.acquireRelease(open, terminated).pipe(
    Effect.map(effectPool),
  );
}

/**
 * Terminates the pool and waits until its processes are gone (at once for workers;
 * for subprocesses, until each child exited): closing the scope leaves no child.
 */
function terminated(engine: Engine): Effect.Effect<void> {
  return Effect.callback<void>((resume) => {
    engine.terminate();
    engine.whenDrained(() => resume(Effect.void));
  });
}

/** A layer providing `PoolService`; see `Pool.layer`. */
export function layer(options: PoolOptions): Layer.Layer<EffectPool, OpenError> {
  return Layer.effect(PoolService, make(options));
}

function effectPool(engine: Engine): EffectPool {
  // The engine's callbacks type their errors as any `PoolError`; what each call can
  // really fail with is narrower (`CallError`, `SettledCallError`), and `E` says which.
  const mapLike = <T, E extends PoolError>(
    method: string,
    fn: TaskFunction,
    input: Iterable<unknown>,
    options: EffectMapOptions,
    spread: boolean,
    settle: boolean,
  ): Effect.Effect<T, E> => {
    // Found now, on the caller's stack; the Effect runs later, from elsewhere.
    const spec = specOrFailure(engine, fn, spread, options, method);
    return Effect.suspend(() => {
      if (!("ref" in spec)) return spec.failure as Effect.Effect<never, E>; // every call may fail with TaskNotFound
      checkCallChunksize(method, options.chunksize);
      checkIterable(method, input, false);
      return running<T, E>(
        engine,
        (resume) =>
          startMapCall(
            engine,
            spec,
            input,
            options.chunksize,
            settle,
            (outcome) =>
              resume(
                outcome.ok ? Effect.succeed(outcome.values as T) : Effect.fail(outcome.error as E),
              ),
          ),
      );
    });
  };
  const imapLike = <T>(
    method: string,
    fn: TaskFunction,
    input: Iterable<unknown> | AsyncIterable<unknown>,
    options: EffectMapOptions,
    ordered: boolean,
  ): Stream.Stream<T, CallError> => {
    const spec = specOrFailure(engine, fn, false, options, method);
    if (!("ref" in spec)) return Stream.fromEffect(spec.failure);
    return Stream.suspend(() => {
      checkCallChunksize(method, options.chunksize);
      checkIterable(method, input, true);
      const iterator = imapCall(engine, spec, input, options.chunksize, {
        ordered,
        settled: false,
      });
      return Stream.fromAsyncIterable(iterator, (error) => error).pipe(
        Stream.catch((error) => isPoolError(error) ? Stream.fail(error) : Stream.die(error)),
      ) as Stream.Stream<T, CallError>;
    });
  };
  return {
    processes: engine.processes,
    stats: Effect.sync(() => engine.stats),
    map: (fn, input, options = {}) => mapLike("map", fn, input, options, false, false),
    starmap: (fn, input, options = {}) => mapLike("starmap", fn, input, options, true, false),
    mapSettled: (fn, input, options = {}) => mapLike("mapSettled", fn, input, options, false, true),
    starmapSettled: (fn, input, options = {}) =>
      mapLike("starmapSettled", fn, input, options, true, true),
    apply: <F extends TaskFunction>(
      fn: F,
      args: SendableArgs<Parameters<F>>,
      options: FaultOptions = {},
    ) => {
      const spec = specOrFailure(engine, fn, true, options, "apply");
      return Effect.suspend(() => {
        if (!("ref" in spec)) return spec.failure;
        return running<ResultOf<F>, CallError>(
          engine,
          (resume) =>
            startApplyCall(engine, spec, args, (outcome) =>
              resume(
                outcome.ok
                  ? Effect.succeed(outcome.value as ResultOf<F>)
                  : Effect.fail(outcome.error as CallError),
              )),
        );
      });
    },
    applyAsync: <F extends TaskFunction>(
      fn: F,
      args: SendableArgs<Parameters<F>>,
      options: AsyncResultCallbacks<ResultOf<F>> & FaultOptions = {},
    ) => {
      const spec = specOrFailure(engine, fn, true, options, "applyAsync");
      return Effect.sync(() => {
        const result = new AsyncResult<ResultOf<F>>(options);
        if (!("ref" in spec)) {
          result.reject(spec.error as PoolError);
          return result;
        }
        const job = startApplyCall(
          engine,
          spec,
          args,
          (outcome) =>
            outcome.ok
              ? result.resolve(outcome.value as ResultOf<F>)
              : result.reject(outcome.error),
        );
        result.onCancel(() => job && engine.cancel(job));
        return result;
      });
    },
    imap: (fn, input, options = {}) => imapLike("imap", fn, input, options, true),
    imapUnordered: (fn, input, options = {}) =>
      imapLike("imapUnordered", fn, input, options, false),
    submit: <F extends TaskFunction>(fn: F, ...args: SendableArgs<Parameters<F>>) => {
      const spec = specOrFailure(engine, fn, true, {}, "submit");
      return Effect.sync(() => {
        const result = new AsyncResult<ResultOf<F>>();
        if (!("ref" in spec)) {
          result.reject(spec.error as PoolError);
          return result;
        }
        const job = startFuture(engine, spec, args, result);
        result.onCancel(() => job && engine.cancel(job));
        return result;
      });
    },
    mapZip: <F extends TaskFunction>(fn: F, ...inputs: unknown[]) => {
      let started;
      try {
        started = mapZipCall(engine, fn, inputs, "mapZip");
      } catch (error) {
        return Stream.fromEffect(
          error instanceof TaskNotFound ? Effect.fail(error) : Effect.die(error),
        );
      }
      const call = started;
      return Stream.suspend(() =>
        Stream.fromAsyncIterable(call.start(), (error) => error).pipe(
          Stream.catch((error) => isPoolError(error) ? Stream.fail(error) : Stream.die(error)),
        )
      ) as Stream.Stream<ResultOf<F>, CallError | WaitTimeout>;
    },
    close: Effect.sync(() => engine.close()),
    join: Effect.callback<void>((resume) => {
      engine.whenDrained(() => resume(Effect.void));
    }),
    terminate: terminated(engine),
  };
}

/** Runs a started call as an Effect; interruption cancels its job. */
function running<T, E>(
  engine: Engine,
  start: (resume: (effect: Effect.Effect<T, E>) => void) => Started,
): Effect.Effect<T, E> {
  return Effect.callback<T, E>((resume) => {
    const job = start(resume);
    return Effect.sync(() => {
      if (job) engine.cancel(job);
    });
  });
}

type SpecOrFailure = ReturnType<typeof jobSpec> | {
  /** Why the call cannot run: a handle rejects with it. */
  readonly error: unknown;
  /** The call's Effect: fails with `TaskNotFound`, or dies with anything else. */
  readonly failure: Effect.Effect<never, TaskNotFound>;
};

function specOrFailure(
  engine: Engine,
  fn: TaskFunction,
  spread: boolean,
  options: FaultOptions,
  method: string,
): SpecOrFailure {
  try {
    return jobSpec(engine, fn, spread, options, method);
  } catch (error) {
    // A function that cannot be sent fails the call; anything else is a defect.
    return {
      error,
      failure: error instanceof TaskNotFound ? Effect.fail(error) : Effect.die(error),
    };
  }
}

const POOL_ERRORS = [
  TaskError,
  SerializationError,
  TaskNotFound,
  WorkerCrashed,
  TaskTimeout,
  PoolClosed,
  WaitTimeout,
  TaskCancelled,
];

function isPoolError(error: unknown): error is PoolError {
  return POOL_ERRORS.some((type) => error instanceof type);
}
