/**
 * `getContext()`, as Python's `multiprocessing.get_context()`: Python's start methods
 * (`spawn`, `fork`, `forkserver`) map onto this library's backends, so a context is
 * the same API with its `backend` chosen once: `ctx.Pool.open()` and `new ctx.Process()`
 * make pools and processes of that backend. The Effect face's contexts (with
 * `ctx.Pool.make` and `ctx.Pool.layer`) are in `context_effect.ts`.
 *
 * @module
 */
import { Pool } from "./pool.ts";
import { isLocalBackend } from "./backend_traits.ts";
import type { PoolOptions } from "./pool_options.ts";
import { Process, type ProcessOptions } from "./process.ts";
import type { TaskFunction } from "./types.ts";

/** A start method: what each process is (Python's start methods map onto these). */
export type StartMethod = "worker" | "subprocess";

/** `Process` bound to a context's backend: the same class, with `backend` defaulted. */
export interface ContextProcessClass {
  /** Makes a process of the context's backend (see `Process`). */
  new <F extends TaskFunction>(options: ProcessOptions<F>): Process<F>;
  /** The `Process` prototype, so `instanceof` works with either class. */
  readonly prototype: Process<TaskFunction>;
}

/** `Pool`'s constructors bound to a context's backend. */
export interface ContextPool {
  /** Opens a pool of the context's backend (see `Pool.open`). */
  open(options?: PoolOptions): Promise<Pool>;
}

/** What `getContext` returns: the library's process-making API for one backend. */
export interface Context {
  /** The backend every pool and process of this context uses unless told otherwise. */
  readonly backend: StartMethod;
  /** The context's start method (Python's `ctx.get_start_method()`). */
  getStartMethod(): StartMethod;
  /** `Process` with this context's backend. */
  readonly Process: ContextProcessClass;
  /** `Pool.open` with this context's backend. */
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
  return contextOf(contexts, method, makeContext);
}

/**
 * The context of `method` in `cache`, made by `make` the first time: one per method, as
 * Python's. Shared by both faces' `getContext`.
 *
 * @param cache The face's contexts, by method.
 * @param method The start method, checked.
 * @param make Makes the context of a backend.
 * @returns The context.
 * @throws {RangeError} `method` is not `"worker"` or `"subprocess"`.
 */
export function contextOf<C>(
  cache: Map<StartMethod, C>,
  method: StartMethod,
  make: (backend: StartMethod) => C,
): C {
  checkMethod(method);
  let context = cache.get(method);
  if (context === undefined) {
    context = make(method);
    cache.set(method, context);
  }
  return context;
}

/**
 * Throws the RangeError `getContext` throws for an unknown start method.
 *
 * @param method The start method to check.
 * @throws {RangeError} `method` is not `"worker"` or `"subprocess"`.
 */
export function checkMethod(method: StartMethod): void {
  if (!isLocalBackend(method)) {
    throw new RangeError(
      `Cannot get a context as 'method' must be "worker" or "subprocess": current value is ${
        typeof method === "string" ? JSON.stringify(method) : String(method)
      } (Python's "spawn", "fork" and "forkserver" all map to one of these two)`,
    );
  }
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
  }
  return Object.freeze({
    backend,
    getStartMethod: () => backend,
    Process: ContextProcess,
    Pool: Object.freeze({
      open: (options: PoolOptions = {}) => Pool.open({ backend, ...options }),
    }),
  });
}
