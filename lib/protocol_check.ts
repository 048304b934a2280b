/**
 * The main side's reading of what a worker sends. A worker runs code the program may not
 * trust, so every message is checked for its shape before anything acts on it: a
 * message that is not one the protocol defines is reported as a violation (a sentence
 * for `WorkerCrashed`), never thrown. Whether a well-formed answer fits the worker's
 * state (the chunk it names is the one running there) is the engine's check.
 *
 * @module
 */
import {
  CANCELLED,
  CRASHED,
  DONE,
  DONE_MANY,
  type DoneMessage,
  EXITING,
  FAILED,
  type FromWorker,
  INIT_FAILED,
  READY,
} from "./shared/protocol.ts";
import {
  type EffectEnding,
  RESERVED_ERROR_KEYS,
  WIRE_ERROR_LIMITS,
  type WireError,
} from "./shared/wire_error.ts";
import { isWireSpans } from "./tracing_check.ts";

/** A message that broke the protocol: why, in words. */
export interface Violation {
  readonly violation: string;
}

const TAGS = new Set(["TaskError", "SerializationError", "TaskNotFound"]);
const EFFECT_ENDINGS: ReadonlySet<string> = new Set<EffectEnding>(["failure", "defect"]);
/** Causes nest; deeper than this is not an error chain a runtime builds. */
const MAX_CAUSE_DEPTH = WIRE_ERROR_LIMITS.depth;

/** Checks that `value` is a message a worker may send; the message, or why not. */
export function readFromWorker(value: unknown): FromWorker | Violation {
  if (!Array.isArray(value) || value.length === 0) return broken("a message that is not a list");
  switch (value[0]) {
    case READY:
      return value.length === 1 ? value as unknown as FromWorker : broken("a malformed READY");
    case INIT_FAILED:
    case CRASHED:
      return value.length === 2 && isWireError(value[1], 0)
        ? value as unknown as FromWorker
        : broken(`a malformed ${value[0] === CRASHED ? "CRASHED" : "INIT_FAILED"}`);
    case DONE:
      return isDone(value) ? value as unknown as FromWorker : broken("a malformed DONE");
    case DONE_MANY: {
      const answers = value[1];
      if (value.length !== 2 || !Array.isArray(answers) || answers.length === 0) {
        return broken("a malformed DONE_MANY");
      }
      for (let i = 0; i < answers.length; i++) {
        if (!isDone(answers[i])) return broken("a malformed answer in DONE_MANY");
      }
      return value as unknown as FromWorker;
    }
    case FAILED:
      return value.length === 3 && isId(value[1]) && isWireError(value[2], 0)
        ? value as unknown as FromWorker
        : broken("a malformed FAILED");
    case CANCELLED:
      return value.length === 2 && isId(value[1]) ? value as unknown as FromWorker : broken(
        "a malformed CANCELLED",
      );
    case EXITING:
      return value.length === 2 && Number.isInteger(value[1])
        ? value as unknown as FromWorker
        : broken("a malformed EXITING");
    default:
      return broken(`a message of unknown kind ${describe(value[0])}`);
  }
}

/** Whether `value` is a `Violation` rather than a message. */
export function isViolation(value: FromWorker | Violation): value is Violation {
  return !Array.isArray(value);
}

function broken(what: string): Violation {
  return { violation: `sent ${what}` };
}

function isId(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value > 0;
}

function isDone(value: unknown): value is DoneMessage {
  if (!Array.isArray(value) || value[0] !== DONE) return false;
  if (value.length !== 4 && !(value.length === 5 && isWireSpans(value[4]))) return false;
  if (!isId(value[1]) || !Array.isArray(value[2])) return false;
  const errors: unknown = value[3];
  if (errors === null) return true;
  if (!Array.isArray(errors) || errors.length === 0) return false;
  let last = -1;
  for (let i = 0; i < errors.length; i++) {
    const entry: unknown = errors[i];
    if (!Array.isArray(entry) || entry.length !== 2) return false;
    const index: unknown = entry[0];
    // Item errors come in item order, one per item.
    if (!Number.isSafeInteger(index) || (index as number) <= last) return false;
    if (!isWireError(entry[1], 0)) return false;
    last = index as number;
  }
  return true;
}

/**
 * Whether `value` is an error as data within `WIRE_ERROR_LIMITS`: its strings bounded,
 * its fields a short list of reserved-free keys, its causes and aggregated errors
 * bounded in depth and in number (`budget` counts the errors of one tree).
 */
function isWireError(value: unknown, depth: number, budget = { nodes: 0 }): value is WireError {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  if (depth > WIRE_ERROR_LIMITS.depth || ++budget.nodes > WIRE_ERROR_LIMITS.nodes) return false;
  const wire = value as Record<string, unknown>;
  if (!TAGS.has(wire.tag as string)) return false;
  if (!isText(wire.name, WIRE_ERROR_LIMITS.name)) return false;
  if (!isText(wire.message, WIRE_ERROR_LIMITS.text)) return false;
  if (typeof wire.isError !== "boolean") return false;
  if (wire.stack !== undefined && !isText(wire.stack, WIRE_ERROR_LIMITS.text)) return false;
  if (wire.code !== undefined && !isText(wire.code, WIRE_ERROR_LIMITS.name)) return false;
  if (wire.className !== undefined && !isText(wire.className, WIRE_ERROR_LIMITS.name)) {
    return false;
  }
  if (wire.fields !== undefined && !areFields(wire.fields)) return false;
  // Anything but the two endings (a forged or garbled flag) breaks the protocol.
  if (wire.effect !== undefined && !EFFECT_ENDINGS.has(wire.effect as string)) return false;
  if (wire.errors !== undefined) {
    const errors = wire.errors;
    if (!Array.isArray(errors) || errors.length > WIRE_ERROR_LIMITS.errors) return false;
    for (let i = 0; i < errors.length; i++) {
      if (!isWireError(errors[i], depth + 1, budget)) return false;
    }
  }
  if (wire.cause === undefined) return true;
  return depth < MAX_CAUSE_DEPTH && isWireError(wire.cause, depth + 1, budget);
}

function isText(value: unknown, limit: number): value is string {
  return typeof value === "string" && value.length <= limit;
}

/** `[key, value]` pairs: string keys, unique, none reserved; values are any clone data. */
function areFields(value: unknown): boolean {
  if (!Array.isArray(value) || value.length > WIRE_ERROR_LIMITS.fields) return false;
  const seen = new Set<string>();
  for (let i = 0; i < value.length; i++) {
    const entry: unknown = value[i];
    if (!Array.isArray(entry) || entry.length !== 2) return false;
    const key: unknown = entry[0];
    if (!isText(key, WIRE_ERROR_LIMITS.name) || RESERVED_ERROR_KEYS.has(key)) return false;
    if (seen.has(key)) return false;
    seen.add(key);
  }
  return true;
}

function describe(value: unknown): string {
  return typeof value === "number" ? String(value) : typeof value;
}
