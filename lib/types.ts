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

import type { Transfer } from "./comms/transfer.ts";

/**
 * The value a task gives once awaited: `ResultOf<typeof slowSquare>` is `number`; a
 * `transfer(buffer)` result arrives as the buffer itself; a task returning an
 * `Effect<A, E>` gives `A` (the worker runs the Effect).
 *
 * @example
 * ```ts
 * import type { ResultOf } from "./types.ts";
 *
 * const fetched: ResultOf<(x: number) => Promise<string>> = "a string, not a Promise";
 * ```
 */
export type ResultOf<F extends TaskFunction> = ReturnType<F> extends {
  // Effect 4's `Effect.TypeId` and variance record, matched without importing Effect.
  readonly "~effect/Effect": { readonly _A: (_: never) => infer A };
} ? Unwrapped<A>
  : Unwrapped<Awaited<ReturnType<F>>>;

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

/**
 * A value as it arrives on the other side: `Transfer<T>` arrives as `T`.
 *
 * @example
 * ```ts
 * import type { Unwrapped } from "./types.ts";
 * import type { Transfer } from "./comms/transfer.ts";
 *
 * const bytes: Unwrapped<Transfer<Uint8Array>> = new Uint8Array(4);
 * ```
 */
export type Unwrapped<T> = T extends Transfer<infer B> ? B : T;

/**
 * A value a caller may send where a task expects `T`: `T` itself or, for buffers,
 * `transfer(T)` to move it instead of copying it.
 *
 * @example
 * ```ts
 * import type { Sendable } from "./types.ts";
 * import { transfer } from "./comms/transfer.ts";
 *
 * const moved: Sendable<ArrayBuffer> = transfer(new ArrayBuffer(8));
 * ```
 */
export type Sendable<T> = T | (T extends ArrayBuffer | ArrayBufferView ? Transfer<T> : never);

/**
 * An argument list as a caller may send it: each buffer argument may be `transfer()`ed.
 *
 * @example
 * ```ts
 * import type { SendableArgs } from "./types.ts";
 *
 * const args: SendableArgs<[number, string]> = [1, "a"];
 * ```
 */
export type SendableArgs<P extends readonly unknown[]> = { [K in keyof P]: Sendable<P[K]> };
