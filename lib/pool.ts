/**
 * `Pool`, the Promise face: Python's `multiprocessing.Pool` for Deno, with `await using`
 * for cleanup and an `AbortSignal` for cancellation. The Effect face (`Pool.make`,
 * `Pool.layer`) extends this class in `pool_effect.ts`, so that programs using only
 * Promises (and the workers that import their modules) never load Effect. Its methods
 * are thin adapters over `pool_methods.ts` (the eager calls in `pool_eager.ts`, the
 * lazy maps in `pool_lazy.ts`), which `Pool.open` loads: a worker whose task module
 * imports `mod.ts` loads this class, not the pool behind it.
 *
 * @module
 */
import { loadLater } from "./load_later.ts";
import { poolCaller } from "./live_registry.ts";
import type { ArgOf, ResultOf, Sendable, SendableArgs, TaskFunction } from "./types.ts";
import type { AsyncResult, AsyncResultCallbacks } from "./async_result.ts";
import type { Engine, PoolStats } from "./engine.ts";
import type { MapZipOptions, ZipInputs } from "./map_zip.ts";
// Lets a Barrier's action cross into workers by reference, as task functions do.
import "./function_refs.ts";
import type { Settled, SettledAt } from "./jobs.ts";
import type {
  ApplyOptions,
  FaultOptions,
  LazyMapOptions,
  MapOptions,
  PoolOptions,
} from "./pool_options.ts";

/**
 * The pool's implementation, loaded by the first `Pool.open`: every `Pool` exists only
 * after it, so its methods can use it at once.
 */
let run!: typeof import("./pool_methods.ts");

/** The implementation signature of the lazy maps (each method's overloads say more). */
type AnyInput = Iterable<unknown> | AsyncIterable<unknown>;
type Lazy = AsyncIterableIterator<unknown>;

/**
 * A pool of worker processes, as Python's `multiprocessing.Pool`.
 *
 * Open it with `Pool.open()` and `await using`, which terminates the workers when the
 * block ends. Functions are sent by reference: export them from their module.
 *
 * @example Mapping over a pool
 * ```ts
 * import { inline, Pool } from "../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const square = inline((x: number) => x * x);
 *
 * await using pool = await Pool.open({ processes: 2 });
 * assert.deepEqual(await pool.map(square, [1, 2, 3, 4, 5]), [1, 4, 9, 16, 25]);
 * ```
 */
export class Pool implements AsyncDisposable {
  readonly #engine: Engine;

  /** Made by `Pool.open` (or the Effect face's subclass): not called directly. */
  protected constructor(engine: Engine) {
    this.#engine = engine;
  }

  /**
   * Opens a pool. With an `initializer`, waits until every worker ran it; without one,
   * returns at once, as Python's `Pool()` does: the workers start in the background and
   * the first calls reach them while they do.
   *
   * @param options `processes` (or `minProcesses`, `maxProcesses`, `idleTimeout` for an
   *   elastic pool), `maxQueue`, `initializer`, `initargs`, `maxTasksPerChild`, `name`, ...
   * @returns The open pool.
   * @throws {RangeError} An option is out of range (`processes: 0`).
   * @throws {TypeError} Options that exclude each other (`processes` with `maxProcesses`).
   * @throws {TaskError} The initializer threw.
   *
   * @example
   * ```ts
   * import { Pool } from "../mod.ts";
   * import assert from "node:assert/strict";
   *
   * await using pool = await Pool.open({ processes: 2 });
   * assert.equal(pool.processes, 2);
   * ```
   */
  static async open(options: PoolOptions = {}): Promise<Pool> {
    const make = (engine: Engine) => new Pool(engine);
    if (run !== undefined) return run.openPool(options, make);
    // Where the caller is must be read from the stack before the first await.
    const caller = poolCaller(options);
    run = await loadLater<typeof run>(new URL("./pool_methods.ts", import.meta.url));
    return run.openPool(options, make, caller);
  }

  /**
   * Number of worker processes: for an elastic pool (`maxProcesses`), the most it may
   * have (`stats.workers` says how many it has now).
   */
  get processes(): number {
    return this.#engine.processes;
  }

