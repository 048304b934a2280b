/**
 * The pool on the Effect face: `Pool.make` in a scope, `Pool.layer` with
 * `Pool.Service`, typed failures recovered with `catchTag`, Streams for `imap`, and
 * interruption that cancels a call.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Cause, Effect, Exit, Fiber, Stream } from "effect";
import { AsyncResultEffect, Pool, PoolClosed, TaskError } from "../lib/effect.ts";
import { assertNoLiveWorkers, liveOwners } from "../lib/testing.ts";
import { itEffect, servesAfterCancel, waitUntil } from "./_effect_pool.ts";
import { add, failOnNegative, square, whoAmI } from "./fixtures/tasks.ts";
import {
  chunkPosition,
  coordination,
  countingInit,
  failingInit,
  failOnMultipleOfThree,
  GATE,
  increment,
  initReport,
  multiply,
  reverseDelaySquare,
  STARTED,
  startThenHold,
} from "./fixtures/pool_tasks.ts";

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

itEffect("Pool.make map(), starmap() and apply() keep input order", () =>
  Effect.gen(function* () {
    const pool = yield* Pool.make({ processes: 2 });
    assert.equal(pool.processes, 2);
    const input = range(12);
    assert.deepEqual(
      yield* pool.map(reverseDelaySquare, input, { chunksize: 1 }),
      input.map((x) => x * x),
    );
    assert.deepEqual(yield* pool.starmap(multiply, [[2, 3], [4, 5], [6, 7]]), [6, 20, 42]);
    assert.equal(yield* pool.apply(add, [20, 22]), 42);
  }));

itEffect(
  "Pool.make map() honours chunksize, and its default follows Python",
  () =>
    Effect.gen(function* () {
      const pool = yield* Pool.make({ processes: 2 });
      const ten = yield* pool.map(chunkPosition, range(10), { chunksize: 3 });
      assert.deepEqual(ten.map((r) => r.x), range(10));
      assert.deepEqual(ten.map((r) => r.position), [0, 1, 2, 0, 1, 2, 0, 1, 2, 0]);
      // 17 items on 2 workers: ceil(17 / 8) = 3 per chunk.
      const seventeen = yield* pool.map(chunkPosition, range(17));
      assert.deepEqual(seventeen.map((r) => r.position), range(17).map((i) => i % 3));
    }),
);

itEffect("Pool.make imap() is a Stream of results in input order", () =>
  Effect.gen(function* () {
    const pool = yield* Pool.make({ processes: 2 });
    const input = range(10);
    const results = yield* Stream.runCollect(pool.imap(reverseDelaySquare, input));
    assert.deepEqual(Array.from(results), input.map((x) => x * x));
  }));

itEffect(
  "Pool.make imapUnordered() is a Stream of every result exactly once",
  () =>
    Effect.gen(function* () {
      const pool = yield* Pool.make({ processes: 2 });
      const input = range(10);
      const results = yield* Stream.runCollect(pool.imapUnordered(reverseDelaySquare, input));
      assert.deepEqual(Array.from(results).toSorted((a, b) => a - b), input.map((x) => x * x));
    }),
);

itEffect(
  "Pool.make imap() pulls an endless input lazily under Stream.take",
  () =>
    Effect.gen(function* () {
      const pool = yield* Pool.make({ processes: 2 });
      let pulled = 0;
      function* naturals(): Generator<number> {
        for (let i = 0;; i++) {
          pulled++;
          yield i;
        }
      }
      const first = yield* Stream.runCollect(pool.imap(square, naturals()).pipe(Stream.take(20)));
      assert.deepEqual(Array.from(first), range(20).map((i) => i * i));
      const bound = 20 + pool.processes * 4 * 1 + 1;
      assert.ok(pulled < bound, `pulled ${pulled} items, bound ${bound}`);
      assert.deepEqual(yield* pool.map(square, [5]), [25]);
    }),
);

itEffect(
  "Pool.make map() fails with TaskError, recoverable by catchTag",
  () =>
    Effect.gen(function* () {
      const pool = yield* Pool.make({ processes: 2 });
      const recovered = yield* pool.map(failOnNegative, [1, -2, 3], { chunksize: 1 }).pipe(
        Effect.catchTag(
          "TaskError",
          (error) => Effect.succeed(`${error.remoteName}: ${error.message}`),
        ),
      );
      assert.equal(recovered, "RangeError: negative input: -2");
      const error = yield* Effect.flip(pool.apply(failOnNegative, [-5]));
      assert.ok(error instanceof TaskError);
      assert.equal(error._tag, "TaskError");
      assert.equal(error.message, "negative input: -5");
      assert.deepEqual(yield* pool.map(failOnNegative, [1, 2, 3]), [1, 2, 3]);
    }),
);

itEffect(
  "Pool.make mapSettled() gives every item's outcome in input order",
  () =>
    Effect.gen(function* () {
      const pool = yield* Pool.make({ processes: 2 });
      const outcomes = yield* pool.mapSettled(failOnMultipleOfThree, [1, 3, 4]);
      assert.deepEqual(outcomes[0], { status: "fulfilled", value: 10 });
      const second = outcomes[1]!;
      assert.equal(second.status, "rejected");
      assert.ok(second.status === "rejected" && second.reason instanceof TaskError);
      assert.equal(second.reason.message, "multiple of three: 3");
      assert.deepEqual(outcomes[2], { status: "fulfilled", value: 40 });
      const pairs = yield* pool.starmapSettled(multiply, [[1, 2], [3, 4]]);
      assert.deepEqual(pairs, [{ status: "fulfilled", value: 2 }, {
        status: "fulfilled",
        value: 12,
      }]);
    }),
);

itEffect(
  "Pool.make calls over empty input give [] and send nothing",
  () =>
    Effect.gen(function* () {
      const pool = yield* Pool.make({ processes: 1 });
      const before = (yield* pool.stats).completed;
      assert.deepEqual(yield* pool.map(square, []), []);
      assert.deepEqual(yield* pool.starmap(add, []), []);
      assert.deepEqual(Array.from(yield* Stream.runCollect(pool.imap(square, []))), []);
      assert.equal((yield* pool.stats).completed, before);
    }),
);

itEffect("Pool.make initializer runs once per worker with initargs", () =>
  Effect.gen(function* () {
    const pool = yield* Pool.make({ processes: 2, initializer: countingInit, initargs: ["x"] });
    const reports = yield* pool.map(initReport, range(20), { chunksize: 1 });
    for (const report of reports) {
      assert.equal(report.initCalls, 1);
      assert.deepEqual(report.initArgs, ["x"]);
    }
  }));

Deno.test("Pool.make fails with TaskError when the initializer throws, leaving no worker", async () => {
  const program = Effect.scoped(
    Effect.gen(function* () {
      yield* Pool.make({ processes: 2, initializer: failingInit, initargs: ["bad config"] });
      return "opened";
    }),
  ).pipe(Effect.catchTag("TaskError", (error) => Effect.succeed(`failed: ${error.message}`)));
  const outcome = await Effect.runPromise(program);
  assert.match(outcome, /^failed: .*bad config/);
  await assertNoLiveWorkers();
});

Deno.test("Pool.make dies with a RangeError for out-of-range options", async () => {
  for (
    const [options, text] of [
      [{ processes: 0 }, "'processes' must be a positive integer: current value is 0"],
      [{ processes: 1.5 }, "'processes' must be a positive integer: current value is 1.5"],
      [
        { processes: 1, maxTasksPerChild: 0 },
        "'maxTasksPerChild' must be a positive integer: current value is 0",
      ],
    ] as const
  ) {
    const exit = await Effect.runPromiseExit(Effect.scoped(Pool.make(options)));
    assert.ok(Exit.isFailure(exit));
    const defect = Cause.squash(exit.cause);
    assert.ok(defect instanceof RangeError, `got ${defect}`);
    assert.ok(defect.message.includes(text), defect.message);
  }
  await assertNoLiveWorkers();
});

itEffect(
  "Pool.make map() rejects chunksize 0 with a RangeError naming it",
  () =>
    Effect.gen(function* () {
      const pool = yield* Pool.make({ processes: 1 });
      const exit = yield* Effect.exit(pool.map(square, [1], { chunksize: 0 }));
      assert.ok(Exit.isFailure(exit));
      const defect = Cause.squash(exit.cause);
      assert.ok(defect instanceof RangeError, `got ${defect}`);
      assert.match(defect.message, /'chunksize' must be a positive integer: current value is 0/);
    }),
);

Deno.test("Pool.layer provides Pool.Service and terminates the workers with the layer", async () => {
  const program = Effect.gen(function* () {
    const pool = yield* Pool.Service;
    assert.deepEqual(liveOwners().map((owner) => owner.workers), [2]);
    const squares = yield* pool.map(square, [1, 2, 3]);
    const sum = yield* pool.apply(add, [1, 2]);
    return { squares, sum };
  });
  const result = await Effect.runPromise(Effect.provide(program, Pool.layer({ processes: 2 })));
  assert.deepEqual(result, { squares: [1, 4, 9], sum: 3 });
  await assertNoLiveWorkers();
});

Deno.test("Closing the scope terminates every worker, also when the program fails", async () => {
  const ok = Effect.scoped(
    Effect.gen(function* () {
      const pool = yield* Pool.make({ processes: 2 });
      assert.equal((yield* pool.stats).workers, 2);
      return yield* pool.map(increment, [1, 2]);
    }),
  );
  assert.deepEqual(await Effect.runPromise(ok), [2, 3]);
  await assertNoLiveWorkers();
  const failing = Effect.scoped(
    Effect.gen(function* () {
      const pool = yield* Pool.make({ processes: 2 });
      return yield* pool.apply(failOnNegative, [-1]);
    }),
  );
  const exit = await Effect.runPromiseExit(failing);
  assert.ok(Exit.isFailure(exit));
  assert.ok(Cause.squash(exit.cause) instanceof TaskError);
  await assertNoLiveWorkers();
});

itEffect(
  "Interrupting a map cancels it and the pool serves the next map at full size",
  () =>
    Effect.gen(function* () {
      const pool = yield* Pool.make({ processes: 2 });
      const buffer = coordination();
      const view = new Int32Array(buffer);
      const pairs = range(100).map((i) => [buffer, i] as [SharedArrayBuffer, number]);
      const fiber = yield* Effect.forkChild(pool.starmap(startThenHold, pairs, { chunksize: 1 }));
      yield* waitUntil(view, STARTED, 2);
      yield* Fiber.interrupt(fiber);
      const exit = yield* Fiber.await(fiber);
      assert.ok(Exit.isFailure(exit) && Cause.hasInterrupts(exit.cause));
      yield* servesAfterCancel(pool, view);
    }),
);

itEffect("Effect.timeout on a map interrupts it and stops its work", () =>
  Effect.gen(function* () {
    const pool = yield* Pool.make({ processes: 2 });
    const buffer = coordination();
    const view = new Int32Array(buffer);
    const pairs = range(100).map((i) => [buffer, i] as [SharedArrayBuffer, number]);
    const error = yield* Effect.flip(
      pool.starmap(startThenHold, pairs, { chunksize: 1 }).pipe(Effect.timeout("100 millis")),
    );
    assert.ok(Cause.isTimeoutError(error), `got ${error}`);
    assert.ok(Atomics.load(view, STARTED) <= 4, `started ${Atomics.load(view, STARTED)}`);
    yield* servesAfterCancel(pool, view);
  }));

itEffect(
  "Pool.make close refuses new work with PoolClosed and join waits for the workers",
  () =>
    Effect.gen(function* () {
      const pool = yield* Pool.make({ processes: 2 });
      const fiber = yield* Effect.forkChild(
        pool.map(reverseDelaySquare, [1, 2, 3], { chunksize: 1 }),
      );
      yield* Effect.yieldNow;
      yield* pool.close;
      const refused = yield* Effect.flip(pool.map(square, [1]));
      assert.ok(refused instanceof PoolClosed, `got ${refused}`);
      assert.equal(refused._tag, "PoolClosed");
      assert.deepEqual(yield* Fiber.join(fiber), [1, 4, 9]);
      yield* pool.join;
      yield* Effect.promise(assertNoLiveWorkers);
    }),
);

itEffect(
  "Pool.make applyAsync gives a handle that AsyncResultEffect.get awaits",
  () =>
    Effect.gen(function* () {
      const pool = yield* Pool.make({ processes: 1 });
      const handle = yield* pool.applyAsync(square, [12]);
      assert.equal(yield* AsyncResultEffect.get(handle), 144);
      assert.equal(handle.ready(), true);
      assert.equal(handle.successful(), true);
      const failing = yield* pool.applyAsync(failOnNegative, [-4]);
      const error = yield* Effect.flip(AsyncResultEffect.get(failing));
      assert.ok(error instanceof TaskError);
      assert.equal(error.message, "negative input: -4");
    }),
);

itEffect(
  "Pool.make applyAsync and submit handles say running() once sent, and cancel()",
  () =>
    Effect.gen(function* () {
      const pool = yield* Pool.make({ processes: 1 });
      const buffer = coordination();
      const view = new Int32Array(buffer);
      const held = yield* pool.applyAsync(startThenHold, [buffer, 1]);
      yield* waitUntil(view, STARTED, 1);
      assert.equal(held.running(), true);
      const queued = yield* pool.submit(startThenHold, buffer, 2);
      assert.equal(queued.cancel(), true);
      Atomics.store(view, GATE, 1);
      assert.equal(yield* AsyncResultEffect.get(held), 1);
      assert.equal(held.running(), false);
      const cancelled = yield* Effect.flip(AsyncResultEffect.get(queued));
      assert.equal(cancelled._tag, "TaskCancelled");
      assert.equal(Atomics.load(view, STARTED), 1);
    }),
);

itEffect(
  "Pool.make join dies while the pool is open, as Python's join() raises",
  () =>
    Effect.gen(function* () {
      const pool = yield* Pool.make({ processes: 1 });
      const exit = yield* Effect.exit(pool.join);
      assert.ok(Exit.isFailure(exit));
      const defect = Cause.squash(exit.cause);
      assert.ok(defect instanceof Error, `got ${defect}`);
      assert.match(defect.message, /Cannot join a pool that is still running/);
      yield* pool.terminate;
      yield* pool.join;
    }),
);

itEffect(
  "Pool.make maxTasksPerChild recycles workers under new names",
  () =>
    Effect.gen(function* () {
      const pool = yield* Pool.make({ processes: 1, maxTasksPerChild: 2, name: "Cell" });
      const seen = [];
      for (let i = 0; i < 4; i++) seen.push(yield* pool.apply(whoAmI, []));
      assert.deepEqual(seen.map((s) => s.name), ["Cell-1", "Cell-1", "Cell-2", "Cell-2"]);
      assert.equal(new Set(seen.map((s) => s.pid)).size, 2);
      assert.equal(seen[0]!.parent, "MainProcess");
    }),
);
