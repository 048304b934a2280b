/**
 * The Promise face's eager calls (`map` and its forms, `apply`, `applyAsync`, `submit`,
 * `mapAsync`): each settles a Promise, which an `AbortSignal` cancels, or an `AsyncResult`
 * handle, whose `cancel()` cancels the call. `Pool`'s methods are one-line adapters over
 * these; the lazy maps are in `pool_lazy.ts`.
 *
 * @module
 */
import {
  type AsyncResult,
  type AsyncResultCallbacks,
  type AsyncResultSettle,
  makeAsyncResult,
} from "./async_result.ts";
import type { Engine } from "./engine.ts";
import type { PoolError } from "./errors.ts";
import { startFuture } from "./futures.ts";
import {
  checkCallChunksize,
  checkIterable,
  jobSpec,
  type RunningJob,
  startApplyCall,
  startMapCall,
} from "./pool_calls.ts";
import type { ApplyOptions, FaultOptions, MapOptions } from "./pool_options.ts";
import type { TaskFunction } from "./types.ts";

/** How an eager map runs: its items are argument lists (`spread`), every outcome is kept. */
export interface MapForm {
  readonly spread: boolean;
  readonly settle: boolean;
}

/**
 * The eager maps, one line each: `Pool`'s methods of these names are thin adapters over
 * this table.
 *
 * @example
 * ```ts
 * import { MAPS } from "./pool_eager.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(MAPS.starmapSettled, { spread: true, settle: true });
 * ```
 */
export const MAPS = {
  map: { spread: false, settle: false },
  starmap: { spread: true, settle: false },
  mapSettled: { spread: false, settle: true },
  starmapSettled: { spread: true, settle: true },
  mapAsync: { spread: false, settle: false },
  starmapAsync: { spread: true, settle: false },
} as const satisfies Record<string, MapForm>;

/**
 * Runs the eager map `method` (a row of `MAPS`) of `fn` over `input`: its results, or
 * outcomes, in input order.
 *
 * @example
 * ```ts
 * import { inline, Pool } from "../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const double = inline((x: number) => 2 * x);
 * await using pool = await Pool.open({ processes: 1 });
 * assert.deepEqual(await pool.map(double, [1, 2]), [2, 4]); // mapPromise(engine, "map", ...)
 * ```
 */
export function mapPromise<T>(
  engine: Engine,
  method: "map" | "starmap" | "mapSettled" | "starmapSettled",
  fn: TaskFunction,
  input: Iterable<unknown>,
  options: MapOptions,
): Promise<T> {
  const { spread, settle } = MAPS[method];
  return promiseOf<T>(engine, options.signal, (outcome) => {
    checkCallChunksize(method, options.chunksize);
    checkIterable(method, input, false);
    const spec = jobSpec(engine, fn, spread, options, method);
    return startMapCall(
      engine,
      spec,
      input,
      options.chunksize,
      settle,
      (answer) => answer.ok ? outcome.resolve(answer.values as T) : outcome.reject(answer.error),
    );
  });
}

/**
 * Starts `mapAsync`/`starmapAsync`: a handle to the list of results.
 *
 * @example
 * ```ts
 * import { inline, Pool } from "../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const double = inline((x: number) => 2 * x);
 * await using pool = await Pool.open({ processes: 1 });
 * assert.deepEqual(await pool.mapAsync(double, [1, 2]), [2, 4]); // mapHandle(...)
 * ```
 */
export function mapHandle<T>(
  engine: Engine,
  method: "mapAsync" | "starmapAsync",
  fn: TaskFunction,
  input: Iterable<unknown>,
  options: Omit<MapOptions, "signal"> & AsyncResultCallbacks<T>,
): AsyncResult<T> {
  const [result, settle] = makeAsyncResult<T>(options);
  handleOf(engine, settle, () => {
    checkCallChunksize(method, options.chunksize);
    checkIterable(method, input, false);
    const spec = jobSpec(engine, fn, MAPS[method].spread, options, method);
    return startMapCall(
      engine,
      spec,
      input,
      options.chunksize,
      false,
      (answer) => answer.ok ? settle.resolve(answer.values as T) : settle.reject(answer.error),
    );
  });
  return result;
}

