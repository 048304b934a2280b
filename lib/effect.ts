/**
 * The Effect face of multiprocessing for Deno: everything `@multiprocessing/deno`
 * exports, with `Pool`, `Process`, `Manager` and `getContext` extended by their Effect
 * members (`Pool.make`, `Pool.layer`, `Process.spawn`, `joinEffect`, `Manager.make`,
 * `ctx.Pool.make`), and `PoolService`, `IpcEffect` and `FuturesEffect`. Pools are
 * scoped resources, errors are typed, interruption cancels.
 *
 * It is a separate entry so that Promise programs, and the workers that import their
 * modules, never load Effect. Moving from the main entry is one line: import from
 * `@multiprocessing/deno/effect` instead of `@multiprocessing/deno`.
 *
 * @example A scoped pool
 * ```ts
 * import { Effect } from "effect";
 * import { inline, Pool } from "./effect.ts";
 * import assert from "node:assert/strict";
 *
 * const square = inline((x: number) => x * x);
 *
 * const program = Effect.gen(function* () {
 *   const pool = yield* Pool.make({ processes: 2 });
 *   return yield* pool.map(square, [1, 2, 3, 4, 5]);
 * });
 * assert.deepEqual(await Effect.runPromise(Effect.scoped(program)), [1, 4, 9, 16, 25]);
 * ```
 *
 * @module
 */
// Names declared here win over the same names from `export *` (ECMAScript's rule).
export * from "../mod.ts";
export { type EffectMapOptions, type EffectPool, Pool, PoolService } from "./pool_effect.ts";
export { Process } from "./process_effect.ts";
export { Manager } from "./manager/manager_effect.ts";
export {
  type Context,
  type ContextPool,
  type ContextProcessClass,
  getContext,
} from "./context_effect.ts";
export {
  type Acquirable,
  type EffectQueueOptions,
  type EffectWaitOptions,
  IpcEffect,
} from "./ipc_effect.ts";
export {
  type EffectAsCompletedOptions,
  type EffectFuturesWaitOptions,
  FuturesEffect,
  type FuturesEffectApi,
} from "./futures_effect.ts";
