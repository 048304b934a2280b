/**
 * Tracing of the Effect face's calls: each chunk of a traced call is a span of the
 * caller's tracer (a child of the caller's current span), and the spans an Effect-native
 * task makes in the worker come back with the chunk's answer and are re-created under it.
 *
 * A call is traced when the fiber that makes it has a tracer of its own (an exporter, a
 * console or test tracer: anything but Effect's default, which records nothing) with
 * tracing enabled (`callTrace`). Only then does the pool attach its tracing observer to
 * the engine (`PoolTracing`), and only for as long as a traced call or its chunks' spans
 * are open: a pool whose callers provide no tracer pays one reference lookup per call.
 *
 * Times: a chunk's span starts when the chunk is queued and ends when its run ends (the
 * engine's `performance.now()` stamps, placed on the caller's clock as it read at the
 * call). Its attributes name the pool, the worker, the function, the number of items and
 * the time queued and running (ms); see `CHUNK_ATTRIBUTES`.
 *
 * @module
 */
import * as Clock from "effect/Clock";
import * as Context from "effect/Context";
import * as Exit from "effect/Exit";
import type * as Fiber from "effect/Fiber";
import * as Option from "effect/Option";
import * as References from "effect/References";
import * as Tracer from "effect/Tracer";
import type { Engine } from "./engine.ts";
import type { ChunkOutcome, EngineObserver } from "./engine_observer.ts";
import type { Chunk, Job } from "./engine_types.ts";
import type { PoolError } from "./errors.ts";
import { encodeTraceParent, type WireSpan } from "./shared/tracing_wire.ts";

/**
 * The name of every chunk's span.
 *
 * @example Finding the chunks' spans among a test tracer's
 * ```ts
 * import { CHUNK_SPAN_NAME } from "./tracing.ts";
 * import assert from "node:assert/strict";
 *
 * const names = ["caller", "multiprocessing.chunk", "parse"];
 * assert.deepEqual(names.filter((name) => name === CHUNK_SPAN_NAME), ["multiprocessing.chunk"]);
 * ```
 */
export const CHUNK_SPAN_NAME = "multiprocessing.chunk";

/**
 * The attributes of a chunk's span, by what they say.
 *
 * @example Reading a chunk's span in a test tracer
 * ```ts
 * import { CHUNK_ATTRIBUTES } from "./tracing.ts";
 * import assert from "node:assert/strict";
 *
 * const attributes = new Map<string, unknown>([[CHUNK_ATTRIBUTES.items, 4]]);
 * assert.equal(attributes.get("multiprocessing.items"), 4);
 * ```
 */
export const CHUNK_ATTRIBUTES = {
  /** The pool's name (`PoolOptions.name`). */
  pool: "multiprocessing.pool",
  /** The worker that ran it (its `currentProcess().name`), once it started. */
  worker: "multiprocessing.worker",
  /** The function's name. */
  function: "multiprocessing.function",
  /** How many items the chunk holds. */
  items: "multiprocessing.items",
  /** Its position in its call. */
  chunk: "multiprocessing.chunk",
  /** Runs before this one that failed and were retried (only when retried). */
  attempt: "multiprocessing.attempt",
  /** Milliseconds from its call (or its retry) to the start of its run. */
  timeQueued: "multiprocessing.time_queued_ms",
  /** Milliseconds from the start of its run to its end (only when it started). */
  timeRunning: "multiprocessing.time_running_ms",
  /** How its run ended: `done`, `task-error`, `failed` or `cancelled`. */
  outcome: "multiprocessing.outcome",
} as const;

/**
 * A chunk's span: a span of the caller's tracer (kept on the chunk while it is open).
 *
 * @example
 * ```ts
 * import { Context, Option, Tracer } from "effect";
 * import type { ChunkSpan } from "./tracing.ts";
 * import assert from "node:assert/strict";
 *
 * const span: ChunkSpan = new Tracer.NativeSpan({
 *   name: "multiprocessing.chunk",
 *   parent: Option.none(),
 *   annotations: Context.empty(),
 *   links: [],
 *   startTime: 0n,
 *   kind: "internal",
 *   sampled: true,
 * });
 * assert.equal(span.status._tag, "Started");
 * ```
 */
