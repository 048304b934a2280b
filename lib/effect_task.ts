/**
 * Effect-native tasks on the caller's side: the types that say what a call of a task
 * returning an `Effect<A, E>` succeeds and fails with. Type-only: no Effect import, so
 * the Promise face can name them too.
 *
 * An Effect is recognised by the key of Effect 4's `Effect.TypeId` (`"~effect/Effect"`)
 * and its variance record, structurally, as the worker recognises one at run time.
 *
 * @module
 */
import type { TaskError } from "./errors.ts";
import type { TaskFunction } from "./types.ts";

/**
 * The typed failure a call of `F` can fail with beside the call's own errors: when `F`
 * returns an `Effect<A, E>`, `E` as it arrives (an object failure, such as a
 * `Data.TaggedError`, keeps its `_tag` and fields, so its type is kept; any other value
 * arrives inside a `TaskError`); `never` for any other task.
 *
 * @example
 * ```ts
 * import { Effect } from "effect";
 * import type { TaskFailure } from "./effect_task.ts";
 * import assert from "node:assert/strict";
 *
 * type NotFound = { readonly _tag: "NotFound"; readonly id: number };
 * const find = (id: number): Effect.Effect<string, NotFound> =>
 *   Effect.fail({ _tag: "NotFound", id });
 *
 * const failure: TaskFailure<typeof find> = { _tag: "NotFound", id: 3 };
 * assert.equal(failure._tag, "NotFound");
 * ```
 */
export type TaskFailure<F extends TaskFunction> = ReturnType<F> extends {
  readonly "~effect/Effect": { readonly _E: (_: never) => infer E };
} ? Arrived<E>
  : never;

/**
 * A typed failure `E` as it arrives on the caller's side: an object keeps its type (its
 * `_tag` and fields cross); a primitive arrives inside a `TaskError` (as its `value`).
 *
 * @example
 * ```ts
 * import type { Arrived } from "./effect_task.ts";
 * import { TaskError } from "./errors.ts";
 *
 * const arrived: Arrived<string> = new TaskError({
 *   message: "\"no\"",
 *   remoteName: "string",
 *   isError: false,
 *   value: "no",
 * });
 * ```
 */
export type Arrived<E> = E extends object ? E : TaskError;
