/**
 * `ProcessEffect`: processes on the Effect face, scoped by `spawn`/`start`, with typed
 * failures, built on the same core as the Promise face.
 */
import assert from "node:assert/strict";
import { Cause, Effect, Exit, Fiber, Option } from "effect";
import {
  Process,
  ProcessEffect,
  SerializationError,
  TaskError,
  TaskNotFound,
  WorkerCrashed,
} from "../lib/effect.ts";
import { assertNoLiveWorkers, liveOwners } from "../lib/testing.ts";
import { failOnNegative, square } from "./fixtures/tasks.ts";
import { exitWith, waitForever } from "./fixtures/process_tasks.ts";
import { Counter } from "./fixtures/process_classes.ts";
import { dieWith, findUser } from "./fixtures/effect_tasks.ts";

const BACKENDS = ["worker", "subprocess"] as const;

/** Names and worker counts of what is alive now. */
function alive(): Array<[string, number]> {
  return liveOwners().map((owner) => [owner.name, owner.workers]);
}

for (const backend of BACKENDS) {
  Deno.test(`${backend}: ProcessEffect.spawn: closing the scope terminates the process, and it is gone`, async () => {
    const p = await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
      const p = yield* ProcessEffect.spawn({ target: waitForever, backend });
      assert.equal(p.isAlive(), true);
      assert.deepEqual(alive(), [[p.name, 1]]);
      return p;
    })));
    // Gone when the scope has closed, a child process too: nothing left to wait for.
    assert.equal(p.isAlive(), false);
    assert.deepEqual(alive(), []);
    assert.equal(p.exitCode, -15);
    await assertNoLiveWorkers();
  });

  Deno.test(`${backend}: ProcessEffect.kill returns once the process is gone, with exit code -9`, async () => {
    const code = await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
      const p = yield* ProcessEffect.spawn({ target: waitForever, backend });
      yield* ProcessEffect.kill(p);
      assert.deepEqual(alive(), []);
      assert.equal(yield* ProcessEffect.join(p), undefined);
      return p.exitCode;
    })));
    assert.equal(code, -9);
    await assertNoLiveWorkers();
  });
}

Deno.test("ProcessEffect.join gives the target's value; the process keeps its exit code", async () => {
  const [p, value] = await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const p = yield* ProcessEffect.spawn({ target: square, args: [7] });
    return [p, yield* ProcessEffect.join(p)] as const;
  })));
  assert.equal(value, 49);
  assert.equal(p.exitCode, 0);
  await assertNoLiveWorkers();
});

Deno.test("ProcessEffect.join fails with the target's TaskError, caught by its tag", async () => {
  const message = await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const p = yield* ProcessEffect.spawn({ target: failOnNegative, args: [-3] });
    return yield* ProcessEffect.join(p).pipe(
      Effect.as("no error"),
      Effect.catchTag("TaskError", (error) => Effect.succeed(error.message)),
    );
  })));
  assert.equal(message, "negative input: -3");
  await assertNoLiveWorkers();
});

Deno.test("ProcessEffect.join dies with an Effect-native target's defect and fails with its typed failure", async () => {
  const [died, caught] = await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const dying = yield* ProcessEffect.spawn({ target: dieWith, args: ["broken"] });
    const exit = yield* Effect.exit(ProcessEffect.join(dying));
    const missing = yield* ProcessEffect.spawn({ target: findUser, args: [5] });
    const caught = yield* ProcessEffect.join(missing).pipe(
      Effect.catchTag("UserNotFound", (error) => Effect.succeed(`no user ${error.id}`)),
    );
    return [exit, caught] as const;
  })));
  assert.ok(Exit.isFailure(died));
  assert.ok(Cause.hasDies(died.cause), "a defect, not a typed failure");
  assert.equal(Cause.hasFails(died.cause), false);
  const defect = died.cause.reasons.find(Cause.isDieReason)!.defect;
  assert.ok(defect instanceof RangeError && defect.message === "broken", `got ${defect}`);
  assert.equal(caught, "no user 5");
  await assertNoLiveWorkers();
});

Deno.test("ProcessEffect.join fails with WorkerCrashed when the process exits with a code", async () => {
  const [error, code] = await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const p = yield* ProcessEffect.spawn({ target: exitWith, args: [3] });
    return [yield* Effect.flip(ProcessEffect.join(p)), p.exitCode] as const;
  })));
  assert.ok(error instanceof WorkerCrashed, `got ${error}`);
  assert.equal(code, 3);
  await assertNoLiveWorkers();
});

