/**
 * Bounded resources at the front door: a pool larger than `MAX_PROCESSES` is refused
 * before any process starts, on both backends and both faces.
 */
import assert from "node:assert/strict";
import * as Effect from "effect/Effect";
import * as Exit from "effect/Exit";
import * as Cause from "effect/Cause";
import { Pool } from "../lib/effect.ts";
import { MAX_PROCESSES } from "../lib/pool_options.ts";
import { liveWorkers } from "../lib/backend/web_worker.ts";
import { liveSubprocesses } from "../lib/backend/subprocess.ts";

const TOO_MANY =
  "Cannot open pool as 'processes' must be an integer from 1 to 256: current value is 10000";

for (const backend of ["worker", "subprocess"] as const) {
  Deno.test(`Pool.open({ processes: 10000 }) on the ${backend} backend rejects at once with a RangeError and starts nothing`, async () => {
    const opening = Pool.open({ processes: 10000, backend });
    // Refused before anything started: no worker or child exists even for a moment.
    assert.equal(liveWorkers(), 0);
    assert.equal(liveSubprocesses(), 0);
    await assert.rejects(opening, (error: unknown) => {
      assert.ok(error instanceof RangeError, `expected RangeError, got ${error}`);
      assert.equal(error.message, TOO_MANY);
      return true;
    });
    assert.equal(liveWorkers(), 0);
    assert.equal(liveSubprocesses(), 0);
  });
}

Deno.test("Pool.make({ processes: 10000 }) dies with the same RangeError and starts nothing", async () => {
  const exit = await Effect.runPromiseExit(Effect.scoped(Pool.make({ processes: 10000 })));
  assert.ok(Exit.isFailure(exit));
  const defect = exit.cause.reasons.find(Cause.isDieReason)?.defect;
  assert.ok(defect instanceof RangeError, `expected RangeError, got ${defect}`);
  assert.equal(defect.message, TOO_MANY);
  assert.equal(liveWorkers(), 0);
});

Deno.test("Pool.open() names the bound: one over it is refused, the message says how many", async () => {
  assert.equal(MAX_PROCESSES, 256);
  await assert.rejects(Pool.open({ processes: MAX_PROCESSES + 1 }), {
    name: "RangeError",
    message:
      "Cannot open pool as 'processes' must be an integer from 1 to 256: current value is 257",
  });
  await assert.rejects(Pool.open({ processes: Infinity }), RangeError);
  assert.equal(liveWorkers(), 0);
});
