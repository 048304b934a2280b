/**
 * Who runs what next: the rules that pick a worker for the chunk at the head of the
 * queue (depth of the pipeline, batching, recycling, timed chunks), and how chunks
 * leave for a worker (one `RUN` each, or several together as one `RUN_MANY`). The
 * engine calls these from its pump; this module decides, the engine keeps the books.
 *
 * @module
 */
import type { Chunk, EngineOptions } from "./engine_types.ts";
import { SerializationError } from "./errors.ts";
import {
  defineMessage,
  RUN_MANY,
  type RunMessage,
  runMessage,
  type TaskRef,
} from "./shared/protocol.ts";
import { encodeItems } from "./comms/wire.ts";
import type { WorkerSlot } from "./worker_slot.ts";

/**
 * Chunks of at most this many items share a message with the other runs for their
 * worker. A bigger one goes alone: the worker can start it as soon as it arrives, while
 * the next is still being copied.
 */
const BATCH_MAX_ITEMS = 64;

/** A chunk's RUN, built and ready to post. */
export interface Outgoing {
  readonly chunk: Chunk;
  readonly message: RunMessage;
  readonly transfer: Transferable[];
}

/** Rules of the pipeline, from the engine's settings. */
type Rules = Pick<EngineOptions, "depth" | "quickDepth" | "quickChunkMs" | "maxTasksPerChild">;

/**
 * The least loaded worker that may take `chunk`, or undefined. Quick chunks pipeline
 * deeply (the round trip dominates); slow ones stay shallow so work is not promised to a
 * busy worker while another could take it. `filling` holds the workers already given
 * runs in this pass: while chunks are quick, a worker is topped up only once it has
 * drained to half its depth, so its runs leave in batches rather than one per answer.
 */
export function chooseWorker(
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
export function batchable(slot: WorkerSlot, chunk: Chunk): boolean {
  return slot.endpoint.batches && chunk.items.length <= BATCH_MAX_ITEMS;
}

/**
 * Builds a chunk's RUN with the id `chunkId`, defining its function in the worker first
 * if the worker does not know it; null (and the chunk failed) if its arguments cannot be
 * sent.
 */
export function prepareRun(
  slot: WorkerSlot,
  chunk: Chunk,
  chunkId: number,
  ref: TaskRef,
): Outgoing | null {
  const { job } = chunk;
  if (!slot.known.has(job.fnId)) {
    slot.endpoint.post(defineMessage(job.fnId, ref));
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
    });
    chunk.runId = chunkId;
    return { chunk, message, transfer: encoded?.transfer ?? [] };
  } catch (error) {
    job.sink.failed(chunk, unsendable(chunk, error));
    return null;
  }
}

/**
 * Posts prepared (and tracked) runs to one worker: together when there are several; one
 * by one when that fails, so that only a chunk whose arguments cannot be cloned fails
 * (and is taken off the worker's books).
 */
export function postRuns(slot: WorkerSlot, runs: readonly Outgoing[]): void {
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
  for (const run of runs) postRun(slot, run);
}

/** Posts one prepared (and tracked) run; false, with the chunk failed, if it cannot go. */
export function postRun(slot: WorkerSlot, run: Outgoing): boolean {
  try {
    slot.endpoint.post(run.message, run.transfer);
    return true;
  } catch (error) {
    slot.untrack(run.chunk);
    run.chunk.job.sink.failed(run.chunk, unsendable(run.chunk, error));
    return false;
  }
}

function unsendable(chunk: Chunk, error: unknown): SerializationError {
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
