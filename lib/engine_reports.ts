/**
 * What a worker reports to the engine (its messages, and its end), checked against what
 * the engine knows of that worker before anything is done with it. The backend checked
 * each message's shape (`protocol_check.ts`); this module checks its fit to the worker's
 * state: one READY, an initializer's failure only before it, answers only for the chunk
 * running there (a worker runs its chunks in the order sent, so an answer always names
 * the oldest one in flight), each with one value per item, and cancellations only for
 * cancelled calls. Anything else is a protocol violation: the engine ends that worker as
 * crashed. Errors come back as classes here (`fromWire`).
 *
 * @module
 */
import type { WorkerEnd } from "./backend/endpoint.ts";
import type { ChunkOutcome } from "./engine_observer.ts";
import type { Chunk } from "./engine_types.ts";
import { type PoolError, WorkerCrashed } from "./errors.ts";
import { fromWire } from "./errors_wire.ts";
import {
  CANCELLED,
  DONE,
  DONE_MANY,
  type DoneMessage,
  FAILED,
  type FromWorker,
  INIT_FAILED,
  READY,
} from "./shared/protocol.ts";
import type { WorkerSlot } from "./worker_slot.ts";

/**
 * What the engine does with a report that fits (the lifecycle's side of each message).
 *
 * @example
 * ```ts
 * import type { ReportActions } from "./engine_reports.ts";
 *
 * const ignore: ReportActions = {
 *   ready() {},
 *   initFailed() {},
 *   answered() {},
 *   retry: () => false,
 *   violation() {},
 *   afterAnswers() {},
 * };
 * void ignore;
 * ```
 */
export interface ReportActions {
  /** The worker said READY, its first. */
  ready(slot: WorkerSlot): void;
  /** Its initializer failed (before READY). */
  initFailed(slot: WorkerSlot, error: PoolError): void;
  /** The chunk running on `slot` ended with `outcome`: take it off the books. */
  answered(slot: WorkerSlot, chunk: Chunk, outcome: ChunkOutcome, error: PoolError | null): void;
  /** Queues a chunk whose task threw to run again, if its call allows: false if not. */
  retry(chunk: Chunk): boolean;
  /** The worker said what it may not: end it as crashed, blaming its running chunk. */
  violation(slot: WorkerSlot, reason: string): void;
  /** A message answered chunks: settle the worker's timers and look for more work. */
  afterAnswers(slot: WorkerSlot): void;
}

/**
 * Acts on one message from the worker of `slot`, or calls `actions.violation` when it
 * does not fit the worker's state. The chunk's call hears its outcome after the engine
 * took the chunk off its books.
 *
 * @example
 * ```ts
 * import { readMessage, type ReportActions } from "./engine_reports.ts";
 * import { READY } from "./shared/protocol.ts";
 * import { WorkerSlot } from "./worker_slot.ts";
 * import assert from "node:assert/strict";
 *
 * const heard: string[] = [];
 * const actions: ReportActions = {
 *   ready: (slot) => void (slot.ready = true, heard.push("ready")),
 *   initFailed() {},
 *   answered() {},
 *   retry: () => false,
 *   violation: (_slot, reason) => void heard.push(reason),
 *   afterAnswers() {},
 * };
 * const slot = new WorkerSlot("PoolWorker-1", 1);
 * readMessage(slot, [READY], actions);
 * readMessage(slot, [READY], actions);
 * assert.deepEqual(heard, ["ready", "sent READY twice"]);
 * ```
 */
export function readMessage(slot: WorkerSlot, message: FromWorker, actions: ReportActions): void {
  switch (message[0]) {
    case READY:
      if (slot.ready) return actions.violation(slot, "sent READY twice");
      return actions.ready(slot);
    case INIT_FAILED: {
      if (slot.ready) return actions.violation(slot, "sent INIT_FAILED after READY");
      const [, error] = message;
      return actions.initFailed(slot, fromWire(error, "initializer"));
    }
    case DONE:
      if (!takeDone(slot, message, actions)) return;
      break;
    case DONE_MANY: {
      // One pass over the batch, then one look for more work.
      const [, answers] = message;
      for (let i = 0; i < answers.length; i++) if (!takeDone(slot, answers[i]!, actions)) return;
      break;
    }
    case FAILED: {
      const [, chunkId, wire] = message;
      const chunk = runningChunk(slot, chunkId, actions);
      if (chunk === undefined) return;
      const { job } = chunk;
      if (job.cancelled) {
        actions.answered(slot, chunk, "cancelled", null);
      } else {
        const error = fromWire(wire, job.task);
        actions.answered(slot, chunk, "failed", error);
        job.listener.failed(chunk, error);
      }
      break;
    }
    case CANCELLED: {
      const [, chunkId] = message;
      const chunk = runningChunk(slot, chunkId, actions);
      if (chunk === undefined) return;
      // Only a cancelled call may end this way: no chunk vanishes from the accounts.
      if (!chunk.job.cancelled) {
        return actions.violation(slot, `said chunk ${chunkId} was cancelled, which it was not`);
      }
      actions.answered(slot, chunk, "cancelled", null);
      break;
    }
    default:
      return actions.violation(slot, `sent a message of kind ${message[0]} to the pool`);
  }
  actions.afterAnswers(slot);
}

