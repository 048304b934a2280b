/**
 * How do I take results as they finish, as with `concurrent.futures`?
 *
 * ```text
 * Python                                          Deno
 * ------                                          ----
 * from concurrent.futures import (                import { asCompleted, FIRST_COMPLETED,
 *     ProcessPoolExecutor, as_completed,                   Pool, wait } from "../mod.ts";
 *     wait, FIRST_COMPLETED)
 *
 * def slow_square(x, ms):                         export async function slowSquare(x: number, ms: number) {
 *     time.sleep(ms / 1000)                         await new Promise((r) => setTimeout(r, ms));
 *     return x * x                                  return x * x;
 *                                                 }
 *
 * with ProcessPoolExecutor(4) as ex:              await using pool = await Pool.open({ processes: 4 });
 *     fs = [ex.submit(slow_square, x, 300-100*x)  const fs = [0, 1, 2, 3].map((x) =>
 *           for x in range(4)]                      pool.submit(slowSquare, x, 300 - 100 * x));
 *     done, _ = wait(fs,                          const { done } = await wait(fs,
 *         return_when=FIRST_COMPLETED)              { returnWhen: FIRST_COMPLETED });
 *     for f in as_completed(fs):                  for await (const { handle } of asCompleted(fs)) {
 *         print(f.result())                         console.log(await handle);
 *                                                 }
 *     print(list(ex.map(pow, [2, 3], [5, 2])))    for await (const y of pool.mapZip(power, [2, 3], [5, 2])) {}
 * ```
 *
 * `pool.submit(fn, ...args)` gives a handle at once: await it, or ask it `done()`,
 * `running()`, `exception()`, `cancel()`, `addDoneCallback()`. `asCompleted` yields
 * `{ handle, index }` fastest first (a handle is awaitable, so it comes wrapped: a
 * `for await` would take its value); `wait` returns `{ done, notDone }`. `mapZip` is Python's
 * `Executor.map` over several iterables (its name keeps apart from `Pool.map`, which is
 * `multiprocessing`'s).
 *
 * Run it: `deno run -A examples/10_futures.ts`
 *
 * @module
 */
import { asCompleted, FIRST_COMPLETED, Pool, wait } from "../mod.ts";

/**
 * x², after `ms` milliseconds.
 *
 * @example
 * ```ts
 * import { slowSquare } from "./10_futures.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(await slowSquare(3, 0), 9);
 * ```
 */
export async function slowSquare(x: number, ms: number): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return x * x;
}

/**
 * `base ** exponent`.
 *
 * @example
 * ```ts
 * import { power } from "./10_futures.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(power(2, 5), 32);
 * ```
 */
export function power(base: number, exponent: number): number {
  return base ** exponent;
}

/**
 * Submits four tasks that finish in reverse order, waits for the first, prints all as
 * they finish (9, 4, 1, 0, unless a worker is slow to start), then maps `power` over
 * two zipped lists (`[ 32, 9 ]`).
 *
 * @example
 * ```ts
 * import { main } from "./10_futures.ts";
 *
 * await main();
 * ```
 */
export async function main(): Promise<void> {
  await using pool = await Pool.open({ processes: 4 });
  const futures = [0, 1, 2, 3].map((x) => pool.submit(slowSquare, x, 300 - 100 * x));
  const { done, notDone } = await wait(futures, { returnWhen: FIRST_COMPLETED });
  console.log(`first to finish: ${done.size}, still running: ${notDone.size}`);
  for await (const { handle } of asCompleted(futures)) console.log(await handle);
  const powers: number[] = [];
  for await (const y of pool.mapZip(power, [2, 3], [5, 2])) powers.push(y);
  console.log(powers);
}

if (import.meta.main) await main();