Deno.test("ProcessEffect.spawn fails with SerializationError or TaskNotFound before anything starts", async () => {
  const unclonable = await Effect.runPromise(Effect.scoped(
    Effect.flip(ProcessEffect.spawn({ target: square, args: [(() => 1) as never] })),
  ));
  assert.ok(unclonable instanceof SerializationError, `got ${unclonable}`);
  const notFound = await Effect.runPromise(Effect.scoped(
    Effect.flip(ProcessEffect.spawn({ target: Math.abs })),
  ));
  assert.ok(notFound instanceof TaskNotFound, `got ${notFound}`);
  assert.deepEqual(alive(), []);
  await assertNoLiveWorkers();
});

Deno.test("interrupting ProcessEffect.join stops the waiting; the process runs until its scope closes", async () => {
  const p = await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const p = yield* ProcessEffect.spawn({ target: waitForever });
    const joined = yield* Effect.timeoutOption(ProcessEffect.join(p), "10 millis");
    assert.ok(Option.isNone(joined));
    assert.equal(p.isAlive(), true, "an interrupted join must not stop the process");
    return p;
  })));
  assert.equal(p.isAlive(), false);
  assert.equal(p.exitCode, -15);
  await assertNoLiveWorkers();
});

Deno.test("Effect.timeout interrupting the scope terminates the process", async () => {
  let spawned: Process<typeof waitForever> | undefined;
  const error = await Effect.runPromise(Effect.flip(
    Effect.scoped(Effect.gen(function* () {
      spawned = yield* ProcessEffect.spawn({ target: waitForever });
      return yield* ProcessEffect.join(spawned);
    })).pipe(Effect.timeout("20 millis")),
  ));
  assert.ok(Cause.isTimeoutError(error), `expected a TimeoutError, got ${error}`);
  assert.ok(spawned !== undefined, "the process was never spawned");
  assert.equal(spawned.isAlive(), false);
  assert.equal(spawned.exitCode, -15);
  await assertNoLiveWorkers();
});

Deno.test("Fiber.interrupt of the scope's fiber terminates the process", async () => {
  const { promise: started, resolve } = Promise.withResolvers<Process<typeof waitForever>>();
  const fiber = Effect.runFork(Effect.scoped(Effect.gen(function* () {
    const p = yield* ProcessEffect.spawn({ target: waitForever });
    resolve(p);
    return yield* ProcessEffect.join(p);
  })));
  const p = await started;
  assert.equal(p.isAlive(), true);
  await Effect.runPromise(Fiber.interrupt(fiber));
  assert.equal(p.isAlive(), false);
  assert.equal(p.exitCode, -15);
  await assertNoLiveWorkers();
});

Deno.test("ProcessEffect.start runs a Process subclass made with new, scoped", async () => {
  const [p, value] = await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const p = yield* ProcessEffect.start(new Counter({ from: 40, steps: 2, name: "counter" }));
    return [p, yield* ProcessEffect.join(p)] as const;
  })));
  assert.ok(p instanceof Counter);
  assert.deepEqual(value, { total: 42, where: "counter" });
  await assertNoLiveWorkers();
});

Deno.test("ProcessEffect and the Promise face drive the same process", async () => {
  const p = new Process({ target: square, args: [5] });
  await p.start();
  assert.equal(await Effect.runPromise(ProcessEffect.join(p)), 25);
  assert.equal(await p.join(), 25);
  await assertNoLiveWorkers();
});

Deno.test("ProcessEffect misuse is a defect: not a process, joined before start, started twice", async () => {
  const defect = async (effect: Effect.Effect<unknown, unknown>): Promise<unknown> => {
    const exit = await Effect.runPromise(Effect.exit(effect));
    assert.ok(Exit.isFailure(exit) && Cause.hasDies(exit.cause), `expected a defect: ${exit}`);
    return Cause.squash(exit.cause);
  };
  assert.ok(await defect(ProcessEffect.join({} as never)) instanceof TypeError);
  const unstarted = new Process({ target: square, args: [1] });
  assert.match(String(await defect(ProcessEffect.join(unstarted))), /before it started/);
  await unstarted.start();
  const twice = await defect(Effect.scoped(ProcessEffect.start(unstarted)));
  assert.match(String(twice), /twice/);
  assert.equal(await unstarted.join(), 1);
  await assertNoLiveWorkers();
});

Deno.test("join fails with the same TaskError on both faces", async () => {
  const p = new Process({ target: failOnNegative, args: [-1] });
  await p.start();
  const error = await Effect.runPromise(Effect.flip(ProcessEffect.join(p)));
  assert.ok(error instanceof TaskError);
  assert.equal(await p.join().catch((rejected) => rejected), error);
  await assertNoLiveWorkers();
});
