/**
 * A small tracer for the worker side: the spans an Effect-native task makes while its
 * chunk is traced are recorded here, then sent back with the chunk's answer as data
 * (`WireSpan`) and re-created in the caller's tracer (`lib/tracing.ts`).
 *
 * Effect-free: Effect's tracer and span are plain interfaces, implemented here
 * structurally, so that this module loads no Effect; `effect_task.ts` hands the
 * recorder's `tracer` to the task's Effect. What is recorded stays within `SPAN_LIMITS`
 * (spans past the limit still work, they are only not sent), and every value a task
 * gives is read under `try`.
 *
 * @module
 */
import {
  SPAN_KINDS,
  SPAN_LIMITS,
  type SpanExit,
  spanText,
  type TraceParent,
  type WireAttribute,
  type WireSpan,
  type WireSpanEvent,
  type WireSpanKind,
} from "../shared/tracing_wire.ts";

/**
 * A traced chunk's tracing in the worker: the `RUN`'s trace field as it came, and the
 * recorder the Effect runner makes for it with the chunk's first Effect (when the field
 * holds a well-formed `TraceParent`: `decodeTraceParent`). The runtime reads only these two fields, so a worker
 * whose tasks return no Effect never loads this module.
 *
 * @example
 * ```ts
 * import type { ChunkTracing } from "./span_recorder.ts";
 * import assert from "node:assert/strict";
 *
 * const tracing: ChunkTracing = { parent: "1:ts", recorder: null };
 * assert.equal(tracing.recorder?.take() ?? null, null); // no Effect ran: nothing to send
 * ```
 */
export interface ChunkTracing {
  /** The `RUN`'s trace field, unchecked. */
  readonly parent: unknown;
  /** The recorder of the chunk's spans, once an Effect ran under it. */
  recorder: SpanRecorder | null;
}

/** What Effect's tracer is given to make a span (the fields read here). */
interface SpanRequest {
  readonly name: string;
  readonly parent: { readonly _tag: string; readonly value?: unknown };
  readonly annotations: unknown;
  readonly links: unknown[];
  readonly startTime: bigint;
  readonly kind: string;
  readonly sampled: boolean;
}

/**
 * Records the spans made under one traced chunk; `take()` gives them as data.
 *
 * @example
 * ```ts
 * import { SpanRecorder } from "./span_recorder.ts";
 * import assert from "node:assert/strict";
 *
 * const recorder = new SpanRecorder({ traceId: "t1", spanId: "chunk" });
 * const none = { _tag: "None" };
 * const span = recorder.tracer.span({
 *   name: "step",
 *   parent: none,
 *   annotations: null,
 *   links: [],
 *   startTime: 1_000_000n,
 *   kind: "internal",
 *   sampled: true,
 * });
 * span.attribute("n", 3);
 * span.end(3_000_000n, { _tag: "Success" });
 * const [wire] = recorder.take()!;
 * assert.equal(wire!.name, "step");
 * assert.equal(wire!.parent, 0);
 * assert.equal(wire!.end - wire!.start, 2);
 * assert.deepEqual(wire!.attributes, [["n", 3]]);
 * ```
 */
export class SpanRecorder {
  /** The chunk's span: the parent of every span made here. */
  readonly parent: TraceParent;
  /** Spans in the order they started; `RecordedSpan.id` is 1 + the index. */
  readonly #spans: RecordedSpan[] = [];
  /** A tracer, as Effect's `Tracer.Tracer` interface has it. */
  readonly tracer: { span(request: SpanRequest): RecordedSpan };

  /** @param parent The chunk's span: the parent of every span made here. */
  constructor(parent: TraceParent) {
    this.parent = parent;
    this.tracer = { span: (request) => this.#start(request) };
  }

  #start(request: SpanRequest): RecordedSpan {
    const spans = this.#spans;
    const parent = request.parent._tag === "Some" ? request.parent.value : undefined;
    const parentId = parent instanceof RecordedSpan && parent.recorder === this ? parent.id : 0;
    // Past the limit a span still works (and may parent others): it is only not sent.
    const id = spans.length < SPAN_LIMITS.spans ? spans.length + 1 : 0;
    const span = new RecordedSpan(this, id, parentId, request, this.parent.traceId, parent);
    if (id !== 0) spans[spans.length] = span;
    return span;
  }

  /** The spans that ended, in the order they started, within `SPAN_LIMITS`; null if none. */
  take(): WireSpan[] | null {
    const wire: WireSpan[] = [];
    let total = 0;
    for (let i = 0; i < this.#spans.length; i++) {
      const ended = this.#spans[i]!.ended;
      if (ended === null) continue;
      total += spanText(ended);
      if (total > SPAN_LIMITS.total) break;
      wire[wire.length] = ended;
    }
    return wire.length === 0 ? null : wire;
  }
}

/** A span made in the worker: Effect's `Span` interface, and its data once ended. */
class RecordedSpan {
  readonly _tag = "Span";
  readonly name: string;
  readonly spanId: string;
  readonly traceId: string;
  readonly parent: SpanRequest["parent"];
  readonly annotations: unknown;
  readonly links: unknown[];
  readonly sampled: boolean;
  readonly kind: WireSpanKind;
  readonly attributes: Map<string, unknown> = new Map();
  status: { _tag: string; startTime: bigint; endTime?: bigint; exit?: unknown };
  /** Its data, once ended: private, so task code holding the span cannot forge it. */
  #wire: WireSpan | null = null;
  readonly #events: WireSpanEvent[] = [];

