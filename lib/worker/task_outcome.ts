/**
 * What a task gives back, as the runtime reads it: a value to send, a Promise to wait
 * for, or an Effect to run; and what it threw, as data for the main side.
 *
 * An Effect is recognised by the key Effect 4 puts on every Effect value (its
 * `Effect.TypeId`, `"~effect/Effect"`), read here without loading Effect: the runtime
 * that runs it (`lib/worker_effect/effect_task.ts`, the worker side's one Effect module) is loaded
 * only by a worker whose task returned one, so plain tasks keep their Effect-free start.
 *
 * @module
 */
import type { TaskRef } from "../shared/protocol.ts";
import { type EffectEnding, toWireError, type WireError } from "../shared/wire_error.ts";
import { TaskNotFoundSignal } from "./resolve.ts";
import type { ChunkTracing } from "./span_recorder.ts";

/** The key of `Effect.TypeId` in effect 4: on every Effect value, own or inherited. */
const EFFECT_TYPE_ID = "~effect/Effect";

/**
 * How an Effect-native task's Effect ended without success: thrown by `runEffect` so
 * that the runtime's ordinary error path reports it, labelled.
 *
 * @example
 * ```ts
 * import { EffectEnd, wireError } from "./task_outcome.ts";
 * import assert from "node:assert/strict";
 *
 * const wire = wireError(new EffectEnd("defect", new RangeError("no")), undefined);
 * assert.equal(wire.effect, "defect");
 * assert.equal(wire.name, "RangeError");
 * ```
 */
export class EffectEnd {
  /**
   * @param ending A typed failure (`Effect.fail`) or a defect (a die, a throw inside).
   * @param error What it failed or died with.
   */
  constructor(readonly ending: EffectEnding, readonly error: unknown) {}
}

/**
 * Whether a task's return value must be waited for before it is sent: a Promise (any
 * thenable) or an Effect. One `typeof` and no call for a plain value: the hot path.
 *
 * @example
 * ```ts
 * import { mustWait } from "./task_outcome.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(mustWait(4), false);
 * assert.equal(mustWait(Promise.resolve(4)), true);
 * assert.equal(mustWait({ "~effect/Effect": {} }), true);
 * ```
 */
export function mustWait(value: unknown): value is object {
  return typeof value === "object" && value !== null &&
    (typeof (value as { then?: unknown }).then === "function" || EFFECT_TYPE_ID in value);
}

/** The runner of Effects, loaded with the first Effect a task returns. */
let runner: Promise<typeof import("../worker_effect/effect_task.ts")> | null = null;

/**
 * What to await for a task's return value: an Effect runs (in a scope, interrupted when
 * the call is cancelled) and gives its value, or throws an `EffectEnd`; anything else
 * is awaited as it is.
 *
 * @param value What the task returned.
 * @param busy The cell the main side reads while the worker runs synchronous code.
 * @param tracing The chunk's tracing, when its call is traced: an Effect's spans go there.
 *
 * @example
 * ```ts
 * import { settled } from "./task_outcome.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(await settled(Promise.resolve(3), null), 3);
 * ```
 */
export function settled(
  value: unknown,
  busy: Int32Array | null,
  tracing: ChunkTracing | null = null,
): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (typeof (value as { then?: unknown }).then === "function") return value;
  return EFFECT_TYPE_ID in value ? runEffect(value, busy, tracing) : value;
}

async function runEffect(
  effect: object,
  busy: Int32Array | null,
  tracing: ChunkTracing | null,
): Promise<unknown> {
  let loaded: typeof import("../worker_effect/effect_task.ts");
  try {
    loaded = await (runner ??= import("../worker_effect/effect_task.ts"));
  } catch (error) {
    runner = null;
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `Cannot run the Effect the task returned, as the worker could not load effect: ` +
        `${reason}; give the worker read access to the effect package, or return a Promise`,
    );
  }
  return await loaded.runEffectTask(effect, busy, tracing);
}

/**
 * A thrown value as data: labelled when an Effect ended it, explained when it can be.
 *
 * @example
 * ```ts
 * import { wireError } from "./task_outcome.ts";
 * import assert from "node:assert/strict";
 *
 * const inline = { kind: "inline", name: "f", source: "() => x" } as const;
 * assert.match(wireError(new ReferenceError("x is not defined"), inline).message, /export it/);
 * ```
 */
export function wireError(error: unknown, ref: TaskRef | undefined): WireError {
  if (error instanceof TaskNotFoundSignal) return toWireError(error, "TaskNotFound");
  const ended = error instanceof EffectEnd ? error : null;
  const thrown = ended === null ? error : ended.error;
  let wire = toWireError(thrown);
  if (ref?.kind === "inline" && thrown instanceof ReferenceError) {
    wire = {
      ...wire,
      message: `${wire.message} (inline function '${ref.name}' cannot see variables or ` +
        `imports of its module: export it from its module instead)`,
    };
  }
  return ended === null ? wire : { ...wire, effect: ended.ending };
}

/**
 * An item whose result structured clone refused, as data for its item only.
 *
 * @example
 * ```ts
 * import { unclonableResult } from "./task_outcome.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(unclonableResult(2, new Error("no")).tag, "SerializationError");
 * ```
 */
export function unclonableResult(index: number, error: unknown): WireError {
  const reason = error instanceof Error ? error.message : String(error);
  return {
    tag: "SerializationError",
    name: "DataCloneError",
    message: `Cannot send the result of item ${index} back from the worker: ${reason}; ` +
      `return plain data (numbers, strings, arrays, objects, Map, Date, typed arrays)`,
    isError: true,
  };
}
