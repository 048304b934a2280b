/**
 * The lazy maps of the Effect face as Streams: `istarmap` and `istarmapUnordered`
 * beside `imap` and `imapUnordered`, their `settled: true` forms (every outcome, with
 * its index), interruption that cancels the chunks in flight, and failures typed as
 * each form names them.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Cause, Effect, Exit, Fiber, Stream } from "effect";
import { Pool, PoolClosed, TaskError, TaskNotFound } from "../lib/effect.ts";
import { itEffect, servesAfterCancel, waitUntil } from "./_effect_pool.ts";
import { imapInFlight } from "../lib/pool_options.ts";
import {
  coordination,
  delayedSquare,
  failOnMultipleOfThree,
  failOnSumMultipleOfThree,
  GATE,
  multiply,
  STARTED,
  startThenHold,
} from "./fixtures/pool_tasks.ts";

const collect = <A, E>(stream: Stream.Stream<A, E>) =>
  Effect.map(Stream.runCollect(stream), (chunk) => Array.from(chunk));

itEffect(
  "istarmap() is a Stream of results in input order; istarmapUnordered() of each once",
  () =>
    Effect.gen(function* () {
      const pool = yield* Pool.make({ processes: 2 });
      // Earlier items sleep longer: completion order differs from input order.
      const pairs = [[1, 40], [2, 30], [3, 20], [4, 10], [5, 0]] as [number, number][];
      assert.deepEqual(yield* collect(pool.istarmap(delayedSquare, pairs)), [1, 4, 9, 16, 25]);
      const unordered = yield* collect(pool.istarmapUnordered(delayedSquare, pairs));
      assert.deepEqual(unordered.toSorted((a, b) => a - b), [1, 4, 9, 16, 25]);
      // An async iterable of argument lists, with chunks of two.
      async function* products() {
        for (let i = 0; i < 5; i++) yield [i, 10] as [number, number];
      }
      const lazy = pool.istarmap(multiply, products(), { chunksize: 2 });
      assert.deepEqual(yield* collect(lazy), [0, 10, 20, 30, 40]);
    }),
);

itEffect(
  "settled: true emits every outcome with its index and goes on past failures",
  () =>
    Effect.gen(function* () {
      const pool = yield* Pool.make({ processes: 2 });
      // Items 1 and 3 fail, in every form: the first by one argument, the second by two.
      const expected = [[0, "fulfilled"], [1, "rejected"], [2, "fulfilled"], [3, "rejected"]];
      const ordered = yield* collect(
        pool.imap(failOnMultipleOfThree, [1, 3, 4, 6], { settled: true, chunksize: 2 }),
      );
      assert.deepEqual(ordered.map((o) => [o.index, o.status]), expected);
      const second = ordered[1]!;
      assert.ok(second.status === "rejected" && second.reason instanceof TaskError);
      assert.equal(second.reason.message, "multiple of three: 3");
      assert.deepEqual(ordered[2], { status: "fulfilled", value: 40, index: 2 });

      const pairs = [[1, 1], [1, 2], [2, 2], [4, 5]] as [number, number][];
      for (
        const [stream, inInputOrder] of [
          [pool.istarmap(failOnSumMultipleOfThree, pairs, { settled: true }), true],
          [pool.imapUnordered(failOnMultipleOfThree, [1, 3, 4, 6], { settled: true }), false],
          [pool.istarmapUnordered(failOnSumMultipleOfThree, pairs, { settled: true }), false],
        ] as const
      ) {
        const outcomes = yield* collect(stream);
        const inOrder = inInputOrder ? outcomes : outcomes.toSorted((a, b) => a.index - b.index);
        assert.deepEqual(inOrder.map((o) => [o.index, o.status]), expected);
      }
    }),
);

itEffect(
  "without settled, the Stream fails with the task's error, caught by its tag",
  () =>
    Effect.gen(function* () {
      const pool = yield* Pool.make({ processes: 1 });
      const caught = yield* collect(
        pool.istarmap(failOnSumMultipleOfThree, [[1, 0], [1, 2], [2, 2]], { chunksize: 1 }).pipe(
          Stream.catchTag("TaskError", (error) => Stream.make(`caught ${error.message}`)),
        ),
      );
      assert.deepEqual(caught, [10, "caught multiple of three: 3"]);
      // In one chunk: the results before the failing item come out first.
      const sameChunk = yield* collect(
        pool.istarmap(failOnSumMultipleOfThree, [[1, 0], [1, 1], [1, 2], [2, 2]], {
          chunksize: 4,
        }).pipe(Stream.catchTag("TaskError", (error) => Stream.make(`caught ${error.message}`))),
      );
      assert.deepEqual(sameChunk, [10, 20, "caught multiple of three: 3"]);
    }),
);

itEffect(
  "a worker's answer comes out as one Stream chunk, not one per result",
  () =>
    Effect.gen(function* () {
      const pool = yield* Pool.make({ processes: 1 });
      const pairs = Array.from({ length: 300 }, (_, i) => [i, 2] as [number, number]);
      const chunks = yield* collect(
        Stream.chunks(pool.istarmap(multiply, pairs, { chunksize: 100 })),
      );
      assert.deepEqual(chunks.flat(), pairs.map(([a, b]) => a * b));
      // Three answers of 100 results (an answer may arrive split, never item by item).
      assert.ok(chunks.length <= 30, `${chunks.length} chunks`);
    }),
);

itEffect(
  "interrupting an istarmap Stream cancels its chunks in flight",
  () =>
    Effect.gen(function* () {
      const pool = yield* Pool.make({ processes: 2 });
      const buffer = coordination();
      const view = new Int32Array(buffer);
      const pairs = Array.from(
        { length: 100 },
        (_, i) => [buffer, i] as [SharedArrayBuffer, number],
      );
      const fiber = yield* Effect.forkChild(collect(pool.istarmap(startThenHold, pairs)));
      // Both workers hold a chunk; more chunks wait in flight behind them.
      yield* waitUntil(view, STARTED, 2);
      yield* Fiber.interrupt(fiber);
      const exit = yield* Fiber.await(fiber);
      assert.ok(Exit.isFailure(exit) && Cause.hasInterrupts(exit.cause));
      yield* servesAfterCancel(pool, view);
    }),
);

itEffect(
  "Stream.take on an endless istarmapUnordered ends it and cancels the rest",
  () =>
    Effect.gen(function* () {
      const pool = yield* Pool.make({ processes: 1 });
      const buffer = coordination();
      const view = new Int32Array(buffer);
      Atomics.store(view, GATE, 1);
      function* pairs() {
        for (let i = 0;; i++) yield [buffer, i] as [SharedArrayBuffer, number];
      }
      // One worker, four chunks in flight: the first result ends the Stream.
      const first = yield* collect(
        pool.istarmapUnordered(startThenHold, pairs()).pipe(Stream.take(1)),
      );
      assert.equal(first.length, 1);
      // The gate is open, so the chunks already sent may all run before the cancel lands;
      // what must not run is any chunk the call had not sent yet.
      yield* servesAfterCancel(pool, view, imapInFlight(pool.processes));
    }),
);

itEffect("a Stream runs its call anew each time it is run", () =>
  Effect.gen(function* () {
    const pool = yield* Pool.make({ processes: 1 });
    const stream = pool.istarmap(multiply, [[2, 3], [4, 5]]);
    assert.deepEqual(yield* collect(stream), [6, 20]);
    assert.deepEqual(yield* collect(stream), [6, 20]);
  }));

itEffect(
  "a closed pool fails a settled Stream with PoolClosed, as a whole",
  () =>
    Effect.gen(function* () {
      const pool = yield* Pool.make({ processes: 1 });
      yield* pool.close;
      const error = yield* Effect.flip(
        collect(pool.istarmapUnordered(multiply, [[1, 2]], { settled: true })),
      );
      assert.ok(error instanceof PoolClosed, `got ${error}`);
    }),
);

itEffect(
  "a function that cannot be sent fails with TaskNotFound; a broken input is a defect",
  () =>
    Effect.gen(function* () {
      const pool = yield* Pool.make({ processes: 1 });
      const local = (a: number, b: number) => a + b + Math.random() * 0;
      const notFound = yield* Effect.flip(collect(pool.istarmap(local, [[1, 2]])));
      assert.ok(notFound instanceof TaskNotFound, `got ${notFound}`);
      function* broken(): Generator<[number, number]> {
        yield [1, 2];
        throw new SyntaxError("input broke");
      }
      const exit = yield* Effect.exit(
        collect(pool.istarmap(multiply, broken(), { settled: true })),
      );
      assert.ok(Exit.isFailure(exit));
      assert.equal(Cause.hasDies(exit.cause), true, `${exit.cause}`);
      const defect = Cause.squash(exit.cause);
      assert.ok(defect instanceof SyntaxError && defect.message === "input broke");
    }),
);