export type ChunkSpan = Tracer.Span;

/**
 * What a traced call's chunks need to make their spans, read from the caller's fiber
 * when the call starts.
 *
 * @example
 * ```ts
 * import { Effect, Tracer } from "effect";
 * import { callTrace } from "./tracing.ts";
 * import assert from "node:assert/strict";
 *
 * const spans: Tracer.NativeSpan[] = [];
 * const tracer = Tracer.make({
 *   span: (options) => {
 *     const span = new Tracer.NativeSpan(options);
 *     spans.push(span);
 *     return span;
 *   },
 * });
 * const read = Effect.withFiber((fiber) => Effect.succeed(callTrace(fiber)));
 * assert.equal(await Effect.runPromise(read), undefined); // the default tracer: no tracing
 * const traced = await Effect.runPromise(read.pipe(Effect.withTracer(tracer)));
 * assert.equal(traced?.tracer, tracer);
 * ```
 */
export interface CallTrace {
  /** The caller's tracer. */
  readonly tracer: Tracer.Tracer;
  /** The caller's current span, the parent of the chunks' spans. */
  readonly parent: Option.Option<Tracer.AnySpan>;
  /** False when the parent is not sampled: the chunks' spans are not either. */
  readonly sampled: boolean;
  /** The caller's span annotations (`Effect.annotateSpans`), set on each chunk's span. */
  readonly annotations: Readonly<Record<string, unknown>>;
  /** The caller's clock minus `performance.now()`, in ns: places the engine's stamps. */
  readonly offset: bigint;
  /** The caller's clock (Effect's `Clock`), for the cache of `callTrace`. */
  readonly clock: Clock.Clock;
}

/** Effect's default clock (wall time): a cached `CallTrace` may be reused only with it. */
const DEFAULT_CLOCK: Clock.Clock = Context.get(Context.empty(), Clock.Clock);

function offsetOf(clock: Clock.Clock): bigint {
  return clock.currentTimeNanosUnsafe() - BigInt(Math.round(performance.now() * 1e6));
}

/**
 * The last call's tracing: a fiber making many calls under one span (a loop of
 * `applyAsync`) reads its clock and makes this object once.
 */
let last: CallTrace | undefined;

/**
 * The tracing of a call made by `fiber`: undefined when its tracer is Effect's default
 * (which records nothing) or tracing is disabled (`Effect.withTracerEnabled(false)`).
 *
 * @param fiber The fiber making the call.
 * @returns What the call's chunks need to make their spans, or undefined.
 *
 * @example
 * ```ts
 * import { Effect } from "effect";
 * import { callTrace } from "./tracing.ts";
 * import assert from "node:assert/strict";
 *
 * const untraced = Effect.withFiber((fiber) => Effect.succeed(callTrace(fiber)));
 * assert.equal(await Effect.runPromise(untraced), undefined);
 * ```
 */
export function callTrace(fiber: Fiber.Fiber<unknown, unknown>): CallTrace | undefined {
  const tracer = fiber.getRef(Tracer.Tracer);
  if (tracer === Tracer.nativeTracer || !fiber.getRef(References.TracerEnabled)) return undefined;
  const parent = propagated(Context.getOption(fiber.context, Tracer.ParentSpan));
  const annotations = fiber.getRef(References.TracerSpanAnnotations);
  const clock = fiber.getRef(Clock.Clock);
  if (
    last !== undefined && last.tracer === tracer && last.annotations === annotations &&
    last.clock === clock && clock === DEFAULT_CLOCK &&
    (Option.isNone(parent) ? Option.isNone(last.parent) : Option.isSome(last.parent) &&
      last.parent.value === parent.value)
  ) {
    return last;
  }
  return last = {
    tracer,
    parent,
    sampled: Option.isNone(parent) || parent.value.sampled !== false,
    annotations,
    offset: offsetOf(clock),
    clock,
  };
}

