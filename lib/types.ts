/**
 * The function types that flow through the public API: a task is any function, and a
 * call's result type is what the function gives once awaited.
 *
 * @module
 */

/**
 * Any function a pool or process can run (exported from its module, or wrapped by
 * `task`/`inline`).
 *
 * @example
 * ```ts
 * import type { TaskFunction } from "./types.ts";
 *
 * const square: TaskFunction = (x: number) => x * x;
 * ```
 */
// deno-lint-ignore no-explicit-any
export type TaskFunction = (...args: any[]) => unknown;

/**
 * The value a task gives once awaited: `ResultOf<typeof slowSquare>` is `number`.
 *
 * @example
 * ```ts
 * import type { ResultOf } from "./types.ts";
 *
 * const fetched: ResultOf<(x: number) => Promise<string>> = "a string, not a Promise";
 * ```
 */
export type ResultOf<F extends TaskFunction> = Awaited<ReturnType<F>>;

/**
 * The single argument of a task given to `map`/`imap`.
 *
 * @example
 * ```ts
 * import type { ArgOf } from "./types.ts";
 *
 * const item: ArgOf<(x: number) => number> = 3;
 * ```
 */
export type ArgOf<F extends TaskFunction> = Parameters<F>[0];
