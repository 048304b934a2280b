/**
 * The one hook every view of a pool's work hangs on (its stats, Effect metrics, tracing
 * spans): the engine tells its observers, synchronously, when a chunk joins the queue,
 * when it starts on a worker, and when its run ends. An engine with no observer pays one
 * `if` per event; observers keep their own books.
 *
 * @module
 */
import type { Chunk } from "./engine_types.ts";
import type { PoolError } from "./errors.ts";

/**
 * How a chunk's run ended:
 * - `"done"`: its worker answered, and every item succeeded;
 * - `"task-error"`: its worker answered, and the task threw for one item or more (`error`
 *   is the first one's);
 * - `"failed"`: the chunk as a whole failed: its worker crashed or broke the protocol, it
 *   timed out, its function was not found or its arguments could not be sent, or the pool
 *   stopped (`error` says which: `WorkerCrashed`, `TaskTimeout`, `PoolClosed`, ...);
 * - `"cancelled"`: its call was cancelled (an abort, a `break`, an interruption, or a
 *   fail-fast `map` whose other chunk failed); `error` is null.
 *
 * @example
 * ```ts
 * import type { ChunkOutcome } from "./engine_observer.ts";
 * import assert from "node:assert/strict";
 *
 * const lost = (outcome: ChunkOutcome): boolean => outcome === "failed";
 * assert.equal(lost("task-error"), false);
 * ```
 */
export type ChunkOutcome = "done" | "task-error" | "failed" | "cancelled";

/**
 * What an observer of the engine hears. Every callback is optional and called
 * synchronously, inside the engine's own step: it must be quick and must not throw (a
 * throw is caught and handed to `reportError`, as an uncaught error, which ends the
 * program unless a global `error` listener prevents it). `at` is
 * `performance.now()`. The chunk tells the call it belongs to (`chunk.job.task`, the
 * function's name; `chunk.job.ref`, its reference), its size (`chunk.items.length`), and
 * the engine's stamps `chunk.queuedAt` and `chunk.startedAt`.
 *
 * Each chunk queued ends exactly once per run: `chunkQueued`, then `chunkStarted` (unless
 * it ends before it starts: cancelled, unsendable, the pool stopped), then `chunkEnded`.
 * A chunk run again after a failure (`retries`) ends that run and is queued again, with
 * `chunk.attempts` counting the runs before. Times are as this program sees them: a
 * chunk starts when it reaches the head of its worker's line (chunks are sent ahead of
 * time), and a cancelled chunk still waiting in the queue ends when the queue reaches it.
 *
 * @example Counting chunks by outcome
 * ```ts
 * import type { ChunkOutcome, EngineObserver } from "./engine_observer.ts";
 * import assert from "node:assert/strict";
 *
 * const ended = new Map<ChunkOutcome, number>();
 * const counter: EngineObserver = {
 *   chunkEnded(_chunk, outcome) {
 *     ended.set(outcome, (ended.get(outcome) ?? 0) + 1);
 *   },
 * };
 * // The engine calls it as `new Engine({ ...options, observer: counter })` runs work.
 * counter.chunkEnded?.({} as never, "done", null, performance.now());
 * assert.equal(ended.get("done"), 1);
 * ```
 */
export interface EngineObserver {
  /** `chunk` joined the queue: a call submitted it, or it is queued again to be retried. */
  chunkQueued?(chunk: Chunk, at: number): void;
  /** `chunk` started running on the worker named `worker` (its `currentProcess().name`). */
  chunkStarted?(chunk: Chunk, worker: string, at: number): void;
  /** `chunk`'s run ended with `outcome`; `error` is what its call hears, if anything. */
  chunkEnded?(chunk: Chunk, outcome: ChunkOutcome, error: PoolError | null, at: number): void;
}

/**
 * Several observers as one, which calls each in turn; what an observer throws is handed
 * to `reportError`, never to the engine, whose books stay straight. Null when there are
 * none, so that the engine's one `if` skips the whole hook.
 *
 * @example
 * ```ts
 * import { combineObservers } from "./engine_observer.ts";
 * import assert from "node:assert/strict";
 *
 * const heard: string[] = [];
 * const both = combineObservers([
 *   { chunkQueued: () => heard.push("stats") },
 *   { chunkQueued: () => heard.push("tracing"), chunkEnded: () => heard.push("end") },
 * ]);
 * both?.chunkQueued({} as never, 0);
 * both?.chunkEnded({} as never, "done", null, 1);
 * assert.deepEqual(heard, ["stats", "tracing", "end"]);
 * assert.equal(combineObservers([]), null);
 * ```
 */
export function combineObservers(
  observers: readonly EngineObserver[],
): Required<EngineObserver> | null {
  if (observers.length === 0) return null;
  const queued = observers.filter((o) => o.chunkQueued !== undefined);
  const started = observers.filter((o) => o.chunkStarted !== undefined);
  const ended = observers.filter((o) => o.chunkEnded !== undefined);
  return {
    chunkQueued(chunk, at) {
      for (const o of queued) {
        try {
          o.chunkQueued!(chunk, at);
        } catch (error) {
          reportError(error);
        }
      }
    },
    chunkStarted(chunk, worker, at) {
      for (const o of started) {
        try {
          o.chunkStarted!(chunk, worker, at);
        } catch (error) {
          reportError(error);
        }
      }
    },
    chunkEnded(chunk, outcome, error, at) {
      for (const o of ended) {
        try {
          o.chunkEnded!(chunk, outcome, error, at);
        } catch (thrown) {
          reportError(thrown);
        }
      }
    },
  };
}
