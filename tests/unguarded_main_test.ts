/**
 * A program whose main code is not under `if (import.meta.main)`: each worker that
 * imports its module to find a task function runs that code too. Python refuses to start
 * a process while a child imports the main module; so does the library, or every worker
 * would open a pool of its own, without end. The call fails and says what to change.
 *
 * @module
 */
import assert from "node:assert/strict";
import { denoRun } from "./_deno_run.ts";
import { Pool } from "../mod.ts";
import { assertNoLiveWorkers } from "../lib/testing.ts";
import { squaresInside } from "./fixtures/nested_tasks.ts";

const CASES = [
  ["pool", "worker", "open pool"],
  ["pool", "subprocess", "open pool"],
  ["process", "worker", "start process 'Process-1'"],
] as const;

for (const [kind, backend, action] of CASES) {
  Deno.test(`an unguarded main module's ${kind} is refused inside a ${backend}, saying why`, async () => {
    const fixture = new URL(`./fixtures/unguarded_${kind}.ts`, import.meta.url);
    // Without the refusal this program starts workers without end: killed after 60 s.
    const ran = await denoRun([fixture.pathname, backend], 60_000);
    assert.equal(ran.success, false);
    assert.equal(ran.stdout, "");
    assert.ok(
      ran.stderr.includes(
        `Cannot ${action} while this worker imports the task module ${fixture.href}: its ` +
          "top-level code runs in every worker that uses one of its functions. Put the " +
          "program's main code under if (import.meta.main) { ... }",
      ),
      ran.stderr,
    );
  });
}

Deno.test("a task may open a pool when it runs: only the import is guarded", async () => {
  {
    await using pool = await Pool.open({ processes: 1 });
    assert.deepEqual(await pool.apply(squaresInside, [[2, 3]]), [4, 9]);
  }
  await assertNoLiveWorkers();
});
