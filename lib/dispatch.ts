/**
 * Who runs what next: the rules that pick a worker for the chunk at the head of the
 * queue (depth of the pipeline, batching, recycling, timed chunks), and how chunks
 * leave for a worker (one `RUN` each, or several together as one `RUN_MANY`). The
 * engine calls `dispatch` whenever work or a worker may have become free; this module
 * decides, the engine and its books (`engine_chunks.ts`, `worker_slot.ts`) keep count.
 *
 * @module
 */
import type { ChunkBooks } from "./engine_chunks.ts";
import type { Chunk, EngineOptions } from "./engine_types.ts";
import { type PoolError, SerializationError } from "./errors.ts";
import { defineMessage, RUN_MANY, type RunMessage, runMessage } from "./shared/protocol.ts";
import { encodeItems } from "./comms/wire.ts";
import type { WorkerSlot } from "./worker_slot.ts";

/**
 * Chunks of at most this many items share a message with the other runs for their
 * worker. A bigger one goes alone: the worker can start it as soon as it arrives, while
 * the next is still being copied.
 */
const BATCH_MAX_ITEMS = 64;

/** A chunk's RUN, built and ready to post. */
interface Outgoing {
  readonly chunk: Chunk;
  readonly message: RunMessage;
  readonly transfer: Transferable[];
}

/** Ends a chunk that cannot be sent: the engine tells its observers and its call. */
export type Unsendable = (chunk: Chunk, error: PoolError) => void;

/** Rules of the pipeline, from the engine's settings. */
type Rules = Pick<EngineOptions, "depth" | "quickDepth" | "quickChunkMs" | "maxTasksPerChild">;

/** What `dispatch` works on: the engine's books, its rules, and its hooks. */
export interface DispatchState {
  readonly chunks: ChunkBooks;
  readonly workers: Iterable<WorkerSlot>;
  readonly rules: Rules;
  /** The id of the next RUN. */
  nextRunId(): number;
  /** Fails a chunk whose arguments cannot be sent. */
  readonly unsendable: Unsendable;
  /** Starts the timeout of the chunk now running on `slot`. */
  armDeadline(slot: WorkerSlot): void;
}

/**
 * Sends queued chunks, in queue order, to the workers that may take them, until the
 * chunk at the head finds none. A cancelled chunk leaves the queue here. Runs for the
 * same worker go out together, as one message, when it takes them.
 *
 * @example A chunk leaves for the one worker, after its function's definition
 * ```ts
 * import type { Endpoint } from "./backend/endpoint.ts";
 * import { dispatch } from "./dispatch.ts";
 * import { ChunkBooks } from "./engine_chunks.ts";
 * import type { Job } from "./engine_types.ts";
 * import { WorkerSlot } from "./worker_slot.ts";
 * import assert from "node:assert/strict";
 *
 * const posted: unknown[] = [];
 * const slot = new WorkerSlot("PoolWorker-1", 1);
 * slot.endpoint = { post: (m: unknown) => posted.push(m), batches: false } as unknown as Endpoint;
 * const chunks = new ChunkBooks();
 * const job: Job = {
 *   id: 1,
 *   fnId: 1,
 *   ref: { kind: "inline", name: "same", source: "(x) => x" },
 *   task: "same",
 *   spread: false,
 *   settle: false,
 *   listener: { done() {}, failed() {} },
 *   faults: { timeout: null, retries: 0, retryTaskErrors: false },
 *   cancelled: false,
 * };
 * chunks.push({ job, seq: 0, items: [1] }, performance.now());
 * let runs = 0;
 * const rules = { depth: 2, quickDepth: 32, quickChunkMs: 0.5, maxTasksPerChild: null };
 * const armDeadline = () => {};
 * dispatch({ chunks, workers: [slot], rules, nextRunId: () => ++runs, unsendable() {}, armDeadline });
 * assert.equal(slot.inflight.length, 1);
 * assert.equal(posted.length, 2); // DEFINE, then RUN
 * ```
 */
export function dispatch(state: DispatchState): void {
  const { chunks, workers, rules, unsendable } = state;
  let outgoing: Map<WorkerSlot, Outgoing[]> | null = null;
  while (chunks.size > 0) {
    const slot = chooseWorker(workers, chunks.peek()!, rules, chunks.chunkMs, outgoing);
    if (slot === undefined) break;
    const chunk = chunks.shift()!;
    if (chunk.job.cancelled) {
      chunks.fail(chunk, null);
      continue;
    }
    const run = prepareRun(slot, chunk, state.nextRunId(), unsendable);
    if (run === null) continue;
    const started = slot.track(chunk);
    chunk.job.listener.sent?.(chunk);
    if (started) chunks.headStarted(slot);
    if (batchable(slot, chunk)) {
      outgoing ??= new Map();
      const list = outgoing.get(slot);
      if (list) list.push(run);
      else outgoing.set(slot, [run]);
    } else {
      postRun(slot, run, unsendable);
    }
    if (started) state.armDeadline(slot);
  }
  if (outgoing === null) return;
  for (const [slot, runs] of outgoing) {
    postRuns(slot, runs, unsendable);
    // A run that could not be posted left the books: the clock follows the head.
    if (slot.inflight.length === 0 || runs.some((run) => run.chunk === slot.running)) {
      chunks.headStarted(slot);
      state.armDeadline(slot);
    }
  }
}