/** The parent span, skipping spans that ask not to propagate (as Effect's own spans do). */
function propagated(span: Option.Option<Tracer.AnySpan>): Option.Option<Tracer.AnySpan> {
  let current = span;
  while (Option.isSome(current)) {
    const value = current.value;
    if (!Context.get(value.annotations, Tracer.DisablePropagation)) return current;
    if (value._tag !== "Span") return Option.none();
    current = value.parent;
  }
  return current;
}

/**
 * A pool's tracing: an engine observer that makes a span of each chunk of a traced call,
 * attached only while traced calls or their chunks' spans are open.
 *
 * @example A traced call's chunk becomes a span
 * ```ts
 * import { Effect, Tracer } from "effect";
 * import { Engine } from "./engine.ts";
 * import { effectPool } from "./pool_effect_calls.ts";
 * import { engineOptions } from "./pool_options.ts";
 * import { inline } from "../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const names: string[] = [];
 * const tracer = Tracer.make({
 *   span: (options) => (names.push(options.name), new Tracer.NativeSpan(options)),
 * });
 * const engine = new Engine(engineOptions({ processes: 1 }));
 * engine.open(() => {});
 * const pool = effectPool(engine, "docs");
 * const double = inline((x: number) => 2 * x);
 * await Effect.runPromise(pool.map(double, [1, 2], { chunksize: 2 }).pipe(Effect.withTracer(tracer)));
 * engine.terminate();
 * assert.deepEqual(names, ["multiprocessing.chunk"]);
 * ```
 */
export class PoolTracing implements EngineObserver {
  readonly #engine: Engine;
  readonly #pool: string;
  /** Traced calls running, and chunk spans open (each kept on its chunk: `chunk.span`). */
  #calls = 0;
  #open = 0;
  /** The call whose chunk's span opened last: a call sees whether its chunk was queued. */
  #lastJob: Job | null = null;
  #detach: (() => void) | null = null;

  /**
   * @param engine The pool's engine, observed while traced work is open.
   * @param pool The pool's name, for the spans.
   */
  constructor(engine: Engine, pool: string) {
    this.#engine = engine;
    this.#pool = pool;
  }

  /** Whether the last chunk span opened was one of `job`'s (and forgets that job). */
  queuedLast(job: Job | null): boolean {
    const last = this.#lastJob;
    this.#lastJob = null;
    return job !== null && last === job;
  }

  /**
   * A traced call starts: the observer stays attached until the returned function is
   * called (once the call ended, or once its chunks were queued: their spans keep it;
   * later calls do nothing) and its chunks' spans ended.
   */
  enter(): () => void {
    this.#calls++;
    this.#detach ??= this.#engine.observe(this);
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.#calls--;
      this.#maybeDetach();
    };
  }

  /** Opens the span of a traced chunk's run, and hands its ids to the chunk's `RUN`. */
  chunkQueued(chunk: Chunk, at: number): void {
    const trace = chunk.job.trace;
    if (trace === undefined) return;
    const span = trace.tracer.span({
      name: CHUNK_SPAN_NAME,
      parent: trace.parent,
      annotations: Context.empty(),
      links: [],
      startTime: nanosAt(trace, at),
      kind: "internal",
      root: Option.isNone(trace.parent),
      sampled: trace.sampled,
    });
    for (const key in trace.annotations) span.attribute(key, trace.annotations[key]);
    span.attribute(CHUNK_ATTRIBUTES.pool, this.#pool);
    span.attribute(CHUNK_ATTRIBUTES.function, chunk.job.task);
    span.attribute(CHUNK_ATTRIBUTES.items, chunk.items.length);
    span.attribute(CHUNK_ATTRIBUTES.chunk, chunk.seq);
    if (chunk.attempts) span.attribute(CHUNK_ATTRIBUTES.attempt, chunk.attempts);
    chunk.span = span;
    this.#open++;
    this.#lastJob = chunk.job;
    // An unsampled span is not exported: its worker records nothing under it.
    chunk.trace = span.sampled
      ? encodeTraceParent({ traceId: span.traceId, spanId: span.spanId })
      : undefined;
  }

  /** Names the worker and the time queued. */
  chunkStarted(chunk: Chunk, worker: string, at: number): void {
    const span = chunk.span;
    if (span === undefined) return;
    span.attribute(CHUNK_ATTRIBUTES.worker, worker);
    if (chunk.queuedAt !== undefined) {
      span.attribute(CHUNK_ATTRIBUTES.timeQueued, at - chunk.queuedAt);
    }
  }

  /** Re-creates the worker's spans under the chunk's, then ends the chunk's span. */
  chunkEnded(chunk: Chunk, outcome: ChunkOutcome, error: PoolError | null, at: number): void {
    const span = chunk.span;
    if (span === undefined) return;
    this.#open--;
    const trace = chunk.job.trace!;
    const spans = chunk.spans;
    chunk.span = chunk.spans = chunk.trace = undefined;
    try {
      if (spans !== undefined) recreate(trace, span, spans);
      if (chunk.startedAt !== undefined) {
        span.attribute(CHUNK_ATTRIBUTES.timeRunning, at - chunk.startedAt);
      } else if (chunk.queuedAt !== undefined) {
        span.attribute(CHUNK_ATTRIBUTES.timeQueued, at - chunk.queuedAt);
      }
      span.attribute(CHUNK_ATTRIBUTES.outcome, outcome);
      span.end(nanosAt(trace, at), exitOf(outcome, error));
    } finally {
      // A tracer that throws (reported by the engine) leaves no observer behind.
      this.#maybeDetach();
    }
  }

  #maybeDetach(): void {
    if (this.#calls > 0 || this.#open > 0 || this.#detach === null) return;
    this.#detach();
    this.#detach = null;
  }
}

