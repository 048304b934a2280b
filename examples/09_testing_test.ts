/**
 * How do I test code that uses a pool, and make sure it closed it?
 *
 * ```text
 * Python                                      Deno
 * ------                                      ----
 * # python -X dev -W error::ResourceWarning   import { assertNoLiveWorkers }
 * #        -m unittest                          from "../lib/testing.ts";
 * # makes a pool dropped unclosed an error
 * # (when it is garbage-collected)            Deno.test.afterEach(assertNoLiveWorkers);
 * ```
 *
 * Deno's own sanitizers do not see workers: without the check, a test that never
 * closes its pool passes. With it, that test fails, naming the pool and the line that
 * opened it.
 *
 * Run it: `deno test -A examples/09_testing_test.ts`
 *
 * @module
 */
import assert from "node:assert/strict";
import { Pool } from "../mod.ts";
import { assertNoLiveWorkers, sanitizeWorkers } from "../lib/testing.ts";
import { square } from "./03_pool_map.ts";

/** The code under test: it opens a pool, and `await using` closes it. */
async function sumOfSquares(xs: number[]): Promise<number> {
  await using pool = await Pool.open({ processes: 2 });
  const squares = await pool.map(square, xs);
  return squares.reduce((sum, x) => sum + x, 0);
}

// Every test of this file fails if a worker or child process outlives it.
Deno.test.afterEach(assertNoLiveWorkers);

Deno.test("sumOfSquares() adds the squares", async () => {
  assert.equal(await sumOfSquares([1, 2, 3]), 14);
});

// One test (or one t.step): the wrapper also stops what the test left running, so
// the next test starts clean.
Deno.test(
  "sumOfSquares() of nothing is 0",
  sanitizeWorkers(async () => {
    assert.equal(await sumOfSquares([]), 0);
  }),
);
