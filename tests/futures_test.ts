/**
 * `concurrent.futures` over the pool, modelled on CPython's test_concurrent_futures
 * (WaitTests, AsCompletedTests, FutureTests, ExecutorTest.test_map*): `submit`, `wait`
 * with each `returnWhen`, `asCompleted` order and timeout, the handle's Future methods,
 * and `mapZip` (Python's `Executor.map` over several iterables). Tasks are held by
 * gates in shared memory, never by sleeps.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Effect, Exit, Stream } from "effect";
import {
  ALL_COMPLETED,
  asCompleted,
  AsyncResultEffect,
  FIRST_COMPLETED,
  FIRST_EXCEPTION,
  FuturesEffect,
  Pool,
  TaskCancelled,
  TaskError,
  type TaskError as TaskErrorType,
  wait,
  WaitTimeout,
} from "../lib/effect.ts";
import { checked, gated, gates, join3, open, power, started } from "./fixtures/futures_tasks.ts";

Deno.test("Pool.submit() calls fn(...args) and gives an awaitable handle", async () => {
  await using pool = await Pool.open({ processes: 2 });
  const handle = pool.submit(power, 2, 10);
  assert.equal(await handle, 1024);
  assert.equal(handle.done(), true);
  assert.equal(handle.running(), false);
  assert.equal(handle.cancelled(), false);
  assert.equal(await handle.exception(), undefined);
  assert.equal(await pool.submit(join3, "a", 1, true), "a1true");
});

Deno.test("AsyncResult.exception() gives the task's error without throwing it", async () => {
  await using pool = await Pool.open({ processes: 1 });
  const handle = pool.submit(checked, -1);
  const error = await handle.exception({ timeout: 10_000 });
  assert.ok(error instanceof TaskError);
  assert.equal((error as TaskErrorType).remoteName, "RangeError");
  assert.equal(handle.done(), true);
  assert.equal(handle.successful(), false);
});

Deno.test("AsyncResult.exception({ timeout }) rejects with WaitTimeout while the task runs", async () => {
  await using pool = await Pool.open({ processes: 1 });
  const buffer = gates(1);
  const handle = pool.submit(gated, buffer, 1, "late");
  await assert.rejects(handle.exception({ timeout: 1 }), WaitTimeout);
  open(buffer, 1);
  assert.equal(await handle, "late");
});

Deno.test("AsyncResult.running() is true from when the task is sent until it ends", async () => {
  await using pool = await Pool.open({ processes: 1 });
  const buffer = gates(1);
  const handle = pool.submit(gated, buffer, 1, 7);
  await started(buffer, 1);
  assert.equal(handle.running(), true);
  assert.equal(handle.done(), false);
  open(buffer, 1);
  assert.equal(await handle, 7);
  assert.equal(handle.running(), false);
});

Deno.test("AsyncResult.cancel() cancels a pending handle once; a finished one stays", async () => {
  await using pool = await Pool.open({ processes: 1 });
  const buffer = gates(1);
  const pending = pool.submit(gated, buffer, 1, "never");
  await started(buffer, 1);
  assert.equal(pending.cancel(), true);
  assert.equal(pending.cancel(), true);
  assert.equal(pending.cancelled(), true);
  assert.equal(pending.done(), true);
  await assert.rejects(pending.exception(), TaskCancelled);
  await assert.rejects(pending.then(), TaskCancelled);
  open(buffer, 1);
  const finished = pool.submit(power, 3, 2);
  assert.equal(await finished, 9);
  assert.equal(finished.cancel(), false);
  assert.equal(finished.cancelled(), false);
});

Deno.test("AsyncResult.addDoneCallback() runs each callback once, at once if already done", async () => {
  await using pool = await Pool.open({ processes: 1 });
  const buffer = gates(1);
  const handle = pool.submit(gated, buffer, 1, 5);
  const calls: string[] = [];
  handle.addDoneCallback((h) => calls.push(`first:${h === handle}`));
  handle.addDoneCallback(() => calls.push("second"));
  assert.deepEqual([...calls], []);
  open(buffer, 1);
  await handle;
  assert.deepEqual([...calls], ["first:true", "second"]);
  handle.addDoneCallback(() => calls.push("late"));
  assert.deepEqual([...calls], ["first:true", "second", "late"]);
  assert.throws(() => handle.addDoneCallback(42 as never), TypeError);
});

Deno.test("wait(FIRST_COMPLETED) returns once one handle ended", async () => {
  await using pool = await Pool.open({ processes: 2 });
  const buffer = gates(1);
  const held = pool.submit(gated, buffer, 1, "held");
  const quick = pool.submit(power, 2, 2);
  const { done, notDone } = await wait([held, quick], { returnWhen: FIRST_COMPLETED });
  assert.deepEqual([...done], [quick]);
  assert.deepEqual([...notDone], [held]);
  open(buffer, 1);
  await held;
});

Deno.test("wait(FIRST_EXCEPTION) returns at the first failure; a cancellation is no failure", async () => {
  await using pool = await Pool.open({ processes: 3 });
  const buffer = gates(2);
  const held = pool.submit(gated, buffer, 1, "held");
  const cancelled = pool.submit(gated, buffer, 2, "cancelled");
  await started(buffer, 2);
  cancelled.cancel();
  const failing = pool.submit(checked, -5);
  const { done, notDone } = await wait([held, cancelled, failing], {
    returnWhen: FIRST_EXCEPTION,
  });
  assert.deepEqual(new Set(done), new Set([cancelled, failing]));
  assert.deepEqual([...notDone], [held]);
  open(buffer, 1);
  open(buffer, 2);
  await held;
});

Deno.test("wait(FIRST_EXCEPTION) without failures waits for all, as ALL_COMPLETED", async () => {
  await using pool = await Pool.open({ processes: 2 });
  const handles = [1, 2, 3, 4].map((x) => pool.submit(power, x, 2));
  const { done, notDone } = await wait(handles, { returnWhen: FIRST_EXCEPTION });
  assert.equal(done.size, 4);
  assert.equal(notDone.size, 0);
});

Deno.test("wait(ALL_COMPLETED) returns once every handle ended, failed ones too", async () => {
  await using pool = await Pool.open({ processes: 2 });
  const handles = [1, -1, 2].map((x) => pool.submit(checked, x));
  const { done, notDone } = await wait(handles, { returnWhen: ALL_COMPLETED });
  assert.deepEqual(done, new Set(handles));
  assert.equal(notDone.size, 0);
  assert.deepEqual(handles.map((h) => h.successful()), [true, false, true]);
  // A handle listed twice counts once, as Python's set.
  const again = await wait([handles[0]!, handles[0]!]);
  assert.equal(again.done.size, 1);
});

Deno.test("wait({ timeout }) gives the sets as they are, without failing", async () => {
  await using pool = await Pool.open({ processes: 2 });
  const buffer = gates(1);
  const held = pool.submit(gated, buffer, 1, "held");
  const quick = pool.submit(power, 5, 1);
  await quick;
  const { done, notDone } = await wait([held, quick], { timeout: 5 });
  assert.deepEqual([...done], [quick]);
  assert.deepEqual([...notDone], [held]);
  open(buffer, 1);
  await held;
});

Deno.test("wait() and asCompleted() refuse bad arguments with TypeError/RangeError", async () => {
  await assert.rejects(wait([], { returnWhen: "SOMETIMES" as never }), RangeError);
  await assert.rejects(wait([], { timeout: -1 }), RangeError);
  await assert.rejects(wait([42 as never]), TypeError);
  await assert.rejects(wait(null as never), TypeError);
  assert.throws(() => asCompleted([], { timeout: Number.NaN }), RangeError);
  assert.deepEqual(await wait([]), { done: new Set(), notDone: new Set() });
});

Deno.test("wait({ signal }) rejects with the abort reason; the tasks keep running", async () => {
  await using pool = await Pool.open({ processes: 1 });
  const buffer = gates(1);
  const held = pool.submit(gated, buffer, 1, "held");
  const controller = new AbortController();
  const waiting = wait([held], { signal: controller.signal });
  controller.abort(new Error("stop waiting"));
  await assert.rejects(waiting, /stop waiting/);
  assert.equal(held.done(), false);
  open(buffer, 1);
  assert.equal(await held, "held");
});

Deno.test("asCompleted() yields finished handles first, then in completion order", async () => {
  await using pool = await Pool.open({ processes: 3 });
  const buffer = gates(2);
  const first = pool.submit(gated, buffer, 1, "first");
  const second = pool.submit(gated, buffer, 2, "second");
  const finished = pool.submit(power, 2, 3);
  await finished;
  await started(buffer, 2);
  const order: unknown[] = [];
  const indexes: number[] = [];
  for await (const { handle, index } of asCompleted([first, second, finished, finished])) {
    order.push(await handle);
    indexes.push(index);
    // Each gate opens once the previous result was taken: the completion order is ours.
    if (order.length === 1) open(buffer, 2);
    if (order.length === 2) open(buffer, 1);
  }
  assert.deepEqual(order, [8, "second", "first"]);
  assert.deepEqual(indexes, [2, 1, 0]);
});

Deno.test("asCompleted({ timeout }) fails with WaitTimeout naming the unfinished count", async () => {
  await using pool = await Pool.open({ processes: 2 });
  const buffer = gates(1);
  const held = pool.submit(gated, buffer, 1, "held");
  const quick = pool.submit(power, 2, 1);
  const seen: unknown[] = [];
  await assert.rejects(
    async () => {
      for await (const { handle } of asCompleted([held, quick], { timeout: 50 })) {
        seen.push(await handle);
      }
    },
    (error) => error instanceof WaitTimeout && /1 \(of 2\)/.test(error.message),
  );
  assert.deepEqual(seen, [2]);
  open(buffer, 1);
  await held;
});

Deno.test("Pool.mapZip() zips several inputs, stopping at the shortest, in order", async () => {
  await using pool = await Pool.open({ processes: 2 });
  const out: number[] = [];
  for await (const y of pool.mapZip(power, [2, 3, 4, 5], [1, 2, 3])) out.push(y);
  assert.deepEqual(out, [2, 9, 64]);
  const joined: string[] = [];
  async function* numbers() {
    yield 1;
    yield 2;
  }
  for await (
    const s of pool.mapZip(join3, ["a", "b", "c"], numbers(), [true, false], { chunksize: 2 })
  ) joined.push(s);
  assert.deepEqual(joined, ["a1true", "b2false"]);
});

Deno.test("Pool.mapZip() raises a task's error when its result is reached", async () => {
  await using pool = await Pool.open({ processes: 2 });
  const out: number[] = [];
  await assert.rejects(async () => {
    for await (const y of pool.mapZip(checked, [1, 2, -3, 4])) out.push(y);
  }, (error) => error instanceof TaskError);
  assert.deepEqual(out, [1, 2]);
});

Deno.test("Pool.mapZip({ timeout }) fails with WaitTimeout and cancels the rest", async () => {
  await using pool = await Pool.open({ processes: 1 });
  const buffer = gates(1);
  const results = pool.mapZip(gated, [buffer], [1], ["held"], { timeout: 20 });
  await assert.rejects(results.next(), WaitTimeout);
  assert.deepEqual(await results.next(), { done: true, value: undefined });
  open(buffer, 1);
});

Deno.test("Pool.mapZip() refuses bad arguments before anything runs", async () => {
  await using pool = await Pool.open({ processes: 1 });
  assert.throws(() => (pool.mapZip as (...args: unknown[]) => unknown)(power), TypeError);
  assert.throws(() => pool.mapZip(power, [1], 5 as never), TypeError);
  assert.throws(() => pool.mapZip(power, [1], [2], { chunksize: 0 }), RangeError);
  assert.throws(() => pool.mapZip(power, [1], [2], { timeout: -5 }), RangeError);
});

Deno.test("mapAsync() and starmapAsync() call errorCallback once, not callback", async () => {
  await using pool = await Pool.open({ processes: 2 });
  const calls: string[] = [];
  const mapped = pool.mapAsync(checked, [1, -2, 3], {
    callback: () => calls.push("map callback"),
    errorCallback: (error) => calls.push(`map error ${error._tag}`),
  });
  const starmapped = pool.starmapAsync(checked, [[4], [-5]], {
    callback: () => calls.push("starmap callback"),
    errorCallback: (error) => calls.push(`starmap error ${error._tag}`),
  });
  await assert.rejects(mapped.then(), (error) => error instanceof TaskError);
  await assert.rejects(starmapped.then(), (error) => error instanceof TaskError);
  assert.deepEqual(calls.sort(), ["map error TaskError", "starmap error TaskError"]);
});

Deno.test("Effect face: submit, FuturesEffect.wait and asCompleted, mapZip as a Stream", async () => {
  const program = Effect.gen(function* () {
    const pool = yield* Pool.make({ processes: 2 });
    const a = yield* pool.submit(power, 2, 5);
    const b = yield* pool.submit(checked, -1);
    const { done } = yield* FuturesEffect.wait([a, b]);
    const values = yield* FuturesEffect.asCompleted([a]).pipe(
      Stream.mapEffect(({ handle }) => AsyncResultEffect.get(handle)),
      Stream.runCollect,
    );
    const zipped = yield* pool.mapZip(power, [1, 2, 3], [3, 2, 1]).pipe(Stream.runCollect);
    const failed = yield* Effect.exit(AsyncResultEffect.get(b));
    return { done: done.size, values: [...values], zipped: [...zipped], failed };
  });
  const result = await Effect.runPromise(Effect.scoped(program));
  assert.equal(result.done, 2);
  assert.deepEqual(result.values, [32]);
  assert.deepEqual(result.zipped, [1, 4, 3]);
  assert.ok(Exit.isFailure(result.failed));
});

Deno.test("Effect face: asCompleted fails with WaitTimeout; wait can be interrupted", async () => {
  await using pool = await Pool.open({ processes: 1 });
  const buffer = gates(1);
  const held = pool.submit(gated, buffer, 1, "held");
  const timedOut = await Effect.runPromise(
    Effect.exit(Stream.runCollect(FuturesEffect.asCompleted([held], { timeout: 5 }))),
  );
  assert.ok(Exit.isFailure(timedOut));
  assert.match(String(timedOut.cause), /WaitTimeout|unfinished/);
  const interrupted = await Effect.runPromise(
    Effect.exit(Effect.timeout(FuturesEffect.wait([held]), 5)),
  );
  assert.ok(Exit.isFailure(interrupted));
  assert.equal(held.done(), false);
  open(buffer, 1);
  assert.equal(await held, "held");
});
