/**
 * `getContext()`, as Python's `multiprocessing.get_context()`: Python's start methods
 * (`spawn`, `fork`, `forkserver`) map onto this library's backends, so a context is
 * the same API with its `backend` chosen once: `ctx.Pool.open()` and `new ctx.Process()`
 * make pools and processes of that backend.
 *
 * @module
 */
import type * as Effect from "effect/Effect";
import type * as Layer from "effect/Layer";
import type * as Scope from "effect/Scope";
import type { PoolError, SerializationError, TaskNotFound } from "./errors.ts";
import { Pool } from "./pool.ts";
import type { EffectPool } from "./pool_effect.ts";
import type { PoolOptions } from "./pool_options.ts";
import { Process, type ProcessOptions } from "./process.ts";
import type { TaskFunction } from "./types.ts";

/** A start method: what each process is (Python's start methods map onto these). */
export type StartMethod = "worker" | "subprocess";

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

/** `Pool`'s constructors bound to a context's backend. */
export interface ContextPool {
  /** Opens a pool of the context's backend (see `Pool.open`). */
  open(options?: PoolOptions): Promise<Pool>;
  /** The Effect face: a scoped pool of the context's backend (see `Pool.make`). */
  make(options?: PoolOptions): Effect.Effect<EffectPool, PoolError, Scope.Scope>;
  /** A layer providing a pool of the context's backend (see `Pool.layer`). */
  layer(options?: PoolOptions): Layer.Layer<EffectPool, PoolError>;
}

/** What `getContext` returns: the library's process-making API for one backend. */
export interface Context {
  /** The backend every pool and process of this context uses unless told otherwise. */
  readonly backend: StartMethod;
  /** The context's start method (Python's `ctx.get_start_method()`). */
  getStartMethod(): StartMethod;
  /** `Process` with this context's backend. */
  readonly Process: ContextProcessClass;
  /** `Pool.open`, `Pool.make` and `Pool.layer` with this context's backend. */
  readonly Pool: ContextPool;
}

const contexts = new Map<StartMethod, Context>();

/**
 * The API bound to one backend, as Python's `multiprocessing.get_context(method)`:
 * `"worker"` (the default: Web Workers, fast, shared memory) or `"subprocess"` (child
 * `deno` processes: killable while busy, their own heap limit, no shared memory, so
 * communication objects cannot be passed to them). An explicit `backend` option still
 * wins. The same method gives the same context.
 *
 * @param method The backend. @default {"worker"}
 * @returns The context.
 * @throws {RangeError} `method` is not `"worker"` or `"subprocess"`.
 *
 * @example Processes and pools of one backend
 * ```ts
 * import { getContext, inline } from "../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const square = inline((x: number) => x * x);
 *
 * const ctx = getContext("worker");
 * assert.equal(ctx.getStartMethod(), "worker");
 * await using pool = await ctx.Pool.open({ processes: 1 });
 * assert.deepEqual(await pool.map(square, [1, 2]), [1, 4]);
 * const p = new ctx.Process({ target: square, args: [3] });
 * await p.start();
 * assert.equal(await p.join(), 9);
 * ```
 */
export function getContext(method: StartMethod = "worker"): Context {
  if (method !== "worker" && method !== "subprocess") {
    throw new RangeError(
      `Cannot get a context as 'method' must be "worker" or "subprocess": current value is ${
        typeof method === "string" ? JSON.stringify(method) : String(method)
      } (Python's "spawn", "fork" and "forkserver" all map to one of these two)`,
    );
  }
  let context = contexts.get(method);
  if (context === undefined) {
    context = makeContext(method);
    contexts.set(method, context);
  }
  return context;
}

/**
 * The start methods this library offers (Python's `get_all_start_methods()`).
 *
 * @example
 * ```ts
 * import { getAllStartMethods } from "../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(getAllStartMethods(), ["worker", "subprocess"]);
 * ```
 */
export function getAllStartMethods(): StartMethod[] {
  return ["worker", "subprocess"];
}

function makeContext(backend: StartMethod): Context {
  class ContextProcess<F extends TaskFunction> extends Process<F> {
    constructor(options: ProcessOptions<F>) {
      super({ backend, ...options });
    }

    static override spawn<F extends TaskFunction>(
      options: ProcessOptions<F>,
    ): Effect.Effect<Process<F>, TaskNotFound | SerializationError, Scope.Scope> {
      return Process.spawn({ backend, ...options });
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
