/**
 * The handle `applyAsync`, `mapAsync` and `starmapAsync` return, as Python's
 * `AsyncResult`: poll it, wait on it with a timeout, cancel it, or simply await it.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import { type PoolError, TaskCancelled, WaitTimeout } from "./errors.ts";

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
  #status: "pending" | "fulfilled" | "rejected" = "pending";
  readonly #callbacks: AsyncResultCallbacks<T>;
  readonly #promise: Promise<T>;
  readonly #resolvers: PromiseWithResolvers<T>;
  #cancel: (() => void) | null = null;

  /** Internal: made by the pool. */
  constructor(callbacks: AsyncResultCallbacks<T> = {}) {
    this.#callbacks = callbacks;
    this.#resolvers = Promise.withResolvers<T>();
    this.#promise = this.#resolvers.promise;
    // The handle may be dropped unread; its failure must not become an unhandled rejection.
    this.#promise.catch(() => {});
  }

  /** Internal: the pool tells the handle how to stop its work. */
  onCancel(cancel: () => void): void {
    this.#cancel = cancel;
  }

  /** Internal: the pool settles the handle. */
  resolve(value: T): void {
    if (this.#status !== "pending") return;
    this.#status = "fulfilled";
    this.#resolvers.resolve(value);
    this.#callbacks.callback?.(value);
  }

  /** Internal: the pool settles the handle. */
  reject(error: PoolError): void {
    if (this.#status !== "pending") return;
    this.#status = "rejected";
    this.#resolvers.reject(error);
    this.#callbacks.errorCallback?.(error);
  }

  /** Whether the result has arrived (success or failure). */
  ready(): boolean {
    return this.#status !== "pending";
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
   * Cancels the work: queued parts never run, running parts stop, and the handle
   * rejects with `TaskCancelled` (unless the result had already arrived).
   */
  cancel(): void {
    if (this.ready()) return;
    this.#cancel?.();
    this.reject(
      new TaskCancelled({
        message: "The task was cancelled with AsyncResult.cancel() before it finished",
      }),
    );
  }

  /** The result as an Effect, for the Effect face. */
  get effect(): Effect.Effect<T, PoolError> {
    return Effect.callback<T, PoolError>((resume) => {
      this.#promise.then(
        (value) => resume(Effect.succeed(value)),
        (error: PoolError) => resume(Effect.fail(error)),
      );
    });
  }

  /** Makes the handle awaitable. */
  then<A = T, B = never>(
    onfulfilled?: ((value: T) => A | PromiseLike<A>) | null,
    onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.#promise.then(onfulfilled, onrejected);
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
