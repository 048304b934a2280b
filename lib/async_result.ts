/**
 * The handle `applyAsync`, `mapAsync`, `starmapAsync` and `submit` return, as Python's
 * `AsyncResult` and `concurrent.futures.Future` at once: poll it, wait on it with a
 * timeout, cancel it, add done callbacks, or simply await it.
 *
 * Only the library settles a handle: `makeAsyncResult` gives it together with its
 * `AsyncResultSettle`, and neither that function nor the settle object is exported from
 * `mod.ts`. The handle itself has no member that settles it.
 *
 * @module
 */
import { type PoolError, TaskCancelled, WaitTimeout } from "./errors.ts";

/**
 * Callbacks run when the result arrives, as Python's `callback`/`error_callback`.
 *
 * @typeParam T The value the task returns.
 * @typeParam E What the task can fail with (a cancelled handle fails with `TaskCancelled`).
 */
export interface AsyncResultCallbacks<T, E = PoolError> {
  /** Called with the value when the task succeeds. */
  readonly callback?: (value: T) => void;
  /** Called with the error when the task fails or is cancelled. */
  readonly errorCallback?: (error: E | TaskCancelled) => void;
}

/**
 * The library's side of a handle: settles it and tells it how to stop its work. Made
 * with the handle by `makeAsyncResult`; never given to users.
 *
 * @internal
 */
export interface AsyncResultSettle<T, E = PoolError> {
  /** Settles the handle with the task's value (ignored once settled). */
  resolve(value: T): void;
  /** Settles the handle with the task's error (ignored once settled). */
  reject(error: E | TaskCancelled): void;
  /** The task was handed to a worker (see `AsyncResult.running()`). */
  sent(): void;
  /** How `AsyncResult.cancel()` stops the work. */
  onCancel(cancel: () => void): void;
}

/** What a settled handle holds. */
export type AsyncResultOutcome<T, E> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: E | TaskCancelled };

/**
 * Reaches a handle's private state from this module's functions; set once by the class's
 * static block, the one place that can read `#` fields.
 */
interface Internals {
  make<T, E>(callbacks: AsyncResultCallbacks<T, E>): AsyncResult<T, E>;
  settle(handle: AsyncResult<unknown, unknown>, ok: boolean, value: unknown): void;
  sent(handle: AsyncResult<unknown, unknown>): void;
  onCancel(handle: AsyncResult<unknown, unknown>, cancel: () => void): void;
  outcome(handle: AsyncResult<unknown, unknown>): AsyncResultOutcome<unknown, unknown> | undefined;
  observe(handle: AsyncResult<unknown, unknown>, fn: () => void): () => void;
}
let internals: Internals;

