/**
 * Tasks for `effect_task_bench.ts`, in a module that imports `effect/Effect` (as an
 * Effect-native task's module must): a plain task and an Effect-native one side by side,
 * so the two differ only in what the worker does with the result.
 *
 * @module
 */
import * as Effect from "effect/Effect";

/**
 * x², plain, from a module that loads Effect.
 *
 * @example
 * ```ts
 * import { plainSquare } from "./effect_task_fixtures.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(plainSquare(3), 9);
 * ```
 */
export function plainSquare(x: number): number {
  return x * x;
}

/**
 * x², as an Effect the worker runs.
 *
 * @example
 * ```ts
 * import { Effect } from "effect";
 * import { effectSquare } from "./effect_task_fixtures.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(Effect.runSync(effectSquare(3)), 9);
 * ```
 */
export function effectSquare(x: number): Effect.Effect<number> {
  return Effect.succeed(x * x);
}
