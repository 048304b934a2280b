/**
 * How do I size a pool to its work: grow under load, shrink when idle, and keep a fast
 * producer from piling up calls?
 *
 * ```text
 * Python                                          Deno
 * ------                                          ----
 * from concurrent.futures import \                import { Pool } from "../mod.ts";
 *     ProcessPoolExecutor
 * import threading                                export function crunch(ms: number) { ... }
 *
 * def crunch(ms): ...
 *
 * if __name__ == "__main__":                      if (import.meta.main) {
 *     room = threading.BoundedSemaphore(8)          await using pool = await Pool.open({
 *     with ProcessPoolExecutor(4) as ex:              minProcesses: 1, maxProcesses: 4,
 *         for x in range(1000):                       idleTimeout: 100, maxQueue: 8 });
 *             room.acquire()                        for (let x = 0; x < 1000; x++) {
 *             f = ex.submit(crunch, 0)                await pool.room();
 *             f.add_done_callback(                    pool.submit(crunch, 0);
 *                 lambda _: room.release())         }
 * ```
 *
 * Python's `Pool(n)` is fixed, and its executors queue without bound, so a producer
 * faster than the workers holds every call in memory unless it counts them itself. Here
 * the pool does both: `maxProcesses` lets it add workers while work waits (up to 4) and
 * end those idle for `idleTimeout` ms (down to `minProcesses`), and `maxQueue` holds calls
 * back while 8 chunks wait for a worker; `await pool.room()` paces a loop of `submit`.
 * `pool.stats` shows it happen.
 *
 * Run it: `deno run -A examples/16_sizing.ts`
 *
 * @module
 */
import { Pool } from "../mod.ts";

/**
 * Keeps its worker busy for `ms` milliseconds (a stand-in for real work), then returns
 * `ms`.
 *
 * @example
 * ```ts
 * import { crunch } from "./16_sizing.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(crunch(1), 1);
 * ```
 */
export function crunch(ms: number): number {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  return ms;
}

/** Reads `pool.stats.workers` until it is `count`, for at most about 10 s. */
async function workersReach(pool: Pool, count: number): Promise<boolean> {
  for (let reads = 0; reads < 1000; reads++) {
    if (pool.stats.workers === count) return true;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return false;
}

/**
 * Opens an elastic pool with a bounded queue, loads it, lets it idle, and prints what
 * `pool.stats` shows at each step.
 *
 * @example
 * ```ts
 * import { main } from "./16_sizing.ts";
 *
 * await main();
 * ```
 */
export async function main(): Promise<void> {
  await using pool = await Pool.open({
    minProcesses: 1,
    maxProcesses: 4,
    idleTimeout: 100,
    maxQueue: 8,
  });
  console.log(`opened with ${pool.stats.workers} worker (minProcesses)`);

  // Sixteen 20 ms tasks: work waits, so the pool grows, up to maxProcesses.
  const loaded = pool.map(crunch, Array.from({ length: 16 }, () => 20), { chunksize: 1 });
  await new Promise((resolve) => setTimeout(resolve, 0));
  console.log(`under load: ${pool.stats.workers} workers (maxProcesses)`);
  await loaded;

  // Idle for idleTimeout, the extra workers end; minProcesses stay.
  const shrunk = await workersReach(pool, 1);
  console.log(`idle again: ${shrunk ? 1 : pool.stats.workers} worker (minProcesses)`);

  // A producer far faster than the workers: room() holds it back, so at most maxQueue
  // chunks wait, whatever the number of calls.
  let mostQueued = 0;
  let done = 0;
  for (let i = 0; i < 1000; i++) {
    await pool.room();
    mostQueued = Math.max(mostQueued, pool.stats.queued);
    pool.submit(crunch, 0).then(() => done++);
  }
  pool.close();
  await pool.join();
  console.log(
    `${done} calls, never more than ${mostQueued <= 8 ? 8 : mostQueued} queued (maxQueue)`,
  );
}

if (import.meta.main) await main();