/**
 * The least loaded worker that may take `chunk`, or undefined. Quick chunks pipeline
 * deeply (the round trip dominates); slow ones stay shallow so work is not promised to a
 * busy worker while another could take it. `filling` holds the workers already given
 * runs in this pass: while chunks are quick, a worker is topped up only once it has
 * drained to half its depth, so its runs leave in batches rather than one per answer.
 */
function chooseWorker(
  slots: Iterable<WorkerSlot>,
  chunk: Chunk,
  rules: Rules,
  chunkMs: number,
  filling: ReadonlyMap<WorkerSlot, unknown> | null,
): WorkerSlot | undefined {
  const max = rules.maxTasksPerChild;
  const quick = chunkMs < rules.quickChunkMs;
  const depth = quick ? rules.quickDepth : rules.depth;
  const lowWater = quick ? depth / 2 : depth;
  // A chunk with a timeout goes only to an idle worker: its clock then starts when it is
  // sent, and no chunk ahead of it on that worker can hold it past its timeout.
  const timed = chunk.job.faults.timeout !== null;
  let best: WorkerSlot | undefined;
  for (const slot of slots) {
    const load = slot.inflight.length;
    // A worker still starting takes a shallow pipeline: the others may be free sooner.
    if (load >= (slot.ready ? depth : rules.depth)) continue;
    if (load >= lowWater && slot.endpoint.batches && !filling?.has(slot)) continue;
    if (max !== null && slot.sent >= max) continue;
    if (slot.running?.job.cancelled) continue;
    if (timed && load > 0) continue;
    if (best === undefined || load < best.inflight.length) best = slot;
  }
  return best;
}

/** Whether `chunk` may leave for `slot` together with other runs, as one message. */
function batchable(slot: WorkerSlot, chunk: Chunk): boolean {
  return slot.endpoint.batches && chunk.items.length <= BATCH_MAX_ITEMS;
}

/**
 * Builds a chunk's RUN with the id `chunkId`, defining its function in the worker first
 * if the worker does not know it; null (and the chunk failed through `unsendable`) if its
 * arguments cannot be sent.
 */
function prepareRun(
  slot: WorkerSlot,
  chunk: Chunk,
  chunkId: number,
  unsendable: Unsendable,
): Outgoing | null {
  const { job } = chunk;
  if (!slot.known.has(job.fnId)) {
    slot.endpoint.post(defineMessage(job.fnId, job.ref));
    slot.known.add(job.fnId);
  }
  try {
    const encoded = encodeItems(chunk.items, job.spread);
    const message = runMessage({
      chunkId,
      fnId: job.fnId,
      jobId: job.id,
      items: encoded?.items ?? (chunk.items as unknown[]),
      spread: job.spread,
      settle: job.settle,
      encoded: encoded !== null,
      timed: job.faults.timeout !== null,
      trace: chunk.trace,
    });
    chunk.runId = chunkId;
    return { chunk, message, transfer: encoded?.transfer ?? [] };
  } catch (error) {
    unsendable(chunk, serializationError(chunk, error));
    return null;
  }
}

/**
 * Posts prepared (and tracked) runs to one worker: together when there are several; one
 * by one when that fails, so that only a chunk whose arguments cannot be cloned fails
 * (and is taken off the worker's books).
 */
function postRuns(
  slot: WorkerSlot,
  runs: readonly Outgoing[],
  unsendable: Unsendable,
): void {
  if (runs.length > 1) {
    try {
      slot.endpoint.post(
        [RUN_MANY, runs.map((run) => run.message)],
        runs.flatMap((run) => run.transfer),
      );
      return;
    } catch {
      // One of them cannot be cloned: find out which, below.
    }
  }
  for (const run of runs) postRun(slot, run, unsendable);
}

/** Posts one prepared (and tracked) run; false, with the chunk failed, if it cannot go. */
function postRun(slot: WorkerSlot, run: Outgoing, unsendable: Unsendable): boolean {
  try {
    slot.endpoint.post(run.message, run.transfer);
    return true;
  } catch (error) {
    slot.untrack(run.chunk);
    unsendable(run.chunk, serializationError(run.chunk, error));
    return false;
  }
}

function serializationError(chunk: Chunk, error: unknown): SerializationError {
  let index = -1;
  for (let i = 0; i < chunk.items.length && index < 0; i++) {
    try {
      structuredClone(chunk.items[i]);
    } catch {
      index = i;
    }
  }
  const reason = error instanceof Error ? error.message : String(error);
  const which = index < 0 ? "the arguments" : `the arguments of item ${index}`;
  return new SerializationError({
    message: `Cannot send ${which} of '${chunk.job.task}' to a worker: ${reason}; ` +
      `pass plain data (no functions, symbols or class instances with methods)`,
    cause: error,
  });
}