/** A `performance.now()` stamp on the caller's clock, in ns. */
function nanosAt(trace: CallTrace, at: number): bigint {
  return trace.offset + BigInt(Math.round(at * 1e6));
}

/** A worker's time (ms since the epoch, its clock) on the caller's clock, in ns. */
function workerNanos(trace: CallTrace, epochMs: number): bigint {
  return nanosAt(trace, epochMs - performance.timeOrigin);
}

function exitOf(outcome: ChunkOutcome, error: PoolError | null): Exit.Exit<unknown, unknown> {
  if (outcome === "done") return Exit.void;
  if (outcome === "cancelled") return Exit.interrupt();
  return Exit.fail(error);
}

/**
 * The spans a worker recorded, made again in the caller's tracer: under the chunk's span,
 * nested as they were, with their times, attributes and events; ended children first.
 * Their numbers point only backwards (checked on arrival), so a parent is always made
 * before its child; a parent that was not sent (still open, or past the limits) leaves
 * its child under the chunk's span.
 */
function recreate(trace: CallTrace, chunkSpan: Tracer.Span, spans: readonly WireSpan[]): void {
  const made = new Map<number, Tracer.Span>();
  for (const wire of spans) {
    const parent = made.get(wire.parent) ?? chunkSpan;
    const span = trace.tracer.span({
      name: wire.name,
      parent: Option.some(parent),
      annotations: Context.empty(),
      links: [],
      startTime: workerNanos(trace, wire.start),
      kind: wire.kind,
      root: false,
      sampled: chunkSpan.sampled,
    });
    for (const [key, value] of wire.attributes) span.attribute(key, value);
    for (const [name, time, attributes] of wire.events) {
      span.event(name, workerNanos(trace, time), Object.fromEntries(attributes));
    }
    made.set(wire.id, span);
  }
  for (let i = spans.length - 1; i >= 0; i--) {
    const wire = spans[i]!;
    made.get(wire.id)!.end(workerNanos(trace, wire.end), workerExit(wire));
  }
}

function workerExit(wire: WireSpan): Exit.Exit<unknown, unknown> {
  if (wire.exit === "success") return Exit.void;
  if (wire.exit === "interrupted") return Exit.interrupt();
  const reason = new Error(wire.message ?? `span '${wire.name}' failed in the worker`);
  return wire.exit === "failure" ? Exit.fail(reason) : Exit.die(reason);
}
