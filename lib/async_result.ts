/**
 * The handle `applyAsync`, `mapAsync`, `starmapAsync` and `submit` return, as Python's
 * `AsyncResult` and `concurrent.futures.Future` at once: poll it, wait on it with a
 * timeout, cancel it, add done callbacks, or simply await it.
 *
 * @module
 */
import type * as Effect from "effect/Effect";
import { type PoolError, TaskCancelled, WaitTimeout } from "./errors.ts";

/**
 * How a handle becomes an Effect: installed by the Effect face when it loads
 * (`async_result_effect.ts`), so that the Promise face never loads Effect.
 */
let toEffect: (<T>(result: AsyncResult<T>) => Effect.Effect<T, PoolError>) | undefined;

/** Installs `handle.effect`; called once by `async_result_effect.ts`. */
export function installEffect(
  convert: <T>(result: AsyncResult<T>) => Effect.Effect<T, PoolError>,
): void {
  toEffect = convert;
}

/** Callbacks run when the result arrives, as Python's `callback`/`error_callback`. */
export interface AsyncResultCallbacks<T> {
  /** Called with the value when the task succeeds. */
  readonly callback?: (value: T) => void;
  /** Called with the error when the task fails. */
  readonly errorCallback?: (error: PoolError) => void;
}

/**
 * A result that will arrive. Await it directly, or use Python's methods.
 *
 * @typeParam T The value the task returns.
 *
 * @example Polling and waiting
 * ```ts
 * import { inline, Pool } from "../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const square = inline((x: number) => x * x);
 *
 * await using pool = await Pool.open({ processes: 1 });
 * const result = pool.applyAsync(square, [7]);
 * assert.equal(await result.wait({ timeout: 5000 }), true);
 * assert.equal(result.successful(), true);
 * assert.equal(await result, 49);
 * ```
 */
export class AsyncResult<T> implements PromiseLike<T> {
  // Plain fields, no closure or object per state: programs hold many thousands of these.
  #status: "pending" | "fulfilled" | "rejected" | "cancelled" = "pending";
  #sent = false;
  #error: PoolError | undefined = undefined;
  // The fields that take a T are typed without it, so that an AsyncResult<number> is an
  // AsyncResult<unknown> (`wait` and `asCompleted` take handles of mixed types).
  readonly #callbacks: AsyncResultCallbacks<never>;
  readonly #promise: Promise<T>;
  readonly #resolvers: PromiseWithResolvers<unknown>;
  #cancel: (() => void) | null = null;
  #doneCallbacks: Array<(handle: never) => void> | null = null;

  /** Internal: made by the pool. */
  constructor(callbacks: AsyncResultCallbacks<T> = {}) {
    this.#callbacks = callbacks as AsyncResultCallbacks<never>;
    this.#resolvers = Promise.withResolvers<unknown>();
    this.#promise = this.#resolvers.promise as Promise<T>;
    // The handle may be dropped unread; its failure must not become an unhandled rejection.
    this.#promise.catch(() => {});
  }

  /** Internal: the pool tells the handle how to stop its work. */
  onCancel(cancel: () => void): void {
    this.#cancel = cancel;
  }

  /** Internal: the pool says the task was handed to a worker (see `running()`). */
  markSent(): void {
    this.#sent = true;
  }

