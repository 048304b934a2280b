/**
 * The Effect face of multiprocessing for Deno: everything `@multiprocessing/deno`
 * exports, in one shape. Services (the pool: `Pool.make`, `Pool.layer`, `PoolService`;
 * `Manager.make`; `ctx.Pool.make`) are scoped resources whose methods return Effects
 * and Streams. The objects shared with the Promise face (processes, handles, queues,
 * pipes, locks...) are used through namespace functions that take the object first, as
 * Effect's own `Queue.take(queue)`: `ProcessEffect`, `AsyncResultEffect`, `IpcEffect`,
 * `FuturesEffect`. Each error type names exactly what the call can fail with, and
 * interruption cancels. A pool's work is measured as Effect metrics (`PoolMetrics`), and
 * a call made under a tracer is traced: each chunk is a span (`CHUNK_SPAN_NAME`, with
 * `CHUNK_ATTRIBUTES`), under which the spans an Effect-native task makes in its worker
 * nest.
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
export {
  type EffectLazyMapOptions,
  type EffectMapOptions,
  type EffectPool,
  Pool,
  PoolService,
} from "./pool_effect.ts";
export { ProcessEffect, type ProcessEffectApi, type ProcessStartError } from "./process_effect.ts";
export {
  AsyncResultEffect,
  type AsyncResultEffectApi,
  type AsyncResultWaitOptions,
} from "./async_result_effect.ts";
export { Manager } from "./manager/manager_effect.ts";
export type { Arrived, TaskFailure } from "./effect_task.ts";
export { PoolMetrics, type PoolMetricSet } from "./metrics.ts";
export { CHUNK_ATTRIBUTES, CHUNK_SPAN_NAME } from "./tracing.ts";
export {
  type Context,
  type ContextPool,
  type ContextProcessClass,
  getContext,
} from "./context_effect.ts";
export {
  type Acquirable,
  type EffectAcquireOptions,
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
