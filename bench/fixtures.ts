/**
 * Task functions for the benchmarks: exported, so the pool sends them by reference.
 *
 * @module
 */

/**
 * Squares a number: a task so small that a benchmark of it measures the pool itself.
 *
 * @param x The number.
 * @returns `x * x`.
 *
 * @example
 * ```ts
 * import { square } from "./fixtures.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(square(12), 144);
 * ```
 */
export function square(x: number): number {
  return x * x;
}
