/**
 * What a running task may ask about its own fate: whether it was cancelled (by the
 * caller's signal, an Effect interruption, or a timeout), as a cheap check for
 * synchronous loops and as an `AbortSignal` for asynchronous code.
 *
 * @module
 */
import { isCancelled } from "./protocol.ts";

let bits: Int32Array | null = null;
let jobId = -1;
let controller: AbortController | null = null;
let blocking: (() => void) | null = null;

/** Called by the runtime: what must happen before a task blocks its thread. */
export function setBeforeBlocking(hook: (() => void) | null): void {
  blocking = hook;
}

/**
 * Called by the shared-memory primitives before `Atomics.wait`. The runtime sends the
 * answers it holds back, so a finished call's result never waits behind a task that
 * waits for the main side to see that result.
 */
export function beforeBlocking(): void {
  blocking?.();
}

/** Called by the runtime when a chunk starts and ends. */
export function enterTask(cancelBits: Int32Array | null, job: number): void {
  bits = cancelBits;
  jobId = job;
  controller = null;
}

/** Called by the runtime when the main side cancels `job` while it waits. */
export function abortTask(job: number): void {
  if (job === jobId) controller?.abort(cancelledReason());
}

/**
 * Whether the task running now was cancelled. Cheap enough to call in a hot loop: a
 * synchronous task that checks it stops as soon as it is cancelled, where a worker busy
 * in synchronous code could not otherwise be stopped.
 *
 * @returns `true` once the call this task belongs to was cancelled or timed out.
 *
 * @example Stopping a long loop early
 * ```ts
 * import { cancelled } from "./task_context.ts";
 *
 * export function countPrimes(limit: number): number {
 *   let count = 0;
 *   for (let n = 2; n < limit; n++) {
 *     if (n % 1024 === 0 && cancelled()) break;
 *     let prime = true;
 *     for (let d = 2; d * d <= n; d++) if (n % d === 0) prime = false;
 *     if (prime) count++;
 *   }
 *   return count;
 * }
 * countPrimes(100);
 * ```
 */
export function cancelled(): boolean {
  return bits !== null && jobId >= 0 && isCancelled(bits, jobId);
}

/**
 * An `AbortSignal` for the task running now: pass it to `fetch`, timers or your own
 * async code. It aborts when the call is cancelled; in synchronous code, call
 * `taskSignal()` again (or `cancelled()`) to see a cancellation that arrived meanwhile.
 *
 * @returns The running task's signal (never aborted outside a task).
 *
 * @example Passing the signal on
 * ```ts
 * import { taskSignal } from "./task_context.ts";
 *
 * export async function wait(ms: number): Promise<void> {
 *   const signal = taskSignal();
 *   await new Promise<void>((resolve, reject) => {
 *     const timer = setTimeout(resolve, ms);
 *     signal.addEventListener("abort", () => {
 *       clearTimeout(timer);
 *       reject(signal.reason);
 *     });
 *   });
 * }
 * await wait(1);
 * ```
 */
export function taskSignal(): AbortSignal {
  controller ??= new AbortController();
  if (!controller.signal.aborted && cancelled()) controller.abort(cancelledReason());
  return controller.signal;
}

function cancelledReason(): Error {
  const error = new Error("The task was cancelled");
  error.name = "AbortError";
  return error;
}
