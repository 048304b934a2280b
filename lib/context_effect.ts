/**
 * `getContext()` on the Effect face: the same contexts as `context.ts`, whose `Process`
 * also has `spawn` and `joinEffect` and whose `Pool` also has `make` and `layer`.
 * Public through `@multiprocessing/deno/effect`.
 *
 * @module
 */
import type * as Effect from "effect/Effect";
import type * as Layer from "effect/Layer";
import type * as Scope from "effect/Scope";
import {
  type Context as PromiseContext,
  contextOf,
  type ContextPool as PromiseContextPool,
  type StartMethod,
} from "./context.ts";
import type { OpenError, SerializationError, TaskNotFound } from "./errors.ts";
import { type EffectPool, Pool } from "./pool_effect.ts";
import type { PoolOptions } from "./pool_options.ts";
import type { ProcessOptions } from "./process.ts";
import { Process } from "./process_effect.ts";
import type { TaskFunction } from "./types.ts";

/** `Process` bound to a context's backend: the same class, with `backend` defaulted. */
export interface ContextProcessClass {
  /** Makes a process of the context's backend (see `Process`). */
  new <F extends TaskFunction>(options: ProcessOptions<F>): Process<F>;
  /** Starts a scoped process of the context's backend (see `Process.spawn`). */
  spawn<F extends TaskFunction>(
    options: ProcessOptions<F>,
  ): Effect.Effect<Process<F>, TaskNotFound | SerializationError, Scope.Scope>;
  /** The `Process` prototype, so `instanceof` works with either class. */
  readonly prototype: Process<TaskFunction>;
}

/** `Pool`'s constructors bound to a context's backend, with the Effect face's. */
export interface ContextPool extends PromiseContextPool {
  /** The Effect face: a scoped pool of the context's backend (see `Pool.make`). */
  make(options?: PoolOptions): Effect.Effect<EffectPool, OpenError, Scope.Scope>;
  /** A layer providing a pool of the context's backend (see `Pool.layer`). */
  layer(options?: PoolOptions): Layer.Layer<EffectPool, OpenError>;
}

/** What `getContext` returns: the Promise face's context, with the Effect face's members. */
export interface Context extends Omit<PromiseContext, "Process" | "Pool"> {
  /** `Process` with this context's backend. */
  readonly Process: ContextProcessClass;
  /** `Pool.open`, `Pool.make` and `Pool.layer` with this context's backend. */
  readonly Pool: ContextPool;
}

const contexts = new Map<StartMethod, Context>();

/**
 * The API bound to one backend, as Python's `multiprocessing.get_context(method)`,
 * with the Effect face's `ctx.Pool.make`, `ctx.Pool.layer` and `ctx.Process.spawn`.
 *
 * @param method The backend. @default {"worker"}
 * @returns The context.
 * @throws {RangeError} `method` is not `"worker"` or `"subprocess"`.
 *
 * @example A scoped pool of one backend
 * ```ts
 * import { Effect } from "effect";
 * import { getContext, inline } from "./effect.ts";
 * import assert from "node:assert/strict";
 *
 * const square = inline((x: number) => x * x);
 *
 * const ctx = getContext("worker");
 * const program = Effect.gen(function* () {
 *   const pool = yield* ctx.Pool.make({ processes: 1 });
 *   return yield* pool.map(square, [1, 2]);
 * });
 * assert.deepEqual(await Effect.runPromise(Effect.scoped(program)), [1, 4]);
 * ```
 */
export function getContext(method: StartMethod = "worker"): Context {
  return contextOf(contexts, method, makeContext);
}

function makeContext(backend: StartMethod): Context {
  class ContextProcess<F extends TaskFunction> extends Process<F> {
    constructor(options: ProcessOptions<F>) {
      super({ backend, ...options });
    }
  }
  return Object.freeze({
    backend,
    getStartMethod: () => backend,
    Process: ContextProcess,
    Pool: Object.freeze({
      open: (options: PoolOptions = {}) => Pool.open({ backend, ...options }),
      make: (options: PoolOptions = {}) => Pool.make({ backend, ...options }),
      layer: (options: PoolOptions = {}) => Pool.layer({ backend, ...options }),
    }),
  });
}
