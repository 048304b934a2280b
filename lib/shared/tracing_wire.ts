/**
 * Tracing across isolates, as data: the trace context a traced chunk's `RUN` carries into
 * the worker (a `TraceParent`, as one string: `encodeTraceParent`), and the spans an Effect-native task made there, sent back
 * with the chunk's answer (`WireSpan`) and re-created in the caller's tracer under the
 * chunk's span (`lib/tracing.ts`). Shared by both sides; imports nothing.
 *
 * What a worker sends is untrusted: `SPAN_LIMITS` bounds it, the worker's recorder keeps
 * within them (`lib/worker/span_recorder.ts`), and the main side checks every answer
 * against them (`lib/protocol_check.ts`).
 *
 * @module
 */

/**
 * The span a chunk runs under, as the worker sees it: the parent of the spans its task
 * makes. Optional on `RUN` (as one string, see `encodeTraceParent`); only chunks of a
 * call traced by a tracer carry it.
 *
 * @example
 * ```ts
 * import { decodeTraceParent, encodeTraceParent, type TraceParent } from "./tracing_wire.ts";
 * import assert from "node:assert/strict";
 *
 * const parent: TraceParent = { traceId: "4bf92f35", spanId: "00f067aa" };
 * assert.deepEqual(decodeTraceParent(encodeTraceParent(parent)), parent);
 * ```
 */
export interface TraceParent {
  /** The trace the chunk's span belongs to. */
  readonly traceId: string;
  /** The chunk's span. */
  readonly spanId: string;
}

/**
 * How a span recorded in a worker ended: its Effect's exit, in one word.
 *
 * @example
 * ```ts
 * import { SPAN_EXITS, type SpanExit } from "./tracing_wire.ts";
 * import assert from "node:assert/strict";
 *
 * const exit: SpanExit = "defect";
 * assert.ok(SPAN_EXITS.has(exit));
 * ```
 */
export type SpanExit = "success" | "failure" | "defect" | "interrupted";

/**
 * Effect's span kinds (OpenTelemetry's).
 *
 * @example
 * ```ts
 * import { SPAN_KINDS, type WireSpanKind } from "./tracing_wire.ts";
 * import assert from "node:assert/strict";
 *
 * const kind: WireSpanKind = "client";
 * assert.ok(SPAN_KINDS.has(kind));
 * ```
 */
export type WireSpanKind = "internal" | "server" | "client" | "producer" | "consumer";

/**
 * An attribute as data: a key and a string, number or boolean.
 *
 * @example
 * ```ts
 * import type { WireAttribute } from "./tracing_wire.ts";
 * import assert from "node:assert/strict";
 *
 * const attribute: WireAttribute = ["rows", 12];
 * assert.equal(attribute[0], "rows");
 * ```
 */
export type WireAttribute = readonly [key: string, value: string | number | boolean];

/**
 * A span event as data (a log line inside a span, say): its name, time and attributes.
 *
 * @example
 * ```ts
 * import type { WireSpanEvent } from "./tracing_wire.ts";
 * import assert from "node:assert/strict";
 *
 * const event: WireSpanEvent = ["parsed", 1_700_000_000_001, [["rows", 12]]];
 * assert.equal(event[2].length, 1);
 * ```
 */
export type WireSpanEvent = readonly [
  name: string,
  time: number,
  attributes: readonly WireAttribute[],
];

/**
 * A span an Effect-native task made in a worker, ended there, as data.
 *
 * @example
 * ```ts
 * import type { WireSpan } from "./tracing_wire.ts";
 * import assert from "node:assert/strict";
 *
 * const span: WireSpan = {
 *   id: 1,
 *   parent: 0,
 *   name: "parse",
 *   kind: "internal",
 *   start: 1_700_000_000_000,
 *   end: 1_700_000_000_002.5,
 *   exit: "success",
 *   attributes: [["bytes", 512]],
 *   events: [],
 * };
 * assert.equal(span.end - span.start, 2.5);
 * ```
 */
export interface WireSpan {
  /** Its number in the answer: 1, 2, 3... in the order the spans started. */
  readonly id: number;
  /** Its parent's number in the same answer (smaller than `id`), or 0 for the chunk's span. */
  readonly parent: number;
  readonly name: string;
  readonly kind: WireSpanKind;
  /** When it started and ended, in ms since the Unix epoch (the worker's clock). */
  readonly start: number;
  readonly end: number;
  readonly exit: SpanExit;
  /** What it failed or died with, in words (`"failure"` and `"defect"` only). */
  readonly message?: string | undefined;
  readonly attributes: readonly WireAttribute[];
  readonly events: readonly WireSpanEvent[];
}

/**
 * Bounds of the spans in one answer. A worker's recorder keeps within them (it stops
 * recording, cuts long strings, drops extra attributes and events); the main side treats
 * an answer beyond them as a protocol violation.
 *
 * @example
 * ```ts
 * import { SPAN_LIMITS } from "./tracing_wire.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(SPAN_LIMITS.text * SPAN_LIMITS.attributes <= SPAN_LIMITS.total);
 * ```
 */