  /** Internal: the pool settles the handle. */
  resolve(value: T): void {
    if (this.#status !== "pending") return;
    this.#status = "fulfilled";
    this.#resolvers.resolve(value);
    (this.#callbacks.callback as ((value: T) => void) | undefined)?.(value);
    this.#settled();
  }

  /** Internal: the pool settles the handle. */
  reject(error: PoolError): void {
    if (this.#status !== "pending") return;
    this.#status = error instanceof TaskCancelled ? "cancelled" : "rejected";
    this.#error = error;
    this.#resolvers.reject(error);
    this.#callbacks.errorCallback?.(error);
    this.#settled();
  }

  /** Whether the result has arrived (success or failure). */
  ready(): boolean {
    return this.#status !== "pending";
  }

  /**
   * Whether the task ended: succeeded, failed or was cancelled (Python's
   * `Future.done()`; the same as `ready()`).
   */
  done(): boolean {
    return this.#status !== "pending";
  }

  /**
   * Whether the task was handed to a worker and has not ended (Python's
   * `Future.running()`), for handles of `submit` and `applyAsync` (a `mapAsync`
   * handle, spread over many chunks, says false). The pool knows when it sends a task,
   * not when the worker starts it: a task sent ahead to a busy worker counts as
   * running. Unlike Python's, a running task can still be cancelled (cooperatively,
   * see `cancel()`).
   */
  running(): boolean {
    return this.#sent && this.#status === "pending";
  }

  /** Whether the task was cancelled with `cancel()` before it ended. */
  cancelled(): boolean {
    return this.#status === "cancelled";
  }

  /**
   * Whether the task succeeded.
   *
   * @throws {Error} When the result has not arrived yet, as Python raises `ValueError`.
   */
  successful(): boolean {
    if (this.#status === "pending") {
      throw new Error(
        "Cannot tell whether the task succeeded as it has not finished: call ready() first",
      );
    }
    return this.#status === "fulfilled";
  }

  /**
   * Waits for the result, for at most `timeout` milliseconds; never fails.
   *
   * @returns Whether the result arrived.
   */
  async wait(options: { readonly timeout?: number } = {}): Promise<boolean> {
    if (this.ready() || options.timeout === undefined) {
      await this.#promise.catch(() => {});
      return true;
    }
    await this.#within(options.timeout).catch(() => {});
    return this.ready();
  }

  /**
   * The value, once it arrives; rejects with the task's error, or with `WaitTimeout`
   * when `timeout` milliseconds pass first (the task keeps running).
   */
  get(options: { readonly timeout?: number } = {}): Promise<T> {
    return options.timeout === undefined ? this.#promise : this.#within(options.timeout);
  }

  /**
   * The task's error once it ended, or `undefined` when it succeeded (Python's
   * `Future.exception()`): waits for the end, for at most `timeout` milliseconds.
   *
   * @returns The error the task failed with, or `undefined`.
   * @throws {TaskCancelled} The task was cancelled (Python raises `CancelledError`).
   * @throws {WaitTimeout} `timeout` milliseconds passed first; the task keeps running.
   */
  async exception(options: { readonly timeout?: number } = {}): Promise<PoolError | undefined> {
    if (!this.ready()) {
      if (options.timeout === undefined) await this.#promise.catch(() => {});
      else {
        await this.#within(options.timeout).catch((error) => {
          if (error instanceof WaitTimeout) throw error;
        });
      }
    }
    if (this.#status === "cancelled") throw this.#error;
    return this.#error;
  }

  /**
   * Calls `fn(handle)` once the task ended (at once when it already has), as Python's
   * `Future.add_done_callback`. Callbacks run in the order they were added; one that
   * throws is reported on stderr and the others still run.
   *
   * @param fn Called with this handle.
   */
  addDoneCallback(fn: (handle: AsyncResult<T>) => void): void {
    if (typeof fn !== "function") {
      throw new TypeError(
        `Cannot add a done callback as 'fn' must be a function: received ${typeof fn}`,
      );
    }
    if (this.ready()) return runCallback(fn, this);
    (this.#doneCallbacks ??= []).push(fn as (handle: never) => void);
  }

  /**
   * Cancels the work: queued parts never run, running parts stop, and the handle
   * rejects with `TaskCancelled`.
   *
   * @returns True when the handle is cancelled now (or was already); false when the
   *   task had already ended otherwise (Python's `Future.cancel()`).
   */
  cancel(): boolean {
    if (this.ready()) return this.#status === "cancelled";
    this.#cancel?.();
    this.reject(
      new TaskCancelled({
        message: "The task was cancelled with AsyncResult.cancel() before it finished",
      }),
    );
    return true;
  }

  /**
   * The result as an Effect, for the Effect face (`@multiprocessing/deno/effect`, which
   * must be loaded: importing anything from it is enough).
   *
   * @throws {TypeError} The Effect face is not loaded.
   */
  get effect(): Effect.Effect<T, PoolError> {
    if (toEffect === undefined) {
      throw new TypeError(
        "Cannot read 'handle.effect' as the Effect face is not loaded: import the Effect face " +
          'from "@multiprocessing/deno/effect" (e.g. `import { Pool } from ' +
          '"@multiprocessing/deno/effect"`) rather than from "@multiprocessing/deno"',
      );
    }
    return toEffect(this);
  }

  /** Makes the handle awaitable. */
  then<A = T, B = never>(
    onfulfilled?: ((value: T) => A | PromiseLike<A>) | null,
    onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.#promise.then(onfulfilled, onrejected);
  }

  #settled(): void {
    const callbacks = this.#doneCallbacks;
    if (callbacks === null) return;
    this.#doneCallbacks = null;
    for (const fn of callbacks) runCallback(fn as (handle: AsyncResult<T>) => void, this);
  }

  #within(timeout: number): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new WaitTimeout({
              message: `The result was not ready within ${timeout} ms; the task keeps running`,
              timeout,
            }),
          ),
        timeout,
      );
    });
    return Promise.race([this.#promise, expired]).finally(() => clearTimeout(timer));
  }
}

/** Runs a done callback; its error must not stop the others (Python logs it too). */
function runCallback<T>(fn: (handle: AsyncResult<T>) => void, handle: AsyncResult<T>): void {
  try {
    fn(handle);
  } catch (error) {
    console.error("A done callback of an AsyncResult threw:", error);
  }
}
