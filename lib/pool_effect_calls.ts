/**
 * The `EffectPool` of an engine: each method a thin adapter over the call the Promise
 * face makes too (`pool_calls.ts`, `futures.ts`, the lazy maps of
 * `pool_effect_streams.ts`). The function is found when the method is called (on the
 * caller's stack: the Effect runs later, from elsewhere); the work starts when the
 * Effect runs, and interrupting it cancels the call's chunks. A call made by a fiber
 * with a tracer is traced (`tracing.ts`): its chunks are spans of that tracer.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import type * as Fiber from "effect/Fiber";
import {
  type AsyncResult,
  type AsyncResultCallbacks,
  makeAsyncResult,
  observe,
} from "./async_result.ts";
import type { Engine } from "./engine.ts";
import { type CallError, TaskNotFound } from "./errors.ts";
import { startFuture } from "./futures.ts";
import type { JobSpec } from "./jobs.ts";
import {
  checkCallChunksize,
  checkIterable,
  jobSpec,
  type RunningJob,
  startApplyCall,
  startMapCall,
} from "./pool_calls.ts";
import type { EffectMapOptions, EffectPool } from "./pool_effect_api.ts";
import { MAPS } from "./pool_eager.ts";
import {
  CALL_ERRORS,
  type ErrorClass,
  type ErrorOf,
  failure,
  SETTLED_CALL_ERRORS,
} from "./pool_effect_errors.ts";
import { lazyStream, zipStream } from "./pool_effect_streams.ts";
import type { FaultOptions } from "./pool_options.ts";
import type { ResultOf, SendableArgs, TaskFunction } from "./types.ts";
import { callTrace, PoolTracing } from "./tracing.ts";

/**
 * The pool of `engine` on the Effect face.
 *
 * @param engine The pool's engine.
 * @param name The pool's name, for its traces.
 */
export function effectPool(engine: Engine, name: string): EffectPool {
  const tracing = new PoolTracing(engine, name);
  return {
    processes: engine.processes,
    stats: Effect.sync(() => engine.stats),
    room: room(engine),
    map: (fn, input, options = {}) =>
      mapLike(engine, tracing, "map", fn, input, options, CALL_ERRORS),
    starmap: (fn, input, options = {}) =>
      mapLike(engine, tracing, "starmap", fn, input, options, CALL_ERRORS),
    mapSettled: (fn, input, options = {}) =>
      mapLike(engine, tracing, "mapSettled", fn, input, options, SETTLED_CALL_ERRORS),
    starmapSettled: (fn, input, options = {}) =>
      mapLike(engine, tracing, "starmapSettled", fn, input, options, SETTLED_CALL_ERRORS),
    apply: <F extends TaskFunction>(
      fn: F,
      args: SendableArgs<Parameters<F>>,
      options: FaultOptions = {},
    ) => {
      return running<ResultOf<F>, typeof CALL_ERRORS>(
        engine,
        tracing,
        CALL_ERRORS,
        specAt(engine, fn, options, "apply"),
        (spec, succeed, fail) =>
          startApplyCall(
            engine,
            spec,
            args,
            (outcome) => outcome.ok ? succeed(outcome.value as ResultOf<F>) : fail(outcome.error),
          ),
      );
    },
    applyAsync: <F extends TaskFunction>(
      fn: F,
      args: SendableArgs<Parameters<F>>,
      options: AsyncResultCallbacks<ResultOf<F>, CallError> & FaultOptions = {},
    ) =>
      handle<ResultOf<F>>(
        engine,
        tracing,
        specAt(engine, fn, options, "applyAsync"),
        args,
        options,
      ),
    submit: <F extends TaskFunction>(fn: F, ...args: SendableArgs<Parameters<F>>) =>
      handle<ResultOf<F>>(engine, tracing, specAt(engine, fn, {}, "submit"), args, {}),
    // Overloaded methods: their precise types are `EffectPool`'s (the `settled` option
    // chooses the element and error types; `lazyStream` fails with the matching list).
    imap: lazyStream(engine, tracing, "imap") as EffectPool["imap"],
    imapUnordered: lazyStream(engine, tracing, "imapUnordered") as EffectPool["imapUnordered"],
    istarmap: lazyStream(engine, tracing, "istarmap") as EffectPool["istarmap"],
    istarmapUnordered: lazyStream(
      engine,
      tracing,
      "istarmapUnordered",
    ) as EffectPool["istarmapUnordered"],
    mapZip: zipStream(engine, tracing) as EffectPool["mapZip"],
    close: Effect.sync(() => engine.close()),
    join: Effect.suspend(() =>
      engine.closedError() === null
        ? Effect.die(
          new Error(
            "Cannot join a pool that is still running: yield* pool.close or pool.terminate first",
          ),
        )
        : drained(engine)
    ),
    terminate: terminated(engine),
  };
}

/**
 * Terminates the pool and waits until its processes are gone (at once for workers;
 * for subprocesses, until each child exited): closing a scope leaves no child.
 */
export function terminated(engine: Engine): Effect.Effect<void> {
  return Effect.suspend(() => {
    engine.terminate();
    return drained(engine);
  });
}