  /**
   * Waits until a call made now would join the queue at once: while the pool's queue
   * holds `maxQueue` chunks (or calls wait for room), until a worker took one and the
   * calls before are in; at once without `maxQueue`. `applyAsync` and `submit` give
   * their handle at once and hold their task back while the queue is full: a producer
   * that awaits `room()` before each call keeps what it holds bounded.
   *
   * @param options `signal`: stop waiting; the promise rejects with `signal.reason`.
   * @throws {PoolClosed} The pool takes no more work (closed, terminated).
   *
   * @example A producer that keeps pace with the workers
   * ```ts
   * import { inline, Pool } from "../mod.ts";
   * import assert from "node:assert/strict";
   *
   * const square = inline((x: number) => x * x);
   * await using pool = await Pool.open({ processes: 2, maxQueue: 8 });
   * let total = 0;
   * for (let i = 0; i < 1000; i++) {
   *   await pool.room();
   *   assert.ok(pool.stats.queued <= 8);
   *   pool.submit(square, i).then((y) => (total += y));
   * }
   * pool.close();
   * await pool.join();
   * assert.equal(total, 332_833_500);
   * ```
   */
  room(options: { readonly signal?: AbortSignal } = {}): Promise<void> {
    return run.roomPromise(this.#engine, options);
  }

  /**
   * Live counters and summaries: workers (busy, idle), chunks queued, running, done,
   * failed and cancelled, how long chunks waited and ran (`{ count, p50, p95, p99, max }`
   * in ms), workers replaced and stuck.
   *
   * @example
   * ```ts
   * import { inline, Pool } from "../mod.ts";
   * import assert from "node:assert/strict";
   *
   * await using pool = await Pool.open({ processes: 2 });
   * await pool.mapSettled(inline((x: number) => x.toFixed(x)), [1, 2, -1], { chunksize: 1 });
   * const { done, failed, busy, idle, workers, timeRunning } = pool.stats;
   * assert.deepEqual([done, failed, busy + idle], [2, 1, workers]);
   * assert.ok(timeRunning.p50 <= timeRunning.max);
   * ```
   */
  get stats(): PoolStats {
    return this.#engine.stats;
  }

  /**
   * Calls `fn` on each item, in parallel, and gives the results in input order. Fails
   * with the first error and cancels the rest of the call; the pool stays usable.
   *
   * @param fn An exported function of one argument.
   * @param input The items (consumed at once; use `imap` for long or endless input).
   * @param options `chunksize` (default `ceil(n / (4 * processes))`), `signal`.
   */
  map<F extends TaskFunction>(
    fn: F,
    input: Iterable<Sendable<ArgOf<F>>>,
    options: MapOptions = {},
  ): Promise<ResultOf<F>[]> {
    return run.mapPromise(this.#engine, "map", fn, input, options);
  }

  /** As `map`, but each item is an argument list spread into `fn`. */
  starmap<F extends TaskFunction>(
    fn: F,
    input: Iterable<SendableArgs<Parameters<F>>>,
    options: MapOptions = {},
  ): Promise<ResultOf<F>[]> {
    return run.mapPromise(this.#engine, "starmap", fn, input, options);
  }

  /**
   * As `map`, but never fails on a task's error: gives every item's outcome, in input
   * order, shaped as `Promise.allSettled`'s.
   */
  mapSettled<F extends TaskFunction>(
    fn: F,
    input: Iterable<Sendable<ArgOf<F>>>,
    options: MapOptions = {},
  ): Promise<Settled<ResultOf<F>>[]> {
    return run.mapPromise(this.#engine, "mapSettled", fn, input, options);
  }

  /** As `starmap`, with every item's outcome (see `mapSettled`). */
  starmapSettled<F extends TaskFunction>(
    fn: F,
    input: Iterable<SendableArgs<Parameters<F>>>,
    options: MapOptions = {},
  ): Promise<Settled<ResultOf<F>>[]> {
    return run.mapPromise(this.#engine, "starmapSettled", fn, input, options);
  }

  /** Calls `fn(...args)` in a worker and gives its result. */
  apply<F extends TaskFunction>(
    fn: F,
    args: SendableArgs<Parameters<F>>,
    options: ApplyOptions = {},
  ): Promise<ResultOf<F>> {
    return run.applyPromise(this.#engine, fn, args, options);
  }

  /**
   * As `apply`, without waiting: a handle to await, poll, wait on or cancel. With
   * `maxQueue`, a full queue holds the task back (the handle is given at once): pace a
   * loop of calls with `await pool.room()`.
   */
  applyAsync<F extends TaskFunction>(
    fn: F,
    args: SendableArgs<Parameters<F>>,
    options: AsyncResultCallbacks<ResultOf<F>> & FaultOptions = {},
  ): AsyncResult<ResultOf<F>> {
    return run.futureHandle(this.#engine, "applyAsync", fn, args, options);
  }

  /**
   * Python's `executor.submit(fn, *args)`: calls `fn(...args)` in a worker and gives a
   * handle at once (the same as `applyAsync(fn, args)`). Use it with `wait` and
   * `asCompleted`; the handle has `done()`, `running()`, `cancel()`, `exception()` and
   * `addDoneCallback()`, and is awaitable. With `maxQueue`, pace a loop of calls with
   * `await pool.room()` (see `room`).
   *
   * @example
   * ```ts
   * import { inline, Pool } from "../mod.ts";
   * import assert from "node:assert/strict";
   *
   * const add = inline((a: number, b: number) => a + b);
   *
   * await using pool = await Pool.open({ processes: 1 });
   * const handle = pool.submit(add, 2, 3);
   * assert.equal(await handle, 5);
   * assert.equal(handle.done(), true);
   * ```
   */
  submit<F extends TaskFunction>(
    fn: F,
    ...args: SendableArgs<Parameters<F>>
  ): AsyncResult<ResultOf<F>> {
    return run.futureHandle(this.#engine, "submit", fn, args, {});
  }

  /** As `map`, without waiting: a handle to the list of results. */
  mapAsync<F extends TaskFunction>(
    fn: F,
    input: Iterable<Sendable<ArgOf<F>>>,
    options: Omit<MapOptions, "signal"> & AsyncResultCallbacks<ResultOf<F>[]> = {},
  ): AsyncResult<ResultOf<F>[]> {
    return run.mapHandle(this.#engine, "mapAsync", fn, input, options);
  }

  /** As `starmap`, without waiting: a handle to the list of results. */
  starmapAsync<F extends TaskFunction>(
    fn: F,
    input: Iterable<SendableArgs<Parameters<F>>>,
    options: Omit<MapOptions, "signal"> & AsyncResultCallbacks<ResultOf<F>[]> = {},
  ): AsyncResult<ResultOf<F>[]> {
    return run.mapHandle(this.#engine, "starmapAsync", fn, input, options);
  }

  /**
   * Lazily maps `fn` over any iterable or async iterable, yielding results in input
   * order while keeping a bounded number of chunks in flight: memory stays flat on an
   * endless input. Breaking out of the loop cancels what is still running. With
   * `settled: true`, yields every item's outcome (a `Settled`) and goes on past
   * failures, as `mapSettled` does, each with the item's `index` in the input.
   *
   * @param options `chunksize` (default 1, as Python's), `signal`, `settled`.
   *
   * @example Every outcome, lazily
   * ```ts
   * import { inline, Pool } from "../mod.ts";
   * import assert from "node:assert/strict";
   *
   * const invert = inline((x: number) => {
   *   if (x === 0) throw new RangeError("zero");
   *   return 1 / x;
   * });
   * await using pool = await Pool.open({ processes: 1 });
   * const statuses = [];
   * for await (const outcome of pool.imap(invert, [1, 0, 2], { settled: true })) {
   *   statuses.push(outcome.status);
   * }
   * assert.deepEqual(statuses, ["fulfilled", "rejected", "fulfilled"]);
   * ```
   */
  imap<F extends TaskFunction>(
    fn: F,
    input: Iterable<Sendable<ArgOf<F>>> | AsyncIterable<Sendable<ArgOf<F>>>,
    options: LazyMapOptions & { readonly settled: true },
  ): AsyncIterableIterator<SettledAt<ResultOf<F>>>;
  /** Lazily maps `fn` over `input`, yielding results in input order. */
  imap<F extends TaskFunction>(
    fn: F,
    input: Iterable<Sendable<ArgOf<F>>> | AsyncIterable<Sendable<ArgOf<F>>>,
    options?: LazyMapOptions,
  ): AsyncIterableIterator<ResultOf<F>>;
  imap(fn: TaskFunction, input: AnyInput, options: LazyMapOptions = {}): Lazy {
    return run.startLazyMap(this.#engine, "imap", fn, input, options);
  }

  /** As `imap`, yielding each result (or outcome) as soon as it is ready. */
  imapUnordered<F extends TaskFunction>(
    fn: F,
    input: Iterable<Sendable<ArgOf<F>>> | AsyncIterable<Sendable<ArgOf<F>>>,
    options: LazyMapOptions & { readonly settled: true },
  ): AsyncIterableIterator<SettledAt<ResultOf<F>>>;
  /** As `imap`, yielding each result as soon as it is ready (completion order). */
  imapUnordered<F extends TaskFunction>(
    fn: F,
    input: Iterable<Sendable<ArgOf<F>>> | AsyncIterable<Sendable<ArgOf<F>>>,
    options?: LazyMapOptions,
  ): AsyncIterableIterator<ResultOf<F>>;
  imapUnordered(fn: TaskFunction, input: AnyInput, options: LazyMapOptions = {}): Lazy {
    return run.startLazyMap(this.#engine, "imapUnordered", fn, input, options);
  }

  /**
   * As `imap`, for functions of several arguments: each item is an argument list, as
   * `starmap`'s (Python has no lazy `starmap`; this is its `imap` of `starmap`).
   *
   * @example
   * ```ts
   * import { inline, Pool } from "../mod.ts";
   * import assert from "node:assert/strict";
   *
   * const add = inline((a: number, b: number) => a + b);
   * await using pool = await Pool.open({ processes: 1 });
   * const sums = [];
   * for await (const sum of pool.istarmap(add, [[1, 2], [3, 4]])) sums.push(sum);
   * assert.deepEqual(sums, [3, 7]);
   * ```
   */
  istarmap<F extends TaskFunction>(
    fn: F,
    input: Iterable<SendableArgs<Parameters<F>>> | AsyncIterable<SendableArgs<Parameters<F>>>,
    options: LazyMapOptions & { readonly settled: true },
  ): AsyncIterableIterator<SettledAt<ResultOf<F>>>;
  /** As `imap`, each item being an argument list. */
  istarmap<F extends TaskFunction>(
    fn: F,
    input: Iterable<SendableArgs<Parameters<F>>> | AsyncIterable<SendableArgs<Parameters<F>>>,
    options?: LazyMapOptions,
  ): AsyncIterableIterator<ResultOf<F>>;
  istarmap(fn: TaskFunction, input: AnyInput, options: LazyMapOptions = {}): Lazy {
    return run.startLazyMap(this.#engine, "istarmap", fn, input, options);
  }

  /** As `istarmap`, yielding each outcome as soon as it is ready. */
  istarmapUnordered<F extends TaskFunction>(
    fn: F,
    input: Iterable<SendableArgs<Parameters<F>>> | AsyncIterable<SendableArgs<Parameters<F>>>,
    options: LazyMapOptions & { readonly settled: true },
  ): AsyncIterableIterator<SettledAt<ResultOf<F>>>;
  /** As `istarmap`, yielding each result as soon as it is ready (completion order). */
  istarmapUnordered<F extends TaskFunction>(
    fn: F,
    input: Iterable<SendableArgs<Parameters<F>>> | AsyncIterable<SendableArgs<Parameters<F>>>,
    options?: LazyMapOptions,
  ): AsyncIterableIterator<ResultOf<F>>;
  istarmapUnordered(fn: TaskFunction, input: AnyInput, options: LazyMapOptions = {}): Lazy {
    return run.startLazyMap(this.#engine, "istarmapUnordered", fn, input, options);
  }

  /**
   * Python's `executor.map(fn, *iterables, timeout, chunksize)`: `fn(x, y, ...)` for the
   * items of several inputs taken together (stopping at the shortest), yielded in input
   * order. Inputs are read lazily, as `imap`'s; a trailing options object gives
   * `chunksize` (default 1), `timeout` (ms from this call within which each result must
   * be ready, else `WaitTimeout` and the rest is cancelled) and `signal`.
   *
   * @example
   * ```ts
   * import { inline, Pool } from "../mod.ts";
   * import assert from "node:assert/strict";
   *
   * const power = inline((base: number, exponent: number) => base ** exponent);
   *
   * await using pool = await Pool.open({ processes: 2 });
   * const out: number[] = [];
   * for await (const y of pool.mapZip(power, [2, 3, 4], [5, 2, 1], { timeout: 10_000 })) {
   *   out.push(y);
   * }
   * assert.deepEqual(out, [32, 9, 4]);
   * ```
   */
  mapZip<F extends TaskFunction>(
    fn: F,
    ...inputs: ZipInputs<Parameters<F>> | [...ZipInputs<Required<Parameters<F>>>, MapZipOptions]
  ): AsyncIterableIterator<ResultOf<F>> {
    const results = run.mapZipCall(this.#engine, fn, inputs, "mapZip").start();
    return results as AsyncIterableIterator<ResultOf<F>>;
  }

  /** Takes no new work; work already submitted still runs. Follow with `join()`. */
  close(): void {
    this.#engine.close();
  }

  /** Stops every worker now; pending calls fail with `PoolClosed`. */
  terminate(): Promise<void> {
    this.#engine.terminate();
    return this.join();
  }

  /**
   * Waits until the workers have exited, after `close()` (when the submitted work is
   * done) or `terminate()`.
   *
   * @throws {Error} When the pool is still open, as Python raises `ValueError`.
   */
  join(): Promise<void> {
    return run.joinPool(this.#engine);
  }

  /** `await using` terminates the pool, as Python's `with Pool()` does. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.terminate();
  }
}
