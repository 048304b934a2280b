/**
 * The fault-injection suite on the worker backend (see `fault_suite.ts`). Dropped
 * workers still spinning a long loop must finish on their own before the pool closes.
 */
import assert from "node:assert/strict";
import { liveWorkers } from "../lib/backend/web_worker.ts";
import { LOOP_MS, runFaultSuite } from "./fault_suite.ts";

Deno.test("fault injection: every task ends in exactly one outcome of the right kind", async () => {
  await runFaultSuite({
    options: {},
    faults: [],
    async beforeClose(pool) {
      const settleBy = performance.now() + 15 * LOOP_MS;
      while (pool.stats.stuck > 0 && performance.now() < settleBy) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.equal(pool.stats.stuck, 0, "every dropped worker's loop ended");
    },
    left: () => Promise.resolve(liveWorkers()),
    noun: "workers",
  });
});