/**
 * Runs `apply`: `fn(...args)` in a worker.
 *
 * @example
 * ```ts
 * import { inline, Pool } from "../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const add = inline((a: number, b: number) => a + b);
 * await using pool = await Pool.open({ processes: 1 });
 * assert.equal(await pool.apply(add, [2, 3]), 5); // applyPromise(engine, add, [2, 3], {})
 * ```
 */
export function applyPromise<T>(
  engine: Engine,
  fn: TaskFunction,
  args: readonly unknown[],
  options: ApplyOptions,
): Promise<T> {
  return promiseOf<T>(engine, options.signal, (outcome) => {
    const spec = jobSpec(engine, fn, true, options, "apply");
    return startApplyCall(
      engine,
      spec,
      args,
      (answer) => answer.ok ? outcome.resolve(answer.value as T) : outcome.reject(answer.error),
    );
  });
}

/**
 * Starts `applyAsync` or `submit`: `fn(...args)` in a worker, and a handle at once.
 *
 * @example
 * ```ts
 * import { inline, Pool } from "../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const add = inline((a: number, b: number) => a + b);
 * await using pool = await Pool.open({ processes: 1 });
 * assert.equal(await pool.submit(add, 2, 3), 5); // futureHandle(engine, "submit", ...)
 * ```
 */
export function futureHandle<T>(
  engine: Engine,
  method: "applyAsync" | "submit",
  fn: TaskFunction,
  args: readonly unknown[],
  options: AsyncResultCallbacks<T> & FaultOptions,
): AsyncResult<T> {
  const [result, settle] = makeAsyncResult<T>(options);
  handleOf(engine, settle, () => {
    const spec = jobSpec(engine, fn, true, options, method);
    return startFuture(engine, spec, args, settle);
  });
  return result;
}

/**
 * Waits until a call made now would join the pool's queue at once (`maxQueue`; at once
 * without it): what `pool.room()` gives. Rejects with `PoolClosed` once the pool takes no
 * work, and with `signal.reason` when `signal` aborts first.
 *
 * @example
 * ```ts
 * import { inline, Pool } from "../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const double = inline((x: number) => 2 * x);
 * await using pool = await Pool.open({ processes: 1, maxQueue: 4 });
 * let sum = 0;
 * for (let i = 0; i < 20; i++) {
 *   await pool.room(); // roomPromise(engine, {})
 *   pool.applyAsync(double, [i], { callback: (y) => (sum += y) });
 * }
 * pool.close();
 * await pool.join();
 * assert.equal(sum, 380);
 * ```
 */
export function roomPromise(
  engine: Engine,
  options: { readonly signal?: AbortSignal },
): Promise<void> {
  const { signal } = options;
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const answer = (): void => {
      const refused = engine.closedError();
      if (refused) reject(refused);
      else resolve();
    };
    if (engine.hasRoom()) return answer();
    const onAbort = (): void => {
      stop();
      reject(signal!.reason);
    };
    const stop = engine.whenRoom(() => {
      signal?.removeEventListener("abort", onAbort);
      answer();
    });
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Runs `start`, settling a Promise through it; an abort cancels and rejects. */
function promiseOf<T>(
  engine: Engine,
  signal: AbortSignal | undefined,
  start: (outcome: { resolve(value: T): void; reject(error: unknown): void }) => RunningJob,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    let job: RunningJob = null;
    const onAbort = (): void => {
      if (job) engine.cancel(job);
      reject(signal!.reason);
    };
    const outcome = {
      resolve(value: T) {
        signal?.removeEventListener("abort", onAbort);
        resolve(value);
      },
      reject(error: unknown) {
        signal?.removeEventListener("abort", onAbort);
        reject(error);
      },
    };
    try {
      job = start(outcome);
    } catch (error) {
      return reject(error);
    }
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Runs `start` for a handle: a throw rejects it, and its `cancel()` cancels the job. */
function handleOf<T>(
  engine: Engine,
  settle: AsyncResultSettle<T>,
  start: () => RunningJob,
): void {
  let job: RunningJob;
  try {
    job = start();
  } catch (error) {
    settle.reject(error as PoolError);
    return;
  }
  settle.onCancel(() => {
    if (job) engine.cancel(job);
  });
}
