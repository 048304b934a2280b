/**
 * What `Pool`'s methods run, gathered in one module that `Pool.open` loads: a program
 * or a worker that imports `mod.ts` without opening a pool (every worker whose task
 * module is also its main module) loads none of it. The eager calls live in
 * `pool_eager.ts`, the lazy maps in `pool_lazy.ts`, `mapZip` in `map_zip.ts`, opening
 * and joining in `pool_lifecycle.ts`.
 *
 * @example The methods a pool runs, loaded as `Pool.open` loads them
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const methods = await import("./pool_methods.ts");
 * assert.equal(typeof methods.openPool, "function");
 * assert.equal(typeof methods.mapPromise, "function");
 * ```
 *
 * @module
 */
export { mapZipCall } from "./map_zip.ts";
export { applyPromise, futureHandle, mapHandle, mapPromise, roomPromise } from "./pool_eager.ts";
export { startLazyMap } from "./pool_lazy.ts";
export { joinPool, openPool } from "./pool_lifecycle.ts";
