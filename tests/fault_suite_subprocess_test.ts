/**
 * The fault-injection suite on the subprocess backend (see `fault_suite.ts`), plus
 * endless loops: a child busy forever is killed at its timeout. No child process may be
 * left.
 */
import assert from "node:assert/strict";
import { TaskTimeout } from "../mod.ts";
import { liveSubprocesses, subprocessesExited } from "../lib/backend/subprocess.ts";
import { runFaultSuite } from "./fault_suite.ts";
import { spinForever } from "./fixtures/subprocess_tasks.ts";

Deno.test("fault injection (subprocess): every task ends in exactly one outcome of the right kind", async () => {
  await runFaultSuite({
    options: { backend: "subprocess" },
    faults: [{
      name: "endless loop",
      expected: TaskTimeout,
      start: (pool) => pool.apply(spinForever, []),
    }],
    beforeClose(pool) {
      // A killed child is gone: nothing is left spinning.
      assert.equal(pool.stats.stuck, 0);
      return Promise.resolve();
    },
    async left() {
      await subprocessesExited();
      return liveSubprocesses();
    },
    noun: "children",
  });
});
