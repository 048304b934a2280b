/**
 * The Promise face's pool from its engine's side: how `Pool.open` loads the engine and
 * opens it, and how `pool.join()` waits for its workers to exit. `Pool` (`pool.ts`)
 * holds only the methods, each one line over this module, `pool_eager.ts` or
 * `pool_lazy.ts`.
 *
 * @module
 */
import type { Engine } from "./engine.ts";
import { type PoolCaller, poolCaller, trackPool } from "./live_registry.ts";
import { engineOptions, type PoolOptions } from "./pool_options.ts";

/**
 * The engine and the backends behind it (web workers, child processes, the cluster)
 * load with the first pool, not with `mod.ts`: a worker whose task module imports
 * `mod.ts` never loads them, and a program starts its first pool sooner.
 */
let engineModule: Promise<typeof import("./engine.ts")> | undefined;
function loadEngine(): Promise<typeof import("./engine.ts")> {
  return engineModule ??= import("./engine.ts");
}

/**
 * Opens an engine with `options` and gives `handle(engine)` once it is open (after the
 * initializer ran in every worker, when there is one): what `Pool.open` does. The
 * handle is tracked, so that one left open and garbage-collected is reported.
 *
 * @param options The pool's options, checked here.
 * @param handle Makes the object the caller gets (the `Pool`).
 * @param caller Where the pool was opened from; read now unless given.
 * @returns That object, once the pool is open.
 * @throws {RangeError} An option is out of range (`processes: 0`).
 * @throws {TypeError} Options that exclude each other.
 * @throws {TaskError} The initializer threw.
 *
 * @example
 * ```ts
 * import { Pool } from "../mod.ts";
 * import assert from "node:assert/strict";
 *
 * await using pool = await Pool.open({ processes: 1 }); // openPool(options, (e) => new Pool(e))
 * assert.equal(pool.processes, 1);
 * ```
 */
export async function openPool<P extends object>(
  options: PoolOptions,
  handle: (engine: Engine) => P,
  caller: PoolCaller = poolCaller(options),
): Promise<P> {
  const settings = engineOptions(options, () => caller.module);
  const site = caller.site;
  const { Engine } = await loadEngine();
  const engine = new Engine(settings);
  const tracked = trackPool(engine, settings, "Pool.open", site);
  return await new Promise((resolve, reject) => {
    engine.open((error) => (error ? reject(error) : resolve(tracked(handle(engine)))));
  });
}

/**
 * Waits until the engine's workers have exited: what `pool.join()` gives. Rejects at
 * once while the pool still takes work, as Python raises `ValueError`.
 *
 * @param engine The pool's engine, closed or terminated.
 * @returns A promise that resolves once the workers are gone.
 *
 * @example
 * ```ts
 * import { Pool } from "../mod.ts";
 * import assert from "node:assert/strict";
 *
 * await using pool = await Pool.open({ processes: 1 });
 * await assert.rejects(pool.join(), /still running: call close\(\) or terminate\(\) first/);
 * pool.close();
 * await pool.join(); // joinPool(engine)
 * ```
 */
export function joinPool(engine: Engine): Promise<void> {
  if (engine.closedError() === null) {
    return Promise.reject(
      new Error("Cannot join a pool that is still running: call close() or terminate() first"),
    );
  }
  return new Promise((resolve) => engine.whenDrained(resolve));
}