export const SPAN_LIMITS = {
  /** Most spans in one answer. */
  spans: 256,
  /** Most attributes per span, and per event. */
  attributes: 32,
  /** Most events per span. */
  events: 32,
  /** Longest span name, event name, attribute key or id, in UTF-16 units. */
  name: 256,
  /** Longest attribute value or message. */
  text: 4096,
  /**
   * Most UTF-16 units of all the strings of one answer's spans together, each attribute
   * and event counting `entry` units more: so the number of entries is bounded too.
   */
  total: 1 << 20,
  /** What each attribute and event counts towards `total`, beside its strings. */
  entry: 16,
  /** Times are from 0 to this many ms since the epoch (the year 5138): a nanosecond count stays exact. */
  latestMs: 1e14,
} as const;

/**
 * The kinds `WireSpan.kind` may take.
 *
 * @example
 * ```ts
 * import { SPAN_KINDS } from "./tracing_wire.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(SPAN_KINDS.has("server"), true);
 * ```
 */
export const SPAN_KINDS: ReadonlySet<string> = new Set<WireSpanKind>([
  "internal",
  "server",
  "client",
  "producer",
  "consumer",
]);

/**
 * The words `WireSpan.exit` may take.
 *
 * @example
 * ```ts
 * import { SPAN_EXITS } from "./tracing_wire.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(SPAN_EXITS.has("interrupted"), true);
 * ```
 */
export const SPAN_EXITS: ReadonlySet<string> = new Set<SpanExit>([
  "success",
  "failure",
  "defect",
  "interrupted",
]);

/**
 * The size of a span as `SPAN_LIMITS.total` counts it: the UTF-16 units of its strings,
 * and `SPAN_LIMITS.entry` per attribute and event. Both sides count with this one
 * function, so an honest worker never crosses the limit.
 *
 * @example
 * ```ts
 * import { spanText } from "./tracing_wire.ts";
 * import assert from "node:assert/strict";
 *
 * const span = {
 *   id: 1,
 *   parent: 0,
 *   name: "ab",
 *   kind: "internal",
 *   start: 0,
 *   end: 1,
 *   exit: "success",
 *   attributes: [["k", "vv"]],
 *   events: [["e", 0.5, []]],
 * } as const;
 * assert.equal(spanText(span), 2 + (16 + 1 + 2) + (16 + 1));
 * ```
 */
export function spanText(span: WireSpan): number {
  let units = span.name.length + (span.message?.length ?? 0) + attributesText(span.attributes);
  for (let i = 0; i < span.events.length; i++) {
    const event = span.events[i]!;
    units += SPAN_LIMITS.entry + event[0].length + attributesText(event[2]);
  }
  return units;
}

function attributesText(attributes: readonly WireAttribute[]): number {
  let units = 0;
  for (let i = 0; i < attributes.length; i++) {
    const [key, value] = attributes[i]!;
    units += SPAN_LIMITS.entry + key.length + (typeof value === "string" ? value.length : 0);
  }
  return units;
}

/**
 * A trace context as the one string a `RUN` carries: the trace id's length, a colon, the
 * trace id and the span id. One string costs a message less to copy than an object (a
 * chunk of one small item is a few microseconds), and ids of any characters survive.
 *
 * @param parent The chunk's span.
 * @returns Its ids, as one string.
 *
 * @example
 * ```ts
 * import { encodeTraceParent } from "./tracing_wire.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(encodeTraceParent({ traceId: "ab", spanId: "cd" }), "2:abcd");
 * ```
 */
export function encodeTraceParent(parent: TraceParent): string {
  return `${parent.traceId.length}:${parent.traceId}${parent.spanId}`;
}

/**
 * The trace context a `RUN`'s trace field holds, or null when it is not one (not a
 * string, malformed, or ids longer than `SPAN_LIMITS.name`): a worker then records
 * nothing.
 *
 * @param value The `RUN`'s trace field.
 * @returns The chunk's span, or null.
 *
 * @example
 * ```ts
 * import { decodeTraceParent } from "./tracing_wire.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(decodeTraceParent("2:abcd"), { traceId: "ab", spanId: "cd" });
 * assert.equal(decodeTraceParent("9:abcd"), null);
 * assert.equal(decodeTraceParent({ traceId: "ab" }), null);
 * ```
 */
export function decodeTraceParent(value: unknown): TraceParent | null {
  if (typeof value !== "string") return null;
  const colon = value.indexOf(":");
  const length = colon > 0 && colon < 4 ? Number(value.slice(0, colon)) : NaN;
  if (!Number.isInteger(length) || length < 1 || length > SPAN_LIMITS.name) return null;
  const traceId = value.slice(colon + 1, colon + 1 + length);
  const spanId = value.slice(colon + 1 + length);
  if (traceId.length !== length || spanId.length < 1 || spanId.length > SPAN_LIMITS.name) {
    return null;
  }
  return { traceId, spanId };
}
