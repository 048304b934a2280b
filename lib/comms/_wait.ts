/**
 * Waiting on shared memory, shared by every primitive: deadlines, a blocking wait
 * (`Atomics.wait`), an async one (`Atomics.waitAsync`) that can be aborted and keeps
 * the event loop alive while it has a timeout, and a futex mutex over one Int32 cell.
 *
 * @module
 */
import { beforeBlocking } from "../shared/task_context.ts";

/** What a wait on a cell ended with. */
export type WaitResult = "ok" | "not-equal" | "timed-out";

/** `performance.now()` plus the timeout, or Infinity; throws on a bad timeout. */
export function deadlineOf(action: string, timeout: number | undefined): number {
  if (timeout === undefined) return Infinity;
  if (typeof timeout !== "number" || Number.isNaN(timeout) || timeout < 0) {
    throw new RangeError(
      `Cannot ${action} as 'timeout' must be a non-negative number of milliseconds: ` +
        `current value is ${String(timeout)}`,
    );
  }
  return timeout === Infinity ? Infinity : performance.now() + timeout;
}

/** Milliseconds left until `deadline` (never negative; Infinity for none). */
export function remaining(deadline: number): number {
  return deadline === Infinity ? Infinity : Math.max(0, deadline - performance.now());
}

/** Blocks while `cells[index] === expected`, until notified or the deadline. */
export function waitSync(
  cells: Int32Array,
  index: number,
  expected: number,
  deadline: number,
): WaitResult {
  beforeBlocking();
  return Atomics.wait(cells, index, expected, remaining(deadline));
}

// Deno does not count a pending `Atomics.waitAsync` as work: with nothing else to do, a
// program (or a test) would end while it waits, even when a wake-up from this very
// isolate is on its way. One timer, held while any async wait is pending, prevents that.
let pendingWaits = 0;
let keepAlive: ReturnType<typeof setInterval> | undefined;

function holdLoop(): void {
  if (pendingWaits++ === 0) keepAlive = setInterval(() => {}, 0x7fffffff);
}

function releaseLoop(): void {
  if (--pendingWaits === 0) {
    clearInterval(keepAlive);
    keepAlive = undefined;
  }
}

/**
 * Waits without blocking while `cells[index] === expected`, until notified, the deadline
 * (V8 ends the wait) or an abort (rejects with `signal.reason`). The event loop stays
 * alive meanwhile. An abandoned waiter that is woken later passes the wake-up on, so no
 * notification is lost.
 */
export function waitAsync(
  cells: Int32Array,
  index: number,
  expected: number,
  deadline: number,
  signal?: AbortSignal,
): Promise<WaitResult> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  const result = Atomics.waitAsync(cells, index, expected, remaining(deadline));
  if (!result.async) return Promise.resolve(result.value);
  holdLoop();
  return new Promise<WaitResult>((resolve, reject) => {
    let settled = false;
    const settle = (finish: () => void): void => {
      if (settled) return;
      settled = true;
      releaseLoop();
      signal?.removeEventListener("abort", onAbort);
      finish();
    };
    const onAbort = (): void => settle(() => reject(signal!.reason));
    signal?.addEventListener("abort", onAbort, { once: true });
    result.value.then((value) => {
      if (settled) {
        if (value === "ok") Atomics.notify(cells, index, 1);
        return;
      }
      settle(() => resolve(value));
    });
  });
}

// A futex mutex (Drepper's): 0 free, 1 held, 2 held with waiters.

/** Takes the mutex if it is free; never waits. */
export function tryLock(cells: Int32Array, index: number): boolean {
  return Atomics.compareExchange(cells, index, 0, 1) === 0;
}

/** Takes the mutex, blocking until the deadline; false when it timed out. */
export function lockSync(cells: Int32Array, index: number, deadline: number): boolean {
  let state = Atomics.compareExchange(cells, index, 0, 1);
  if (state === 0) return true;
  if (state !== 2) state = Atomics.exchange(cells, index, 2);
  while (state !== 0) {
    if (remaining(deadline) === 0) return false;
    beforeBlocking();
    Atomics.wait(cells, index, 2, remaining(deadline));
    state = Atomics.exchange(cells, index, 2);
  }
  return true;
}

/** Takes the mutex without blocking the event loop; false when it timed out. */
export async function lockAsync(
  cells: Int32Array,
  index: number,
  deadline: number,
  signal?: AbortSignal,
): Promise<boolean> {
  if (signal?.aborted) throw signal.reason;
  let state = Atomics.compareExchange(cells, index, 0, 1);
  if (state === 0) return true;
  if (state !== 2) state = Atomics.exchange(cells, index, 2);
  while (state !== 0) {
    if (remaining(deadline) === 0) return false;
    await waitAsync(cells, index, 2, deadline, signal);
    // Checked before taking it: a call that rejects with the abort reason holds nothing.
    if (signal?.aborted) throw signal.reason;
    state = Atomics.exchange(cells, index, 2);
  }
  return true;
}

/** Frees the mutex and wakes one waiter if there are any. */
export function unlock(cells: Int32Array, index: number): void {
  if (Atomics.sub(cells, index, 1) !== 1) {
    Atomics.store(cells, index, 0);
    Atomics.notify(cells, index, 1);
  }
}

/** Runs `f` under the mutex; for short critical sections with no await inside. */
export function locked<A>(cells: Int32Array, index: number, f: () => A): A {
  lockSync(cells, index, Infinity);
  try {
    return f();
  } finally {
    unlock(cells, index);
  }
}

/** An Int32Array over a new SharedArrayBuffer of `length` cells. */
export function sharedCells(length: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(length * 4));
}

/**
 * The cells of a shared object: over `shared` when it is revived in another isolate,
 * else `length` new ones. `shared` is the library's own argument: anything else there
 * (`new Lock(1)`) would make an object that is not shared at all, so it is refused.
 */
export function cellsOf(action: string, shared: unknown, length: number): Int32Array {
  if (shared === undefined) return sharedCells(length);
  if (shared instanceof SharedArrayBuffer) return new Int32Array(shared);
  throw new TypeError(
    `Cannot ${action} as its argument 'shared' is the library's own (the shared memory of ` +
      `one revived in a worker): received ${shared === null ? "null" : typeof shared}`,
  );
}

/** Checks that `data` carries a SharedArrayBuffer in `field`; for revivers. */
export function sharedField(data: Record<string, unknown>, field: string): SharedArrayBuffer {
  const value = data[field];
  if (!(value instanceof SharedArrayBuffer)) {
    throw new TypeError(`Cannot revive a shared object as its '${field}' is not shared memory`);
  }
  return value;
}

/** A number for this isolate (this process), to tell who holds an `RLock`. */
export const ISOLATE_ID: number = (crypto.getRandomValues(new Uint32Array(1))[0]! >>> 1) || 1;
