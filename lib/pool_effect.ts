/**
 * The pool on the Effect face: `Pool` with `make` and `layer`, a scoped resource whose
 * methods are Effects with precise error types (`pool_effect_api.ts`); interrupting a
 * call cancels its chunks. The lazy maps are Streams (`pool_effect_streams.ts`). Its
 * work is measured as Effect metrics (`metrics.ts`) and traced by the caller's tracer
 * (`tracing.ts`). Public through `@multiprocessing/deno/effect`.
 *
 * @module
 */
import * as Context from "effect/Context";
import * as Effect from "effect/Effect";
import * as Layer from "effect/Layer";
import type * as Scope from "effect/Scope";
import { Engine } from "./engine.ts";
import type { OpenError } from "./errors.ts";
import { callSite, trackPool } from "./live_registry.ts";
import type { EffectPool } from "./pool_effect_api.ts";
import { effectPool, terminated } from "./pool_effect_calls.ts";
import { failure, OPEN_ERRORS } from "./pool_effect_errors.ts";
import { watchPool } from "./metrics.ts";
import { engineOptions, type PoolOptions } from "./pool_options.ts";
import { Pool as PromisePool } from "./pool.ts";

export type { EffectLazyMapOptions, EffectMapOptions, EffectPool } from "./pool_effect_api.ts";

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
    return failure(OPEN_ERRORS, misuse);
  }
  const site = callSite(); // the caller's, taken now: the Effect runs later, from elsewhere
  const open = Effect.withFiber((fiber) =>
    Effect.callback<Opened, OpenError>((resume) => {
      const engine = new Engine(settings);
      trackPool(engine, settings, "Pool.make", site); // its scope closes it: no GC warning
      // Its metrics go to the registry of the fiber that opens it.
      const unwatch = watchPool(engine, settings.name, fiber.context);
      // Opening fails only with its initializer's error, or `PoolClosed` when terminated.
      engine.open((error) => {
        if (error) unwatch();
        resume(error ? failure(OPEN_ERRORS, error) : Effect.succeed({ engine, unwatch }));
      });
      return Effect.sync(() => {
        engine.terminate();
        unwatch();
      });
    })
  );
  const close = ({ engine, unwatch }: Opened) =>
    terminated(engine).pipe(Effect.ensuring(Effect.sync(unwatch)));
  return Effect.acquireRelease(open, close).pipe(
    Effect.map(({ engine }) => effectPool(engine, settings.name)),
  );
}

/** An open pool's engine, and the end of its metrics. */
interface Opened {
  readonly engine: Engine;
  readonly unwatch: () => void;
}

/** A layer providing `PoolService`; see `Pool.layer`. */
export function layer(options: PoolOptions): Layer.Layer<EffectPool, OpenError> {
  return Layer.effect(PoolService, make(options));
}
