/**
 * The light entry point for task modules: what code running inside a worker may ask,
 * without loading the Effect runtime into every worker. Import it as
 * `@multiprocessing/deno/worker` from modules whose functions run in a pool.
 *
 * @example Naming the worker a task ran in
 * ```ts
 * import { currentProcess } from "./api.ts";
 * import assert from "node:assert/strict";
 *
 * export function whoAmI(): string {
 *   return currentProcess().name;
 * }
 * assert.equal(whoAmI(), "MainProcess");
 * ```
 *
 * @module
 */
export { currentProcess, parentProcess, type ProcessInfo } from "./identity.ts";
export { cancelled, taskSignal } from "./task_context.ts";
export { Transfer, transfer } from "./transfer.ts";
