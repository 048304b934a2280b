/**
 * `getContext()` on the Effect face: the same contexts as `context.ts`, whose `Pool`
 * also has `make` and `layer`. Its `Process` is the Promise face's class, bound to the
 * backend: start one in a scope with `ProcessEffect.start(new ctx.Process(...))`.
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
  getContext as promiseContext,
  type StartMethod,
} from "./context.ts";
import type { OpenError } from "./errors.ts";
import { type EffectPool, Pool } from "./pool_effect.ts";
import type { PoolOptions } from "./pool_options.ts";

export type { ContextProcessClass } from "./context.ts";

/** `Pool`'s constructors bound to a context's backend, with the Effect face's. */
export interface ContextPool extends PromiseContextPool {
  /** The Effect face: a scoped pool of the context's backend (see `Pool.make`). */
  make(options?: PoolOptions): Effect.Effect<EffectPool, OpenError, Scope.Scope>;
  /** A layer providing a pool of the context's backend (see `Pool.layer`). */
  layer(options?: PoolOptions): Layer.Layer<EffectPool, OpenError>;
}

/** What `getContext` returns: the Promise face's context, with the Effect face's `Pool`. */
export interface Context extends Omit<PromiseContext, "Pool"> {
  /** `Pool.open`, `Pool.make` and `Pool.layer` with this context's backend. */
  readonly Pool: ContextPool;
}

const contexts = new Map<StartMethod, Context>();

/**
 * The API bound to one backend, as Python's `multiprocessing.get_context(method)`,
 * with the Effect face's `ctx.Pool.make` and `ctx.Pool.layer`. `ctx.Process` is the
 * same class as the Promise face's context gives (`instanceof` holds across faces).
 *
 * @param method The backend. @default {"worker"}
 * @returns The context.
 * @throws {RangeError} `method` is not `"worker"` or `"subprocess"`.
 *
 * @example A scoped pool and a scoped process of one backend
 * ```ts
 * import { Effect } from "effect";
 * import { getContext, inline, ProcessEffect } from "./effect.ts";
 * import assert from "node:assert/strict";
 *
 * const square = inline((x: number) => x * x);
 *
 * const ctx = getContext("worker");
 * const program = Effect.gen(function* () {
 *   const pool = yield* ctx.Pool.make({ processes: 1 });
 *   const squares = yield* pool.map(square, [1, 2]);
 *   const p = yield* ProcessEffect.start(new ctx.Process({ target: square, args: [3] }));
 *   return [...squares, yield* ProcessEffect.join(p)];
 * });
 * assert.deepEqual(await Effect.runPromise(Effect.scoped(program)), [1, 4, 9]);
 * ```
 */
export function getContext(method: StartMethod = "worker"): Context {
  return contextOf(contexts, method, makeContext);
}

function makeContext(backend: StartMethod): Context {
  const promiseFace = promiseContext(backend);
  return Object.freeze({
    ...promiseFace,
    Pool: Object.freeze({
      open: promiseFace.Pool.open,
      make: (options: PoolOptions = {}) => Pool.make({ backend, ...options }),
      layer: (options: PoolOptions = {}) => Pool.layer({ backend, ...options }),
    }),
  });
}
