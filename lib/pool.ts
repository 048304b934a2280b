/**
 * `Pool`, the Promise face: Python's `multiprocessing.Pool` for Deno, with `await using`
 * for cleanup and an `AbortSignal` for cancellation. The Effect face (`Pool.make`,
 * `Pool.layer`) extends this class in `pool_effect.ts`, so that programs using only
 * Promises (and the workers that import their modules) never load Effect.
 *
 * @module
 */
import type { ArgOf, ResultOf, Sendable, SendableArgs, TaskFunction } from "./types.ts";
import { AsyncResult, type AsyncResultCallbacks } from "./async_result.ts";
import type { Engine, PoolStats } from "./engine.ts";
import { startFuture } from "./futures.ts";
import { mapZipCall, type MapZipOptions, type ZipInputs } from "./map_zip.ts";
// Lets a Barrier's action cross into workers by reference, as task functions do.
import "./function_refs.ts";
import type { PoolError } from "./errors.ts";
import type { Settled, SettledAt } from "./jobs.ts";
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
import {
  type ApplyOptions,
  engineOptions,
  type FaultOptions,
  type LazyMapOptions,
  type MapOptions,
  type PoolOptions,
} from "./pool_options.ts";

/**
 * The engine and the backends behind it (web workers, child processes, the cluster)
 * load with the first pool, not with `mod.ts`: a worker whose task module imports
 * `mod.ts` never loads them, and a program starts its first pool sooner.
 */
