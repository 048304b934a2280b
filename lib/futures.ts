/**
 * Python's `concurrent.futures` over the handles a pool gives (`pool.submit`,
 * `applyAsync`, ...): `wait` for the first, the first failure or all of them, and
 * `asCompleted` to take them in the order they end. How `pool.submit` starts a task for
 * a handle is in `futures_submit.ts`; `pool.mapZip` (Python's `Executor.map`) is in
 * `map_zip.ts`.
 *
 * @example Taking results as they come
 * ```ts
 * import { asCompleted, inline, Pool } from "../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const square = inline((x: number) => x * x);
 *
 * await using pool = await Pool.open({ processes: 2 });
 * const handles = [1, 2, 3].map((x) => pool.submit(square, x));
 * const seen: number[] = [];
 * for await (const { handle } of asCompleted(handles, { timeout: 10_000 })) {
 *   seen.push(await handle);
 * }
 * assert.deepEqual(seen.sort(), [1, 4, 9]);
 * ```
 *
 * @module
 */
import { AsyncResult } from "./async_result.ts";
import { WaitTimeout } from "./errors.ts";

export { startFuture } from "./futures_submit.ts";

/** `wait` returns once any handle ended (Python's `FIRST_COMPLETED`). */
export const FIRST_COMPLETED = "FIRST_COMPLETED";
/**
 * `wait` returns once any handle failed, or all ended (Python's `FIRST_EXCEPTION`); a
 * cancelled handle does not count as a failure.
 */
export const FIRST_EXCEPTION = "FIRST_EXCEPTION";
/** `wait` returns once every handle ended (Python's `ALL_COMPLETED`, the default). */
export const ALL_COMPLETED = "ALL_COMPLETED";

/** When `wait` returns. */
export type ReturnWhen = typeof FIRST_COMPLETED | typeof FIRST_EXCEPTION | typeof ALL_COMPLETED;

/** Options of `wait`. */
export interface FuturesWaitOptions {
  /** When to return. @default {"ALL_COMPLETED"} */
  readonly returnWhen?: ReturnWhen;
  /**
   * Milliseconds to wait at most; then `wait` returns the sets as they are (it does not
   * fail, as in Python). @default Infinity
   */
  readonly timeout?: number;
  /** Stops waiting: the call rejects with `signal.reason` (the tasks keep running). */
  readonly signal?: AbortSignal;
}

/** Options of `asCompleted`. */
export interface AsCompletedOptions {
  /**
   * Milliseconds from the call after which the iteration fails with `WaitTimeout` if
   * handles are still unfinished (the tasks keep running). @default Infinity
   */
  readonly timeout?: number;
  /** Stops the iteration: `next()` rejects with `signal.reason`. */
  readonly signal?: AbortSignal;
}

/**
 * What `asCompleted` yields for each handle that ended: the handle itself, wrapped so
 * that `for await` does not take its value (a handle is awaitable, and a loop over
 * awaitables would be typed as their values), and its position among the handles.
 *
 * @typeParam H The handles' type.
 */
export interface Completed<H> {
  /** The handle that ended: `await` it for its value, or ask it `successful()`. */
  readonly handle: H;
  /** Its position in the handles given to `asCompleted` (the first, if given twice). */
  readonly index: number;
}

/**
 * What `wait` returns: the handles that ended, and the others (Python's
 * `DoneAndNotDoneFutures`).
 *
 * @typeParam H The handles' type.
 */
export interface DoneAndNotDone<H> {
  /** Handles that ended: succeeded, failed or were cancelled. */
  readonly done: Set<H>;
  /** Handles still pending. */
  readonly notDone: Set<H>;
}

/**
 * Waits until handles end, as Python's `concurrent.futures.wait`: once any ended
 * (`FIRST_COMPLETED`), any failed (`FIRST_EXCEPTION`) or all ended (`ALL_COMPLETED`),
 * or the timeout passed. Never fails because a task failed, nor on the timeout.
 *
 * @typeParam H The handles' type (`AsyncResult<number>`, or a mix).
 * @param handles The handles (from `submit`, `applyAsync`, `mapAsync`...); repeats count once.
 * @param options `returnWhen`, `timeout` (ms), `signal`.
 * @returns The handles that ended and those that did not.
 * @throws {RangeError} `returnWhen` or `timeout` is invalid.
 *
 * @example Waiting for the first to end
 * ```ts
 * import { FIRST_COMPLETED, inline, Pool, wait } from "../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const square = inline((x: number) => x * x);
 *
 * await using pool = await Pool.open({ processes: 2 });
 * const handles = [pool.submit(square, 2), pool.submit(square, 3)];
 * const { done, notDone } = await wait(handles, { returnWhen: FIRST_COMPLETED });
 * assert.ok(done.size >= 1);
 * assert.equal(done.size + notDone.size, 2);
 * ```
 */
