/**
 * The main side's check of the spans a worker sends back with a traced chunk's answer
 * (`DONE`'s `spans`; see `lib/shared/tracing_wire.ts`). A worker runs code the program
 * may not trust, so the spans must be exactly the shape the worker's recorder makes and
 * within `SPAN_LIMITS`, or the answer breaks the protocol (`lib/protocol_check.ts`).
 * Well-formed spans can do no more than appear in the caller's tracer: their numbers
 * only point backwards (a parent is recorded before its child), so they nest without
 * cycles, and their values are strings, numbers and booleans.
 *
 * @module
 */
import {
  SPAN_EXITS,
  SPAN_KINDS,
  SPAN_LIMITS,
  spanText,
  type WireSpan,
} from "./shared/tracing_wire.ts";

/**
 * Whether `value` is a list of spans a worker may send with an answer: one to
 * `SPAN_LIMITS.spans` spans, numbered in increasing order, each parent numbered before
 * its child, every string, attribute and event within bounds.
 *
 * @example
 * ```ts
 * import { isWireSpans } from "./tracing_check.ts";
 * import assert from "node:assert/strict";
 *
 * const span = {
 *   id: 1,
 *   parent: 0,
 *   name: "step",
 *   kind: "internal",
 *   start: 1,
 *   end: 2,
 *   exit: "success",
 *   attributes: [["n", 1]],
 *   events: [],
 * };
 * assert.equal(isWireSpans([span]), true);
 * assert.equal(isWireSpans([{ ...span, parent: 1 }]), false); // its own parent
 * assert.equal(isWireSpans([]), false);
 * ```
 */
export function isWireSpans(value: unknown): value is readonly WireSpan[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > SPAN_LIMITS.spans) {
    return false;
  }
  let last = 0;
  let total = 0;
  for (let i = 0; i < value.length; i++) {
    const span: unknown = value[i];
    if (!isWireSpan(span) || span.id <= last) return false;
    last = span.id;
    total += spanText(span);
    if (total > SPAN_LIMITS.total) return false;
  }
  return true;
}

function isWireSpan(value: unknown): value is WireSpan {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const span = value as Record<string, unknown>;
  const { id, parent } = span;
  if (!Number.isSafeInteger(id) || (id as number) < 1) return false;
  if (
    !Number.isSafeInteger(parent) || (parent as number) < 0 || parent as number >= (id as number)
  ) {
    return false;
  }
  if (!isText(span.name, SPAN_LIMITS.name)) return false;
  if (!SPAN_KINDS.has(span.kind as string) || !SPAN_EXITS.has(span.exit as string)) return false;
  if (!isTime(span.start) || !isTime(span.end)) return false;
  if (span.message !== undefined && !isText(span.message, SPAN_LIMITS.text)) return false;
  if (!areAttributes(span.attributes)) return false;
  const events = span.events;
  if (!Array.isArray(events) || events.length > SPAN_LIMITS.events) return false;
  for (let i = 0; i < events.length; i++) {
    const event: unknown = events[i];
    if (!Array.isArray(event) || event.length !== 3) return false;
    if (!isText(event[0], SPAN_LIMITS.name) || !isTime(event[1])) return false;
    if (!areAttributes(event[2])) return false;
  }
  return true;
}

/** `[key, value]` pairs: a short key and a string, number or boolean. */
function areAttributes(value: unknown): boolean {
  if (!Array.isArray(value) || value.length > SPAN_LIMITS.attributes) return false;
  for (let i = 0; i < value.length; i++) {
    const entry: unknown = value[i];
    if (!Array.isArray(entry) || entry.length !== 2 || !isText(entry[0], SPAN_LIMITS.name)) {
      return false;
    }
    const item: unknown = entry[1];
    if (typeof item === "string") {
      if (item.length > SPAN_LIMITS.text) return false;
    } else if (typeof item !== "number" && typeof item !== "boolean") {
      return false;
    }
  }
  return true;
}

/** A time in ms since the epoch, within `SPAN_LIMITS.latestMs`. */
function isTime(value: unknown): boolean {
  return typeof value === "number" && value >= 0 && value <= SPAN_LIMITS.latestMs;
}

function isText(value: unknown, limit: number): value is string {
  return typeof value === "string" && value.length <= limit;
}