let engineModule: Promise<typeof import("./engine.ts")> | undefined;
function loadEngine(): Promise<typeof import("./engine.ts")> {
  return engineModule ??= import("./engine.ts");
}

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
   * @param options `processes`, `initializer`, `initargs`, `maxTasksPerChild`, `name`.
   * @returns The open pool.
   * @throws {RangeError} An option is out of range (`processes: 0`).
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
    // Both read the caller's stack frames: before the first await.
    const settings = engineOptions(options);
    const site = callSite();
    const { Engine } = await loadEngine();
    const engine = new Engine(settings);
    const tracked = trackPool(engine, settings, "Pool.open", site);
    return await new Promise((resolve, reject) => {
      engine.open((error) => (error ? reject(error) : resolve(tracked(new Pool(engine)))));
    });
  }

  /** Number of worker processes. */
  get processes(): number {
    return this.#engine.processes;
  }

  /** Live counters: workers, queued and running chunks, completed, replaced. */
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
    return this.#mapLike("map", fn, input, options, false, false);
  }

  /** As `map`, but each item is an argument list spread into `fn`. */
  starmap<F extends TaskFunction>(
    fn: F,
    input: Iterable<SendableArgs<Parameters<F>>>,
    options: MapOptions = {},
  ): Promise<ResultOf<F>[]> {
    return this.#mapLike("starmap", fn, input, options, true, false);
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
    return this.#mapLike("mapSettled", fn, input, options, false, true);
  }

  /** As `starmap`, with every item's outcome (see `mapSettled`). */
  starmapSettled<F extends TaskFunction>(
    fn: F,
    input: Iterable<SendableArgs<Parameters<F>>>,
    options: MapOptions = {},
  ): Promise<Settled<ResultOf<F>>[]> {
    return this.#mapLike("starmapSettled", fn, input, options, true, true);
  }

  /** Calls `fn(...args)` in a worker and gives its result. */
  apply<F extends TaskFunction>(
    fn: F,
    args: SendableArgs<Parameters<F>>,
    options: ApplyOptions = {},
  ): Promise<ResultOf<F>> {
    return this.#promise<ResultOf<F>>(options.signal, (settle) => {
      const spec = jobSpec(this.#engine, fn, true, options, "apply");
      return startApplyCall(
        this.#engine,
        spec,
        args,
        (outcome) =>
          outcome.ok ? settle.resolve(outcome.value as ResultOf<F>) : settle.reject(outcome.error),
      );
    });
  }

  /** As `apply`, without waiting: a handle to await, poll, wait on or cancel. */
  applyAsync<F extends TaskFunction>(
    fn: F,
    args: SendableArgs<Parameters<F>>,
    options: AsyncResultCallbacks<ResultOf<F>> & FaultOptions = {},
  ): AsyncResult<ResultOf<F>> {
    const result = new AsyncResult<ResultOf<F>>(options);
    this.#handle(result, () => {
      const spec = jobSpec(this.#engine, fn, true, options, "applyAsync");
      return startFuture(this.#engine, spec, args, result);
    });
    return result;
  }

  /**
   * Python's `executor.submit(fn, *args)`: calls `fn(...args)` in a worker and gives a
   * handle at once (the same as `applyAsync(fn, args)`). Use it with `wait` and
   * `asCompleted`; the handle has `done()`, `running()`, `cancel()`, `exception()` and
   * `addDoneCallback()`, and is awaitable.
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
    const result = new AsyncResult<ResultOf<F>>();
    this.#handle(result, () => {
      const spec = jobSpec(this.#engine, fn, true, {}, "submit");
      return startFuture(this.#engine, spec, args, result);
    });
    return result;
  }

  /** As `map`, without waiting: a handle to the list of results. */
  mapAsync<F extends TaskFunction>(
    fn: F,
    input: Iterable<Sendable<ArgOf<F>>>,
    options: Omit<MapOptions, "signal"> & AsyncResultCallbacks<ResultOf<F>[]> = {},
  ): AsyncResult<ResultOf<F>[]> {
    return this.#mapAsync("mapAsync", fn, input, options, false);
  }

  /** As `starmap`, without waiting: a handle to the list of results. */
  starmapAsync<F extends TaskFunction>(
    fn: F,
    input: Iterable<SendableArgs<Parameters<F>>>,
    options: Omit<MapOptions, "signal"> & AsyncResultCallbacks<ResultOf<F>[]> = {},
  ): AsyncResult<ResultOf<F>[]> {
    return this.#mapAsync("starmapAsync", fn, input, options, true);
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
  imap(
    fn: TaskFunction,
    input: Iterable<unknown> | AsyncIterable<unknown>,
    options: LazyMapOptions = {},
  ): AsyncIterableIterator<unknown> {
    return this.#imap("imap", fn, input, options, LAZY.imap);
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
  imapUnordered(
    fn: TaskFunction,
    input: Iterable<unknown> | AsyncIterable<unknown>,
    options: LazyMapOptions = {},
  ): AsyncIterableIterator<unknown> {
    return this.#imap("imapUnordered", fn, input, options, LAZY.imapUnordered);
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
  istarmap(
    fn: TaskFunction,
    input: Iterable<unknown> | AsyncIterable<unknown>,
    options: LazyMapOptions = {},
  ): AsyncIterableIterator<unknown> {
    return this.#imap("istarmap", fn, input, options, LAZY.istarmap);
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
  istarmapUnordered(
    fn: TaskFunction,
    input: Iterable<unknown> | AsyncIterable<unknown>,
    options: LazyMapOptions = {},
  ): AsyncIterableIterator<unknown> {
    return this.#imap("istarmapUnordered", fn, input, options, LAZY.istarmapUnordered);
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
    return mapZipCall(this.#engine, fn, inputs, "mapZip").start() as AsyncIterableIterator<
      ResultOf<F>
    >;
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
    if (this.#engine.refusal() === null) {
      return Promise.reject(
        new Error("Cannot join a pool that is still running: call close() or terminate() first"),
      );
    }
    return new Promise((resolve) => this.#engine.whenDrained(resolve));
  }

  /** `await using` terminates the pool, as Python's `with Pool()` does. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.terminate();
  }

  #mapLike<T>(
    method: string,
    fn: TaskFunction,
    input: Iterable<unknown>,
    options: MapOptions,
    spread: boolean,
    settle: boolean,
  ): Promise<T> {
    return this.#promise<T>(options.signal, (settleWith) => {
      checkCallChunksize(method, options.chunksize);
      checkIterable(method, input, false);
      const spec = jobSpec(this.#engine, fn, spread, options, method);
      return startMapCall(
        this.#engine,
        spec,
        input,
        options.chunksize,
        settle,
        (outcome) =>
          outcome.ok ? settleWith.resolve(outcome.values as T) : settleWith.reject(outcome.error),
      );
    });
  }

  #mapAsync<T>(
    method: string,
    fn: TaskFunction,
    input: Iterable<unknown>,
    options: Omit<MapOptions, "signal"> & AsyncResultCallbacks<T>,
    spread: boolean,
  ): AsyncResult<T> {
    const result = new AsyncResult<T>(options);
    this.#handle(result, () => {
      checkCallChunksize(method, options.chunksize);
      checkIterable(method, input, false);
      const spec = jobSpec(this.#engine, fn, spread, options, method);
      return startMapCall(
        this.#engine,
        spec,
        input,
        options.chunksize,
        false,
        (outcome) =>
          outcome.ok ? result.resolve(outcome.values as T) : result.reject(outcome.error),
      );
    });
    return result;
  }

  /** Every lazy form, described once: `form` says which (see `LAZY`). */
  #imap(
    method: string,
    fn: TaskFunction,
    input: Iterable<unknown> | AsyncIterable<unknown>,
    options: LazyMapOptions,
    form: LazyForm,
  ): AsyncIterableIterator<unknown> {
    checkCallChunksize(method, options.chunksize);
    checkIterable(method, input, true);
    const iterator = imapCall(
      this.#engine,
      jobSpec(this.#engine, fn, form.spread, options, method),
      input,
      options.chunksize,
      { ordered: form.ordered, settled: options.settled === true },
    );
    const { signal } = options;
    if (signal === undefined) return iterator;
    return abortable(iterator, signal);
  }

  /** Runs `start`, settling a Promise through it; an abort cancels and rejects. */
  #promise<T>(
    signal: AbortSignal | undefined,
    start: (settle: { resolve(value: T): void; reject(error: unknown): void }) => Started,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      let job: Started = null;
      const onAbort = (): void => {
        if (job) this.#engine.cancel(job);
        reject(signal!.reason);
      };
      const settle = {
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
        job = start(settle);
      } catch (error) {
        return reject(error);
      }
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  #handle<T>(result: AsyncResult<T>, start: () => Started): void {
    let job: Started;
    try {
      job = start();
    } catch (error) {
      result.reject(error as PoolError);
      return;
    }
    result.onCancel(() => {
      if (job) this.#engine.cancel(job);
    });
  }
}

/** Wraps an iterator so that `signal` aborting ends it with `signal.reason`. */
function abortable<T>(
  iterator: AsyncIterableIterator<T>,
  signal: AbortSignal,
): AsyncIterableIterator<T> {
  const stop = (): void => void iterator.return?.();
  signal.addEventListener("abort", stop, { once: true });
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    // One listener per pending call, removed when it settles: nothing accumulates over
    // millions of items.
    next: () =>
      new Promise<IteratorResult<T>>((resolve, reject) => {
        if (signal.aborted) {
          stop();
          return reject(signal.reason);
        }
        const onAbort = (): void => reject(signal.reason);
        signal.addEventListener("abort", onAbort, { once: true });
        iterator.next().then(
          (result) => {
            signal.removeEventListener("abort", onAbort);
            if (signal.aborted) reject(signal.reason);
            else resolve(result);
          },
          (error) => {
            signal.removeEventListener("abort", onAbort);
            reject(error);
          },
        );
      }),
    return: () => {
      signal.removeEventListener("abort", stop);
      return iterator.return?.() ?? Promise.resolve({ done: true, value: undefined });
    },
  };
}

/** How a lazy map runs, beside its options: its items are argument lists, its order. */
interface LazyForm {
  readonly spread: boolean;
  readonly ordered: boolean;
}

/** The lazy maps, one line each: the methods above are thin adapters over this table. */
const LAZY = {
  imap: { spread: false, ordered: true },
  imapUnordered: { spread: false, ordered: false },
  istarmap: { spread: true, ordered: true },
  istarmapUnordered: { spread: true, ordered: false },
} as const satisfies Record<string, LazyForm>;
