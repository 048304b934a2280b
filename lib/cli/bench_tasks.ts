/**
 * The workload of the `bench` command, loaded by the pool's workers: a CPU-bound loop
 * and a task that does nothing (to measure what a task costs beyond its work). It
 * imports nothing, so loading it adds nothing to a worker.
 *
 * @module
 */

/**
 * CPU-bound work: `iterations` rounds of an integer hash (xorshift), no allocation.
 *
 * @param iterations Rounds to run.
 * @returns The final hash, so the loop cannot be optimised away.
 *
 * @example
 * ```ts
 * import { spin } from "./bench_tasks.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(spin(1000), spin(1000));
 * ```
 */
export function spin(iterations: number): number {
  let x = 2463534242;
  for (let i = 0; i < iterations; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x |= 0;
  }
  return x >>> 0;
}

/**
 * Does nothing but give its argument back.
 *
 * @param x Anything.
 * @returns `x`.
 *
 * @example
 * ```ts
 * import { echo } from "./bench_tasks.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(echo(3), 3);
 * ```
 */
export function echo<T>(x: T): T {
  return x;
}
