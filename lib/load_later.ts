/**
 * Loads a part of the library when a program first needs it, and not before.
 *
 * Deno reads the whole graph of every `import()` written with a string literal together
 * with the module that contains it (to have it ready), even when that `import()` never
 * runs. A literal `import("./engine.ts")` in a module that `mod.ts` imports made every
 * program, and every worker whose task module imports `mod.ts`, read the engine, the
 * backends and the cluster client at start-up: measured, about half of what a worker
 * spent loading `mod.ts`. A specifier passed here is not visible to Deno's analysis, so
 * the part loads when `loadLater` runs.
 *
 * The main side's lazy parts load through here: a pool's implementation, the backends,
 * the cluster client, the CLI's commands. Worker-side code keeps literal `import()`s on
 * purpose: inside a sandbox only a worker's start-up graph (its modules and their
 * literal imports) loads with the parent's permissions (see `backend/sandbox_graph.ts`).
 * `deno publish` warns about this module's one `import()`: it is meant.
 *
 * @module
 */

/**
 * Imports `url` now. Give the URL relative to the calling module, and the module's type:
 * `loadLater<typeof import("./engine.ts")>(new URL("./engine.ts", import.meta.url))`.
 *
 * @example A module loaded when it is first needed
 * ```ts
 * import { loadLater } from "./load_later.ts";
 * import assert from "node:assert/strict";
 *
 * const errors = await loadLater<typeof import("./errors.ts")>(
 *   new URL("./errors.ts", import.meta.url),
 * );
 * assert.equal(typeof errors.TaskError, "function");
 * ```
 */
export function loadLater<Module>(url: URL): Promise<Module> {
  return import(url.href) as Promise<Module>;
}