/** `pool.room`: resumes once a call would join the queue at once, or the pool stops. */
function room(engine: Engine): Effect.Effect<void, ErrorOf<typeof SETTLED_CALL_ERRORS>> {
  return Effect.callback((resume) => {
    const answer = (): void => {
      const refused = engine.closedError();
      resume(refused ? failure(SETTLED_CALL_ERRORS, refused) : Effect.void);
    };
    return Effect.sync(engine.whenRoom(answer));
  });
}

/** Waits until every worker of the pool has exited. */
function drained(engine: Engine): Effect.Effect<void> {
  return Effect.callback<void>((resume) => {
    engine.whenDrained(() => resume(Effect.void));
  });
}

/**
 * `map`, `starmap` and their settled forms (rows of `MAPS`), failing with `errors`: a
 * call's errors, or a settled call's as a whole.
 */
function mapLike<T, C extends readonly ErrorClass<unknown>[]>(
  engine: Engine,
  tracing: PoolTracing,
  method: "map" | "starmap" | "mapSettled" | "starmapSettled",
  fn: TaskFunction,
  input: Iterable<unknown>,
  options: EffectMapOptions,
  errors: C,
): Effect.Effect<T, ErrorOf<C>> {
  const { spread, settle } = MAPS[method];
  return running<T, C>(
    engine,
    tracing,
    errors,
    specAt(engine, fn, options, method, spread),
    (spec, succeed, fail) =>
      startMapCall(
        engine,
        spec,
        input,
        options.chunksize,
        settle,
        (outcome) => outcome.ok ? succeed(outcome.values as T) : fail(outcome.error),
      ),
    () => {
      checkCallChunksize(method, options.chunksize);
      checkIterable(method, input, false);
    },
  );
}

/** A call's spec, with the tracing of the call when `fiber` has a tracer. */
interface Traced {
  readonly spec: JobSpec;
  /** Ends the call's tracing (once the call ended), or null when it is not traced. */
  readonly leave: (() => void) | null;
}

/** `spec` as `fiber` calls it: traced when the fiber has a tracer (see `tracing.ts`). */
function traced(
  tracing: PoolTracing,
  spec: JobSpec,
  fiber: Fiber.Fiber<unknown, unknown>,
): Traced {
  const trace = callTrace(fiber);
  if (trace === undefined) return { spec, leave: null };
  return { spec: { ...spec, trace }, leave: tracing.enter() };
}

/**
 * A call as an Effect failing with `errors`: it fails with why `found` could not be
 * made, else runs `check` (misuse throws: a defect), then `start`, traced as the calling
 * fiber is; interruption cancels it.
 */
function running<T, C extends readonly ErrorClass<unknown>[]>(
  engine: Engine,
  tracing: PoolTracing,
  errors: C,
  found: JobSpec | SpecError,
  start: (
    spec: JobSpec,
    succeed: (value: T) => void,
    fail: (error: unknown) => void,
  ) => RunningJob,
  check: () => void = () => {},
): Effect.Effect<T, ErrorOf<C>> {
  return Effect.withFiber((fiber) => {
    if ("error" in found) return failure(errors, found.error);
    check();
    const { spec, leave } = traced(tracing, found, fiber);
    return Effect.callback<T, ErrorOf<C>>((resume) => {
      const job = start(
        spec,
        (value) => {
          leave?.();
          resume(Effect.succeed(value));
        },
        (error) => {
          leave?.();
          resume(failure(errors, error));
        },
      );
      return Effect.sync(() => {
        if (job) engine.cancel(job);
        leave?.();
      });
    });
  });
}

/**
 * `applyAsync` and `submit`: a handle, made when the Effect runs. A function that
 * cannot be sent rejects the handle, as on the Promise face; misuse is a defect.
 */
function handle<T>(
  engine: Engine,
  tracing: PoolTracing,
  spec: JobSpec | SpecError,
  args: readonly unknown[],
  callbacks: AsyncResultCallbacks<T, CallError>,
): Effect.Effect<AsyncResult<T, CallError>> {
  return Effect.withFiber((fiber) => {
    if ("error" in spec && !(spec.error instanceof TaskNotFound)) return Effect.die(spec.error);
    const [result, settle] = makeAsyncResult<T, CallError>(callbacks);
    if ("error" in spec) {
      settle.reject(spec.error as TaskNotFound);
      return Effect.succeed(result);
    }
    const call = traced(tracing, spec, fiber);
    const job = startFuture(engine, call.spec, args, settle);
    settle.onCancel(() => job && engine.cancel(job));
    if (call.leave !== null) {
      // Its chunk's span, once queued, keeps the tracing on; a chunk that waits for room
      // in the queue (`maxQueue`) is not queued yet: the call then ends when it settles.
      if (tracing.queuedLast(job) || result.ready()) call.leave();
      else observe(result as AsyncResult<unknown, unknown>, call.leave);
    }
    return Effect.succeed(result);
  });
}

/** Why a call cannot run, found when it was made. */
interface SpecError {
  readonly error: unknown;
}

/**
 * `fn`'s reference and the call's fault options, found now, on the caller's stack;
 * or why the call cannot run (its Effect fails or dies with it when it runs).
 */
function specAt(
  engine: Engine,
  fn: TaskFunction,
  options: FaultOptions,
  method: string,
  spread = true,
): JobSpec | SpecError {
  try {
    return jobSpec(engine, fn, spread, options, method);
  } catch (error) {
    return { error };
  }
}