export function wait<H extends AsyncResult<unknown>>(
  handles: Iterable<H>,
  options: FuturesWaitOptions = {},
): Promise<DoneAndNotDone<H>> {
  let all: Set<H>;
  let returnWhen: ReturnWhen;
  let timeout: number;
  try {
    all = new Set(handleSet("wait", handles).keys());
    returnWhen = checkReturnWhen(options.returnWhen);
    timeout = checkTimeout("wait", options.timeout);
  } catch (error) {
    return Promise.reject(error);
  }
  const { signal } = options;
  const split = (): DoneAndNotDone<H> => {
    const done = new Set<H>();
    const notDone = new Set<H>();
    for (const handle of all) (handle.done() ? done : notDone).add(handle);
    return { done, notDone };
  };
  const satisfied = (): boolean => {
    let pending = 0;
    let ended = 0;
    for (const handle of all) {
      if (!handle.done()) {
        pending++;
        continue;
      }
      ended++;
      if (returnWhen === FIRST_EXCEPTION && failed(handle)) return true;
    }
    return pending === 0 || (returnWhen === FIRST_COMPLETED && ended > 0);
  };
  if (signal?.aborted) return Promise.reject(signal.reason);
  if (satisfied()) return Promise.resolve(split());
  return new Promise((resolve, reject) => {
    let finished = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const finish = (outcome: () => void): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      outcome();
    };
    const onAbort = (): void => finish(() => reject(signal!.reason));
    signal?.addEventListener("abort", onAbort, { once: true });
    if (timeout !== Infinity) timer = setTimeout(() => finish(() => resolve(split())), timeout);
    for (const handle of all) {
      if (handle.done()) continue;
      handle.addDoneCallback(() => {
        if (!finished && satisfied()) finish(() => resolve(split()));
      });
    }
  });
}

/**
 * Yields the handles as they end, fastest first, as Python's
 * `concurrent.futures.as_completed`: those already ended first, then each as it ends.
 * Each comes as `{ handle, index }`: await the handle for its value (or its error);
 * `index` is its position among `handles`.
 *
 * @typeParam H The handles' type.
 * @param handles The handles; repeats are yielded once.
 * @param options `timeout` (ms, from this call), `signal`.
 * @returns An async iterator of `{ handle, index }`, in completion order.
 * @throws {WaitTimeout} From `next()`, when `timeout` passed with handles unfinished.
 *
 * @example The quickest first
 * ```ts
 * import { asCompleted, inline, Pool } from "../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const echo = inline((x: number) => x);
 *
 * await using pool = await Pool.open({ processes: 1 });
 * const handles = [pool.submit(echo, 1), pool.submit(echo, 2)];
 * const seen: number[] = [];
 * for await (const { handle, index } of asCompleted(handles)) {
 *   assert.ok(handle.done());
 *   seen.push(index);
 * }
 * assert.deepEqual(seen.sort(), [0, 1]);
 * ```
 */
export function asCompleted<H extends AsyncResult<unknown>>(
  handles: Iterable<H>,
  options: AsCompletedOptions = {},
): AsyncIterableIterator<Completed<H>> {
  const all = handleSet("asCompleted", handles);
  const timeout = checkTimeout("asCompleted", options.timeout);
  return new AsCompleted(all, timeout, options.signal);
}

/** The iterator of `asCompleted`: a queue of ended handles fed by done callbacks. */
class AsCompleted<H extends AsyncResult<unknown>> implements AsyncIterableIterator<Completed<H>> {
  readonly #ended: Completed<H>[] = [];
  readonly #total: number;
  readonly #deadline: number;
  readonly #timeout: number;
  readonly #signal: AbortSignal | undefined;
  #pending: number;
  #closed = false;
  #wake: (() => void) | null = null;