/**
 * What a worker's end means: `whileStarting` when it ended before READY (its place in
 * the pool is then subject to the give-up rule), and the error for the chunk it ran.
 *
 * @example
 * ```ts
 * import { crashOf } from "./engine_reports.ts";
 * import { WorkerSlot } from "./worker_slot.ts";
 * import assert from "node:assert/strict";
 *
 * const slot = new WorkerSlot("PoolWorker-1", 1);
 * const { whileStarting, error } = crashOf(slot, {
 *   exitCode: 1,
 *   error: null,
 *   reason: "exited with code 1",
 * });
 * assert.equal(whileStarting, true);
 * assert.equal(error.message, "Worker PoolWorker-1 exited with code 1 while starting");
 * ```
 */
export function crashOf(
  slot: WorkerSlot,
  end: WorkerEnd,
): { readonly whileStarting: boolean; readonly error: WorkerCrashed } {
  // A sandboxed worker whose task module cannot load ends before its READY when it
  // was sent work while starting: that fails the task, as it would once ready.
  const taskNotLoaded = end.error?.tag === "TaskNotFound" && slot.inflight.length > 0;
  if (!slot.ready && !taskNotLoaded) {
    const cause = end.error ? fromWire(end.error, "initializer") : undefined;
    return {
      whileStarting: true,
      error: new WorkerCrashed({
        message: `Worker ${slot.name} ${end.reason} while starting`,
        worker: slot.name,
        exitCode: end.exitCode,
        ...(cause ? { cause } : {}),
      }),
    };
  }
  const task = slot.running?.job.task;
  return {
    whileStarting: false,
    error: new WorkerCrashed({
      message: `Worker ${slot.name} ${end.reason} while running '${task ?? "no task"}'`,
      worker: slot.name,
      exitCode: end.exitCode,
      ...(end.error ? { cause: fromWire(end.error, task ?? "") } : {}),
    }),
  };
}

/** Takes one chunk's answer; false when it broke the protocol (the worker is gone). */
function takeDone(slot: WorkerSlot, answer: DoneMessage, actions: ReportActions): boolean {
  const [, chunkId, values, wireErrors] = answer;
  const chunk = runningChunk(slot, chunkId, actions);
  if (chunk === undefined) return false;
  // Spans its worker recorded, kept for its span's end (ignored if it asked for none).
  if (answer.length > 4 && chunk.trace !== undefined) chunk.spans = answer[4];
  const { job } = chunk;
  const n = chunk.items.length;
  const lastError = wireErrors === null ? -1 : wireErrors[wireErrors.length - 1]![0];
  const counted = wireErrors === null || job.settle ? values.length === n : values.length <= n;
  if (!counted || lastError >= n) {
    actions.violation(
      slot,
      `answered chunk ${chunkId} with ${values.length} value(s) for its ${n} item(s)`,
    );
    return false;
  }
  if (job.cancelled) {
    actions.answered(slot, chunk, "cancelled", null);
    return true;
  }
  if (wireErrors === null) {
    actions.answered(slot, chunk, "done", null);
    job.listener.done(chunk, values, null);
    return true;
  }
  const errors = wireErrors.map(([index, wire]) => [index, fromWire(wire, job.task)] as const);
  actions.answered(slot, chunk, "task-error", errors[0]![1]);
  if (!job.faults.retryTaskErrors || !actions.retry(chunk)) {
    job.listener.done(chunk, values, errors);
  }
  return true;
}

/**
 * The chunk an answer names, which must be the one running on the worker; undefined,
 * and the worker treated as crashed, when it names any other.
 */
function runningChunk(
  slot: WorkerSlot,
  chunkId: number,
  actions: ReportActions,
): Chunk | undefined {
  if (slot.answers(chunkId)) return slot.running;
  actions.violation(slot, `answered chunk ${chunkId}, which is not the one running there`);
  return undefined;
}
