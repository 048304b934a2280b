/**
 * Runs the Effect an Effect-native task returned, inside the worker. The one worker
 * module that imports Effect, and only dynamically (`task_outcome.ts`): a worker whose
 * tasks return no Effect never loads it.
 *
 * The Effect runs in a scope of its own (so `Effect.addFinalizer` and `acquireRelease`
 * work) on a fiber that the call's cancellation interrupts: the main side's `CANCEL`
 * aborts `taskSignal()`, the fiber is interrupted, its finalizers run here, and only
 * then does the chunk answer, so the worker is free for the next task. Code that never
 * yields (a synchronous loop) cannot be interrupted; the main side then replaces the
 * worker after its grace period, as for any task.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import type * as Cause from "effect/Cause";
import type * as Scope from "effect/Scope";
import * as Tracer from "effect/Tracer";
import { BUSY_CELL } from "../shared/protocol.ts";
import { taskSignal } from "../shared/task_context.ts";
import { atomicsStore } from "../worker/intrinsics.ts";
import { type ChunkTracing, SpanRecorder } from "../worker/span_recorder.ts";
import { decodeTraceParent } from "../shared/tracing_wire.ts";
import { EffectEnd } from "../worker/task_outcome.ts";

/**
 * Runs `effect` to its end: its value, or an `EffectEnd` thrown with its first typed
 * failure, else its first defect.
 *
 * @param effect A value carrying Effect's type id (an `Effect<A, E, Scope | never>`).
 * @param busy The cell the main side reads while this worker runs synchronous code.
 * @param tracing When the chunk is traced: its span, under which the spans the Effect
 *   makes are recorded (in `tracing.recorder`, made here with the chunk's first Effect).
 *   Without it, Effect's default tracer keeps them, and they go nowhere.
 *
 * @example
 * ```ts
 * import { Effect } from "effect";
 * import { runEffectTask } from "./effect_task.ts";
 * import { EffectEnd } from "../worker/task_outcome.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(await runEffectTask(Effect.succeed(2), null), 2);
 * await assert.rejects(runEffectTask(Effect.fail("no"), null), (end) => {
 *   assert.ok(end instanceof EffectEnd);
 *   assert.equal(end.ending, "failure");
 *   return true;
 * });
 * ```
 */
export async function runEffectTask(
  effect: object,
  busy: Int32Array | null,
  tracing: ChunkTracing | null = null,
): Promise<unknown> {
  const signal = taskSignal();
  let scoped = Effect.scoped(effect as Effect.Effect<unknown, unknown, Scope.Scope>);
  const recorder = recorderOf(tracing);
  if (recorder !== null) {
    const { traceId, spanId } = recorder.parent;
    scoped = scoped.pipe(
      Effect.withParentSpan(Tracer.externalSpan({ traceId, spanId })),
      Effect.withTracer(Tracer.make(recorder.tracer as unknown as Tracer.Tracer)),
    );
  }
  // The fiber runs synchronously until it first waits: that part is busy, as a plain
  // task's call is.
  if (busy !== null) atomicsStore(busy, BUSY_CELL, 1);
  let ended;
  try {
    ended = Effect.runPromiseExit(scoped, { signal });
  } finally {
    if (busy !== null) atomicsStore(busy, BUSY_CELL, 0);
  }
  const exit = await ended;
  if (exit._tag === "Success") return exit.value;
  throw endOf(exit.cause);
}

/** The recorder of a traced chunk's spans, made once; null when the chunk is not traced. */
function recorderOf(tracing: ChunkTracing | null): SpanRecorder | null {
  if (tracing === null) return null;
  if (tracing.recorder === null) {
    const parent = decodeTraceParent(tracing.parent);
    if (parent !== null) tracing.recorder = new SpanRecorder(parent);
  }
  return tracing.recorder;
}

/** The failure to report for a cause: its first typed error, else its first defect. */
function endOf(cause: Cause.Cause<unknown>): EffectEnd {
  const reasons = cause.reasons;
  for (const reason of reasons) {
    if (reason._tag === "Fail") return new EffectEnd("failure", reason.error);
  }
  for (const reason of reasons) {
    if (reason._tag === "Die") return new EffectEnd("defect", reason.defect);
  }
  // Interrupted: by the caller's cancellation (its answer is then discarded), or by the
  // task itself, which is a defect of the task.
  const interrupted = new Error(
    "The task's Effect was interrupted inside the worker (Effect.interrupt, or a fiber it " +
      "joined was interrupted): return an Effect that succeeds or fails instead",
  );
  interrupted.name = "InterruptedError";
  return new EffectEnd("defect", interrupted);
}