  constructor(
    readonly recorder: SpanRecorder,
    readonly id: number,
    readonly parentId: number,
    request: SpanRequest,
    traceId: string,
    parent: unknown,
  ) {
    this.name = cut(String(request.name), SPAN_LIMITS.name);
    this.parent = request.parent;
    this.annotations = request.annotations;
    this.links = request.links;
    this.sampled = request.sampled;
    this.kind = SPAN_KINDS.has(request.kind) ? request.kind as WireSpanKind : "internal";
    const parentTrace = (parent as { traceId?: unknown } | undefined)?.traceId;
    this.traceId = typeof parentTrace === "string" ? parentTrace : traceId;
    this.spanId = randomId();
    this.status = { _tag: "Started", startTime: request.startTime };
  }

  end(endTime: bigint, exit: unknown): void {
    if (this.status._tag === "Ended") return;
    const startTime = this.status.startTime;
    this.status = { _tag: "Ended", startTime, endTime, exit };
    if (this.id === 0 || !this.sampled) return;
    try {
      const [ending, message] = exitOf(exit);
      this.#wire = {
        id: this.id,
        parent: this.parentId,
        name: this.name,
        kind: this.kind,
        start: millis(startTime),
        end: millis(endTime),
        exit: ending,
        ...(message === undefined ? {} : { message }),
        attributes: attributesOf(this.attributes),
        events: this.#events,
      };
    } catch {
      // Attributes task code made unreadable (a key whose `toString` throws): not sent.
    }
  }

  /** Its data, once it ended (and if it is to be sent), else null. */
  get ended(): WireSpan | null {
    return this.#wire;
  }

  attribute(key: string, value: unknown): void {
    if (this.status._tag === "Ended") return;
    const attributes = this.attributes;
    if (attributes.size >= SPAN_LIMITS.attributes && !attributes.has(key)) return;
    attributes.set(key, value);
  }

  event(name: string, startTime: bigint, attributes?: Record<string, unknown>): void {
    if (this.status._tag === "Ended" || this.#events.length >= SPAN_LIMITS.events) return;
    let list: WireAttribute[] = [];
    if (attributes !== undefined) {
      try {
        list = attributesOf(new Map(Object.entries(attributes)));
      } catch {
        list = [];
      }
    }
    this.#events[this.#events.length] = [
      cut(String(name), SPAN_LIMITS.name),
      millis(startTime),
      list,
    ];
  }

  addLinks(_links: unknown): void {
    // Links name spans of this worker's tracer, which the caller's tracer cannot see.
  }
}

/**
 * A bigint time in ns since the epoch, as ms (sub-ms precision kept), within the times a
 * span may carry (a task's own `Clock` may give any).
 */
function millis(nanos: bigint): number {
  const ms = typeof nanos === "bigint" ? Number(nanos) / 1e6 : 0;
  return ms >= 0 ? Math.min(ms, SPAN_LIMITS.latestMs) : 0;
}

/** Attributes as data: at most `SPAN_LIMITS.attributes`, keys and values cut to size. */
function attributesOf(attributes: ReadonlyMap<string, unknown>): WireAttribute[] {
  const list: WireAttribute[] = [];
  for (const [key, value] of attributes) {
    if (list.length >= SPAN_LIMITS.attributes) break;
    list[list.length] = [cut(String(key), SPAN_LIMITS.name), attributeValue(value)];
  }
  return list;
}

/** Any value as an attribute's: strings, finite numbers and booleans as they are. */
function attributeValue(value: unknown): string | number | boolean {
  if (typeof value === "number" || typeof value === "boolean") return value;
  if (typeof value === "string") return cut(value, SPAN_LIMITS.text);
  return cut(describe(value), SPAN_LIMITS.text);
}

/** How an Effect `Exit` ended, read structurally: one word, and the reason in words. */
function exitOf(exit: unknown): readonly [SpanExit, string | undefined] {
  try {
    const read = exit as {
      _tag?: unknown;
      cause?: { reasons?: ReadonlyArray<{ _tag?: unknown; error?: unknown; defect?: unknown }> };
    };
    if (read._tag === "Success") return ["success", undefined];
    const reasons = read.cause?.reasons ?? [];
    for (const reason of reasons) {
      if (reason._tag === "Fail") return ["failure", cut(describe(reason.error), SPAN_LIMITS.text)];
    }
    for (const reason of reasons) {
      if (reason._tag === "Die") return ["defect", cut(describe(reason.defect), SPAN_LIMITS.text)];
    }
  } catch {
    // A cause that cannot be read: it did not succeed.
  }
  return ["interrupted", undefined];
}

/** A value in words: an error's name and message, JSON, or `String()`. */
function describe(value: unknown): string {
  try {
    if (value instanceof Error) return `${value.name}: ${value.message}`;
    if (typeof value === "string") return value;
    if (typeof value === "bigint" || typeof value === "symbol") return value.toString();
    if (typeof value === "function") return "[function]";
    const json = JSON.stringify(value);
    if (json !== undefined) return json;
    return String(value);
  } catch {
    return "[unprintable]";
  }
}

function cut(text: string, limit: number): string {
  return text.length > limit ? text.slice(0, limit) : text;
}

/** 16 hex digits, as Effect's own span ids. */
function randomId(): string {
  let id = "";
  for (let i = 0; i < 16; i++) id += ((Math.random() * 16) | 0).toString(16);
  return id;
}
