/**
 * Effect-native tasks: a task returns an `Effect`, the worker runs it. Its value, its
 * typed failure (caught with `Effect.catchTag` in the caller), its defects, and the
 * interruption that reaches into the worker (finalizers run there, the worker stays).
 *
 * @module
 */
import assert from "node:assert/strict";
import { denoRun } from "./_deno_run.ts";
import { Cause, Effect, Exit, Fiber, type Scope } from "effect";
import { AsyncResultEffect, Pool, registerError, TaskError } from "../lib/effect.ts";
import { Pool as PromisePool } from "../mod.ts";
import { assertNoLiveWorkers } from "../lib/testing.ts";
import {
  cells,
  dieWith,
  effectAdd,
  effectSquare,
  FINALIZED,
  findUser,
  GATE,
  holdInWorkerScope,
  holdUntilInterrupted,
  lookup,
  PID,
  pidHere,
  QuotaExceeded,
  spend,
  spinInEffect,
  STARTED,
  throwInside,
  type UserNotFound,
} from "./fixtures/effect_tasks.ts";

registerError(QuotaExceeded);

/** Runs an Effect test with a scope; no worker may outlive it. */
function itEffect(name: string, body: () => Effect.Effect<void, unknown, Scope.Scope>): void {
  Deno.test(name, async () => {
    await Effect.runPromise(Effect.scoped(Effect.suspend(body)));
    await assertNoLiveWorkers();
  });
}

/** Resolves once the task running on `buffer` said it started (an Atomics wait, no poll). */
async function startedOn(buffer: SharedArrayBuffer): Promise<void> {
  const view = new Int32Array(buffer);
  const waited = Atomics.waitAsync(view, STARTED, 0);
  if (waited.async) await waited.value;
}

const read = (buffer: SharedArrayBuffer, cell: number) =>
  Atomics.load(new Int32Array(buffer), cell);

for (const backend of ["worker", "subprocess"] as const) {
  itEffect(
    `${backend}: an Effect-native task's value arrives, and its tagged failure is caught with catchTag`,
    () =>
      Effect.gen(function* () {
        const pool = yield* Pool.make({ processes: 1, backend });
        assert.deepEqual(yield* pool.map(effectSquare, [1, 2, 3]), [1, 4, 9]);
        assert.equal(yield* pool.apply(effectAdd, [2, 3]), 5);
        assert.equal(yield* pool.apply(findUser, [2]), "user-2");
        const caught = yield* pool.apply(findUser, [7]).pipe(
          Effect.catchTag("UserNotFound", (error) => Effect.succeed(`no user ${error.id}`)),
        );
        assert.equal(caught, "no user 7");
      }),
  );

  Deno.test(`${backend}: the Promise face gives an Effect-native task's value and rejects with its tagged failure`, async () => {
    {
      await using pool = await PromisePool.open({ processes: 1, backend });
      assert.deepEqual(await pool.starmap(effectAdd, [[1, 2], [3, 4]]), [3, 7]);
      await assert.rejects(pool.apply(findUser, [3]), (error) => {
        assert.equal((error as UserNotFound)._tag, "UserNotFound");
        assert.equal((error as UserNotFound).id, 3);
        assert.ok(error instanceof TaskError, "a task's failure counts as a TaskError");
        return true;
      });
    }
    await assertNoLiveWorkers();
  });
}

itEffect(
  "a typed failure keeps its tag and fields, and a registered class comes back as itself",
  () =>
    Effect.gen(function* () {
      const pool = yield* Pool.make({ processes: 1 });
      const notFound = yield* Effect.flip(pool.apply(findUser, [5]));
      assert.equal(notFound._tag, "UserNotFound");
      assert.equal((notFound as UserNotFound).id, 5);
      assert.equal((notFound as Error).name, "UserNotFound");
      const quota = yield* Effect.flip(pool.apply(spend, [10]));
      assert.ok(quota instanceof QuotaExceeded, "a registered Data.TaggedError keeps its class");
      assert.equal(quota.limit, 10);
      const missing = yield* pool.apply(lookup, ["key"]).pipe(
        Effect.catchTag("Missing", (error) => Effect.succeed(`missing ${error.key}`)),
      );
      assert.equal(missing, "missing key", "a plain { _tag } value is caught by its tag");
      // A failure in a map fails the map with that same tagged error.
      const inMap = yield* pool.map(findUser, [2, 4, 9], { chunksize: 1 }).pipe(
        Effect.catchTag("UserNotFound", (error) => Effect.succeed([`failed at ${error.id}`])),
      );
      assert.deepEqual(inMap, ["failed at 9"]);
    }),
);

itEffect(
  "an Effect-native task's defect (die, or a throw inside) arrives as a defect",
  () =>
    Effect.gen(function* () {
      const pool = yield* Pool.make({ processes: 1 });
      for (const [task, type] of [[dieWith, RangeError], [throwInside, TypeError]] as const) {
        const exit = yield* Effect.exit(pool.apply(task, ["broken"]));
        assert.ok(Exit.isFailure(exit));
        assert.ok(Cause.hasDies(exit.cause), `${task.name}: a defect, not a typed failure`);
        assert.equal(Cause.hasFails(exit.cause), false);
        const defect = exit.cause.reasons.find(Cause.isDieReason)!.defect;
        assert.ok(defect instanceof type, `${task.name}: its class is kept`);
        assert.equal((defect as Error).message, "broken");
      }
      // The worker survives its task's defects.
      assert.equal(yield* pool.apply(effectSquare, [4]), 16);
    }),
);