  constructor(all: Map<H, number>, timeout: number, signal: AbortSignal | undefined) {
    this.#total = all.size;
    this.#timeout = timeout;
    this.#deadline = timeout === Infinity ? Infinity : performance.now() + timeout;
    this.#signal = signal;
    this.#pending = 0;
    for (const [handle, index] of all) {
      const completed = { handle, index };
      if (handle.done()) {
        this.#ended.push(completed);
        continue;
      }
      this.#pending++;
      handle.addDoneCallback(() => {
        if (this.#closed) return;
        this.#pending--;
        this.#ended.push(completed);
        this.#wake?.();
      });
    }
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<Completed<H>>> {
    const signal = this.#signal;
    if (signal?.aborted) {
      this.#closed = true;
      return Promise.reject(signal.reason);
    }
    const ended = this.#ended.shift();
    if (ended !== undefined) return Promise.resolve({ done: false, value: ended });
    if (this.#closed || this.#pending === 0) {
      this.#closed = true;
      return Promise.resolve({ done: true, value: undefined });
    }
    return new Promise((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const settle = (outcome: () => void): void => {
        this.#wake = null;
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        outcome();
      };
      const onAbort = (): void =>
        settle(() => {
          this.#closed = true;
          reject(signal!.reason);
        });
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#wake = () => settle(() => resolve({ done: false, value: this.#ended.shift()! }));
      if (this.#deadline !== Infinity) {
        timer = setTimeout(
          () =>
            settle(() => {
              this.#closed = true;
              reject(
                new WaitTimeout({
                  message: `${this.#pending} (of ${this.#total}) results were unfinished after ` +
                    `${this.#timeout} ms; their tasks keep running (cancel() them to stop them)`,
                  timeout: this.#timeout,
                }),
              );
            }),
          Math.max(0, this.#deadline - performance.now()),
        );
      }
    });
  }

  return(): Promise<IteratorResult<Completed<H>>> {
    this.#closed = true;
    this.#ended.length = 0;
    return Promise.resolve({ done: true, value: undefined });
  }
}

function failed(handle: AsyncResult<unknown>): boolean {
  return handle.done() && !handle.cancelled() && !handle.successful();
}

/** The handles, each once, with the position where it first appears. */
function handleSet<H>(method: string, handles: Iterable<H>): Map<H, number> {
  if (
    handles === null || handles === undefined ||
    typeof (handles as Iterable<H>)[Symbol.iterator] !== "function"
  ) {
    throw new TypeError(
      `Cannot call ${method}() as 'handles' must be an iterable of AsyncResult: received ${
        handles === null ? "null" : typeof handles
      }`,
    );
  }
  const all = new Map<H, number>();
  let index = 0;
  for (const handle of handles) {
    if (!all.has(handle)) all.set(handle, index);
    index++;
    if (!(handle instanceof AsyncResult)) {
      throw new TypeError(
        `Cannot call ${method}() as every handle must be an AsyncResult (from submit, ` +
          `applyAsync, mapAsync or starmapAsync): received ${describe(handle)}`,
      );
    }
  }
  return all;
}

function checkReturnWhen(value: unknown): ReturnWhen {
  if (value === undefined) return ALL_COMPLETED;
  if (value === FIRST_COMPLETED || value === FIRST_EXCEPTION || value === ALL_COMPLETED) {
    return value;
  }
  throw new RangeError(
    `Cannot wait as 'returnWhen' must be "FIRST_COMPLETED", "FIRST_EXCEPTION" or ` +
      `"ALL_COMPLETED": current value is ${describe(value)}`,
  );
}

/**
 * The timeout in ms (Infinity for none); throws a RangeError naming `method`.
 *
 * @internal
 */
export function checkTimeout(method: string, timeout: unknown): number {
  if (timeout === undefined) return Infinity;
  if (typeof timeout !== "number" || Number.isNaN(timeout) || timeout < 0) {
    throw new RangeError(
      `Cannot call ${method}() as 'timeout' must be a non-negative number of milliseconds: ` +
        `current value is ${describe(timeout)}`,
    );
  }
  return timeout;
}

/**
 * Whether `value` can be iterated, synchronously or not.
 *
 * @internal
 */
export function isIterable(value: unknown): boolean {
  return typeof value === "object" && value !== null &&
      (typeof (value as Iterable<unknown>)[Symbol.iterator] === "function" ||
        typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function") ||
    typeof value === "string";
}

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value === null || typeof value !== "object") return String(value);
  return value.constructor?.name ?? "an object";
}
