/**
 * How do I map a function over a list on every core?
 *
 * ```text
 * Python                                      Deno
 * ------                                      ----
 * from multiprocessing import Pool            import { Pool } from "../mod.ts";
 *
 * def square(x):                              export function square(x: number): number {
 *     return x * x                              return x * x;
 *                                             }
 *
 * if __name__ == "__main__":                  if (import.meta.main) {
 *     with Pool(4) as pool:                     await using pool = await Pool.open({ processes: 4 });
 *         print(pool.map(square,                console.log(await pool.map(square, [1, 2, 3, 4, 5]));
 *                        [1, 2, 3, 4, 5]))    }
 * ```
 *
 * `map` keeps the input order, whichever worker finishes first. `await using` stops
 * the workers when the block ends, as Python's `with` does.
 *
 * Run it: `deno run -A examples/03_pool_map.ts`
 *
 * @module
 */
import { Pool } from "../mod.ts";

/**
 * x².
 *
 * @example
 * ```ts
 * import { square } from "./03_pool_map.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(square(7), 49);
 * ```
 */
export function square(x: number): number {
  return x * x;
}

/**
 * Squares 1..5 on a pool of four workers and prints `[ 1, 4, 9, 16, 25 ]`.
 *
 * @example
 * ```ts
 * import { main } from "./03_pool_map.ts";
 *
 * await main();
 * ```
 */
export async function main(): Promise<void> {
  await using pool = await Pool.open({ processes: 4 });
  console.log(await pool.map(square, [1, 2, 3, 4, 5]));
}

if (import.meta.main) await main();