/**
 * A result that will arrive. Await it directly, or use Python's methods. Handles come
 * from the pool (`applyAsync`, `submit`, `mapAsync`, `starmapAsync`); only the pool
 * settles them. On the Effect face, `AsyncResultEffect.get(handle)` awaits one.
 *
 * @typeParam T The value the task returns.
 * @typeParam E What the task can fail with, besides `TaskCancelled` after `cancel()`.
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
export class AsyncResult<T, E = PoolError> implements PromiseLike<T> {
  // Plain fields, no closure or object per state: programs hold many thousands of these.
  // The fields that take a T or an E are typed without them, so that an
  // AsyncResult<number> is an AsyncResult<unknown> (`wait` takes handles of mixed types).
  #status: "pending" | "fulfilled" | "rejected" | "cancelled" = "pending";
  #sent = false;
  /** The value or the error, once settled. */
  #outcome: unknown = undefined;
  readonly #callbacks: AsyncResultCallbacks<never, never>;
  /** Made only when someone awaits the handle: most handles are read once settled. */
  #promise: Promise<unknown> | null = null;
  #resolvers: PromiseWithResolvers<unknown> | null = null;
  #cancel: (() => void) | null = null;
  #doneCallbacks: Array<(handle: never) => void> | null = null;

  static {
    internals = {
      make: <T, E>(callbacks: AsyncResultCallbacks<T, E>) => new AsyncResult<T, E>(callbacks),
      settle: (handle, ok, value) => handle.#settle(ok, value),
      sent: (handle) => {
        handle.#sent = true;
      },
      onCancel: (handle, cancel) => {
        handle.#cancel = cancel;
      },
      outcome: (handle) => {
        if (handle.#status === "pending") return undefined;
        return handle.#status === "fulfilled"
          ? { ok: true, value: handle.#outcome }
          : { ok: false, error: handle.#outcome };
      },
      observe: (handle, fn) => {
        const callbacks = handle.#doneCallbacks ??= [];
        callbacks.push(fn);
        return () => {
          const index = handle.#doneCallbacks?.indexOf(fn) ?? -1;
          if (index >= 0) handle.#doneCallbacks!.splice(index, 1);
        };
      },
    };
  }

  private constructor(callbacks: AsyncResultCallbacks<T, E>) {
    this.#callbacks = callbacks as AsyncResultCallbacks<never, never>;
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
    if (this.ready()) return true;
    if (options.timeout === undefined) {
      await this.#settled().catch(() => {});
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
    return options.timeout === undefined ? this.#settled() : this.#within(options.timeout);
  }

  /**
   * The task's error once it ended, or `undefined` when it succeeded (Python's
   * `Future.exception()`): waits for the end, for at most `timeout` milliseconds.
   *
   * @returns The error the task failed with, or `undefined`.
   * @throws {TaskCancelled} The task was cancelled (Python raises `CancelledError`).
   * @throws {WaitTimeout} `timeout` milliseconds passed first; the task keeps running.
   */
  async exception(options: { readonly timeout?: number } = {}): Promise<E | undefined> {
    if (!this.ready()) {
      if (options.timeout === undefined) await this.#settled().catch(() => {});
      else {
        await this.#within(options.timeout).catch((error) => {
          if (error instanceof WaitTimeout) throw error;
        });
      }
    }
    if (this.#status === "cancelled") throw this.#outcome;
    return this.#status === "rejected" ? this.#outcome as E : undefined;
  }

  /**
   * Calls `fn(handle)` once the task ended (at once when it already has), as Python's
   * `Future.add_done_callback`. Callbacks run in the order they were added; one that
   * throws is reported on stderr and the others still run.
   *
   * @param fn Called with this handle.
   */
  addDoneCallback(fn: (handle: AsyncResult<T, E>) => void): void {
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
    this.#settle(
      false,
      new TaskCancelled({
        message: "The task was cancelled with AsyncResult.cancel() before it finished",
      }),
    );
    return true;
  }

  /** Makes the handle awaitable. */
  then<A = T, B = never>(
    onfulfilled?: ((value: T) => A | PromiseLike<A>) | null,
    onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.#settled().then(onfulfilled, onrejected);
  }

  #settle(ok: boolean, value: unknown): void {
    if (this.#status !== "pending") return;
    this.#status = ok ? "fulfilled" : value instanceof TaskCancelled ? "cancelled" : "rejected";
    this.#outcome = value;
    if (ok) {
      this.#resolvers?.resolve(value);
      this.#callbacks.callback?.(value as never);
    } else {
      this.#resolvers?.reject(value);
      this.#callbacks.errorCallback?.(value as never);
    }
    const callbacks = this.#doneCallbacks;
    if (callbacks === null) return;
    this.#doneCallbacks = null;
    for (const fn of callbacks) runCallback(fn as (handle: AsyncResult<T, E>) => void, this);
  }

  /** The Promise of the outcome, made on first use. */
  #settled(): Promise<T> {
    if (this.#promise === null) {
      if (this.#status === "pending") {
        this.#resolvers = Promise.withResolvers<unknown>();
        this.#promise = this.#resolvers.promise;
      } else {
        this.#promise = this.#status === "fulfilled"
          ? Promise.resolve(this.#outcome)
          : Promise.reject(this.#outcome);
      }
      // Read through `get()` and dropped, a failure must not be an unhandled rejection.
      this.#promise.catch(() => {});
    }
    return this.#promise as Promise<T>;
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
    return Promise.race([this.#settled(), expired]).finally(() => clearTimeout(timer));
  }
}

/** The settle object of one handle: a thin door to its private state. */
class Settle<T, E> implements AsyncResultSettle<T, E> {
  readonly #handle: AsyncResult<unknown, unknown>;
  constructor(handle: AsyncResult<unknown, unknown>) {
    this.#handle = handle;
  }
  resolve(value: T): void {
    internals.settle(this.#handle, true, value);
  }
  reject(error: E | TaskCancelled): void {
    internals.settle(this.#handle, false, error);
  }
  sent(): void {
    internals.sent(this.#handle);
  }
  onCancel(cancel: () => void): void {
    internals.onCancel(this.#handle, cancel);
  }
}

/**
 * A new pending handle and the one object that settles it. For the library's pool
 * faces; not exported from `mod.ts`.
 *
 * @internal
 */
export function makeAsyncResult<T, E = PoolError>(
  callbacks: AsyncResultCallbacks<T, E> = {},
): [AsyncResult<T, E>, AsyncResultSettle<T, E>] {
  const handle = internals.make(callbacks);
  return [handle, new Settle<T, E>(handle as AsyncResult<unknown, unknown>)];
}

/**
 * The outcome of a settled handle, or `undefined` while it is pending: for the Effect
 * face, which reads it without a Promise.
 *
 * @internal
 */
export function outcomeOf<T, E>(handle: AsyncResult<T, E>): AsyncResultOutcome<T, E> | undefined {
  return internals.outcome(handle as AsyncResult<unknown, unknown>) as
    | AsyncResultOutcome<T, E>
    | undefined;
}

/**
 * Calls `fn` once the pending `handle` settles; the returned function takes it back
 * (an interrupted wait must not leave its callback behind).
 *
 * @internal
 */
export function observe(handle: AsyncResult<unknown, unknown>, fn: () => void): () => void {
  return internals.observe(handle, fn);
}

/** Runs a done callback; its error must not stop the others (Python logs it too). */
function runCallback<T, E>(
  fn: (handle: AsyncResult<T, E>) => void,
  handle: AsyncResult<T, E>,
): void {
  try {
    fn(handle);
  } catch (error) {
    console.error("A done callback of an AsyncResult threw:", error);
  }
}