itEffect(
  "a handle's defect dies in AsyncResultEffect.get, and its typed failure is caught by its tag",
  () =>
    Effect.gen(function* () {
      const pool = yield* Pool.make({ processes: 1 });
      const dying = yield* pool.applyAsync(dieWith, ["broken"]);
      const exit = yield* Effect.exit(AsyncResultEffect.get(dying));
      assert.ok(Exit.isFailure(exit));
      assert.ok(Cause.hasDies(exit.cause), "a defect, not a typed failure");
      assert.equal(Cause.hasFails(exit.cause), false);
      const defect = exit.cause.reasons.find(Cause.isDieReason)!.defect;
      assert.ok(defect instanceof RangeError, "its class is kept");
      // `exception` reads typed errors only: a defect dies there too.
      const read = yield* Effect.exit(AsyncResultEffect.exception(dying));
      assert.ok(Exit.isFailure(read) && Cause.hasDies(read.cause));
      // The handle's type names the task's typed failure: catchTag takes it.
      const missing = yield* pool.submit(findUser, 7);
      const caught = yield* AsyncResultEffect.get(missing).pipe(
        Effect.catchTag("UserNotFound", (error) => Effect.succeed(`no user ${error.id}`)),
      );
      assert.equal(caught, "no user 7");
    }),
);

Deno.test("on the Promise face a defect rejects as a thrown error does", async () => {
  {
    await using pool = await PromisePool.open({ processes: 1 });
    await assert.rejects(pool.apply(dieWith, ["gone"]), (error) => {
      assert.ok(error instanceof RangeError);
      assert.ok(error instanceof TaskError);
      assert.equal((error as TaskError)._tag, "TaskError");
      assert.equal(error.message, "gone");
      return true;
    });
  }
  await assertNoLiveWorkers();
});

itEffect(
  "interrupting a running Effect-native task runs its finalizers in the worker, which serves the next task",
  () =>
    Effect.gen(function* () {
      const pool = yield* Pool.make({ processes: 1 });
      for (
        const [task, expected] of [[holdUntilInterrupted, 11], [holdInWorkerScope, 10]] as const
      ) {
        const buffer = cells();
        const fiber = yield* Effect.forkChild(pool.apply(task, [buffer]));
        // Started, or failed before it could (then the test fails with that failure).
        yield* Effect.raceFirst(Effect.promise(() => startedOn(buffer)), Fiber.join(fiber));
        yield* Fiber.interrupt(fiber);
        // One worker: the next task runs once the interrupted one has answered.
        const pid = yield* pool.apply(pidHere, []);
        assert.equal(read(buffer, FINALIZED), expected, `${task.name}: finalizers ran`);
        assert.equal(pid, read(buffer, PID), "the same worker served the next task");
      }
      assert.equal((yield* pool.stats).replaced, 0, "no worker was replaced");
    }),
);

itEffect(
  "an Effect-native task busy in synchronous code is replaced after the grace period",
  () =>
    Effect.gen(function* () {
      const pool = yield* Pool.make({ processes: 1 });
      const buffer = cells();
      const fiber = yield* Effect.forkChild(pool.apply(spinInEffect, [buffer]));
      yield* Effect.raceFirst(Effect.promise(() => startedOn(buffer)), Fiber.join(fiber));
      yield* Fiber.interrupt(fiber);
      // The spinning worker never answers: a new one serves the next task.
      const pid = yield* pool.apply(pidHere, []);
      assert.notEqual(pid, read(buffer, PID));
      const stats = yield* pool.stats;
      assert.equal(stats.replaced, 1);
      assert.equal(stats.stuck, 1, "the dropped worker is known to be busy, not idle");
      Atomics.store(new Int32Array(buffer), GATE, 1); // lets the dropped thread end
    }),
);

Deno.test("the Promise face's signal and AsyncResult.cancel interrupt an Effect-native task in the worker", async () => {
  {
    await using pool = await PromisePool.open({ processes: 1 });
    const buffer = cells();
    const controller = new AbortController();
    const call = pool.apply(holdUntilInterrupted, [buffer], { signal: controller.signal });
    await Promise.race([startedOn(buffer), call]);
    controller.abort();
    await assert.rejects(call);
    assert.equal(await pool.apply(pidHere, []), read(buffer, PID));
    assert.equal(read(buffer, FINALIZED), 11, "its finalizers ran in the worker");

    const again = cells();
    const handle = pool.applyAsync(holdUntilInterrupted, [again]);
    await Promise.race([startedOn(again), handle]);
    assert.equal(handle.cancel(), true);
    assert.equal(await pool.apply(pidHere, []), read(again, PID));
    assert.equal(read(again, FINALIZED), 11);
    assert.equal(pool.stats.replaced, 0, "no worker was replaced");
  }
  await assertNoLiveWorkers();
});

Deno.test("a sandboxed pool runs Effect-native tasks: the runner loads with the worker's graph", async () => {
  {
    // A sandbox may not import files later (a computed import is checked against its
    // permissions); the runner's literal import() is part of the worker's start-up graph.
    await using pool = await PromisePool.open({ processes: 1, permissions: "none" });
    assert.deepEqual(await pool.map(effectSquare, [5, 6]), [25, 36]);
    await assert.rejects(pool.apply(findUser, [1]), { _tag: "UserNotFound", id: 1 });
  }
  await assertNoLiveWorkers();
});

Deno.test("examples/18_effect_in_worker.ts runs alone", async () => {
  const run = await denoRun([
    new URL("../examples/18_effect_in_worker.ts", import.meta.url).pathname,
  ]);
  assert.ok(run.success, run.stderr);
  const lines = run.stdout.trimEnd().split("\n");
  assert.deepEqual(lines, [
    "squares: 1, 4, 9",
    "user 2: user-2",
    "user 7: caught UserNotFound (id 7)",
    "cancelled: the worker closed its connection, then served the next task",
  ]);
});
