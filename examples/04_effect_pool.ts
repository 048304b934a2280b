/**
 * How does the Effect face cancel work?
 *
 * ```text
 * Python                                      Deno (Effect face)
 * ------                                      ------------------
 * from multiprocessing import Pool            const program = Effect.gen(function* () {
 *                                               const pool = yield* Pool.make({ processes: 2 });
 * if __name__ == "__main__":                    yield* pool.map(square, [1, 2, 3, 4, 5]);
 *     with Pool(2) as pool:                     const late = yield* pool
 *         pool.map(square, range(1, 6))           .map(slowSquare, xs, { chunksize: 1 })
 *         r = pool.map_async(slow_square, xs)     .pipe(Effect.timeoutOption("100 millis"));
 *         try:                                  // Option.none(): the map was interrupted, its
 *             r.get(timeout=0.1)                // queued items dropped, its running ones stopped
 *         except TimeoutError:                  yield* pool.map(square, [6, 7, 8]);
 *             pass  # work keeps running        });
 *         pool.map(square, [6, 7, 8])          await Effect.runPromise(Effect.scoped(program));
 * ```
 *
 * In Python a timed-out `get` stops waiting but the work goes on, occupying the pool.
 * On the Effect face the pool is a scoped resource and a call is a fiber: interrupting
 * the fiber (here by `Effect.timeoutOption`) cancels its work, and closing the scope
 * terminates every worker.
 *
 * Run it: `deno run -A examples/04_effect_pool.ts`
 *
 * @module
 */
import { Effect, Option } from "effect";
import { Pool } from "../lib/effect.ts";

/**
 * x².
 *
 * @example
 * ```ts
 * import { square } from "./04_effect_pool.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(square(7), 49);
 * ```
 */
export function square(x: number): number {
  return x * x;
}

/**
 * x², after a long wait: a stand-in for slow work.
 *
 * @example
 * ```ts
 * import { slowSquare } from "./04_effect_pool.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(await slowSquare(3), 9);
 * ```
 */
export async function slowSquare(x: number): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 200));
  return x * x;
}

/** The program: a map, an interrupted map, and a map after it on the same pool. */
const program: Effect.Effect<void, unknown> = Effect.scoped(
  Effect.gen(function* () {
    const pool = yield* Pool.make({ processes: 2 });
    const squares = yield* pool.map(square, [1, 2, 3, 4, 5]);
    console.log(`map(square, [1..5])          -> ${formatList(squares)}`);

    const slowInput = Array.from({ length: 40 }, (_, i) => i);
    const late = yield* pool.map(slowSquare, slowInput, { chunksize: 1 }).pipe(
      Effect.timeoutOption("100 millis"),
    );
    console.log(
      `map(slowSquare, 40 items)    -> ${
        Option.isNone(late) ? "interrupted after 100 ms; its queued items were dropped" : "finished"
      }`,
    );

    const after = yield* pool.map(square, [6, 7, 8]);
    console.log(`then map(square, [6, 7, 8])  -> ${formatList(after)} (the pool still serves)`);
    const stats = yield* pool.stats;
    console.log(`pool: ${stats.workers} workers alive, ${stats.queued} chunks queued`);
  }),
).pipe(Effect.tap(() => Effect.sync(() => console.log("scope closed: every worker terminated"))));

function formatList(values: readonly number[]): string {
  return `[ ${values.join(", ")} ]`;
}

/**
 * Runs the program: a map, an interrupted map, and a map after it on the same pool.
 *
 * @example
 * ```ts
 * import { main } from "./04_effect_pool.ts";
 *
 * await main();
 * ```
 */
export async function main(): Promise<void> {
  await Effect.runPromise(program);
}

if (import.meta.main) await main();
