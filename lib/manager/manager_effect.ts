/**
 * `Manager` with its Effect face: `Manager.make()`, a scoped resource shut down with its
 * scope. Its proxies' calls are synchronous (a round trip through shared memory), so
 * Effect code uses them inside `Effect.sync`, or directly in a generator. Public
 * through `@multiprocessing/deno/effect`.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import type * as Scope from "effect/Scope";
import { Manager as PromiseManager } from "./manager.ts";

/**
 * `Manager` with its Effect face: everything the Promise face's `Manager` has
 * (`Manager.start()`), plus `Manager.make()`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect";
 * import { Manager } from "../effect.ts";
 * import assert from "node:assert/strict";
 *
 * const program = Effect.gen(function* () {
 *   const manager = yield* Manager.make();
 *   const d = manager.dict<string, number>();
 *   d.set("a", 1);
 *   return d.get("a");
 * });
 * assert.equal(await Effect.runPromise(Effect.scoped(program)), 1);
 * ```
 */
export class Manager extends PromiseManager {
  /**
   * The Effect face: a manager in the current scope, shut down when the scope closes.
   *
   * @example
   * ```ts
   * import { Effect } from "effect";
   * import { Manager } from "../effect.ts";
   * import assert from "node:assert/strict";
   *
   * const program = Effect.gen(function* () {
   *   const manager = yield* Manager.make();
   *   return manager.running;
   * });
   * assert.equal(await Effect.runPromise(Effect.scoped(program)), true);
   * ```
   */
  static make(): Effect.Effect<PromiseManager, never, Scope.Scope> {
    return Effect.acquireRelease(
      Effect.promise(() => PromiseManager.start()),
      (manager) => Effect.sync(() => manager.shutdown()),
    );
  }
}
