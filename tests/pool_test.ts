/**
 * The pool on the Promise face: `Pool.open`, map-like calls, chunking, initializers,
 * recycling, identity, lifecycle, failures, cancellation and result handles.
 *
 * @module
 */
import assert from "node:assert/strict";
import { assertNoLiveWorkers } from "../lib/testing.ts";
import { Pool, PoolClosed, TaskCancelled, TaskError, WaitTimeout } from "../mod.ts";
import { liveWorkers } from "../lib/backend/web_worker.ts";
import { add, failOnNegative, square, whoAmI } from "./fixtures/tasks.ts";
import {
  chunkPosition,
  coordination,
  countingInit,
  failingInit,
  failOnMultipleOfThree,
  failOnSumMultipleOfThree,
  GATE,
  holdOn,
  holdThenReturn,
  increment,
  initReport,
  multiply,
  rendezvous,
  reverseDelaySquare,
  STARTED,
  startThenHold,
  where,
} from "./fixtures/pool_tasks.ts";

/** Polls shared memory until `view[slot] >= target`; throws after 10 s. */
async function waitUntil(view: Int32Array, slot: number, target: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Atomics.load(view, slot) < target) {
    if (Date.now() > deadline) {
      throw new Error(`view[${slot}] stayed at ${Atomics.load(view, slot)}, below ${target}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** Positions within chunks for `n` items cut into chunks of `size`. */
function expectedPositions(n: number, size: number): number[] {
  return Array.from({ length: n }, (_, i) => i % size);
}

/** Asserts that the items of each chunk of `size` ran in one worker. */
function assertOneWorkerPerChunk(results: { name: string }[], size: number): void {
  for (let start = 0; start < results.length; start += size) {
    const names = new Set(results.slice(start, start + size).map((r) => r.name));
    assert.equal(names.size, 1, `chunk at ${start} ran in ${[...names].join(", ")}`);
  }
}

Deno.test("Pool.map() keeps input order", async () => {
  await using pool = await Pool.open({ processes: 2 });
  const input = Array.from({ length: 12 }, (_, i) => i);
  assert.deepEqual(
    await pool.map(reverseDelaySquare, input, { chunksize: 1 }),
    input.map((x) => x * x),
  );
});

Deno.test("Pool.starmap() spreads each item and keeps input order", async () => {
  await using pool = await Pool.open({ processes: 2 });
  const pairs: [number, number][] = [[1, 2], [3, 4], [5, 6], [7, 8], [9, 10]];
  assert.deepEqual(await pool.starmap(multiply, pairs, { chunksize: 1 }), [2, 12, 30, 56, 90]);
  assert.deepEqual(await pool.starmap(add, pairs), [3, 7, 11, 15, 19]);
});

Deno.test("Pool.imap() yields results in input order", async () => {
  await using pool = await Pool.open({ processes: 2 });
  const input = Array.from({ length: 10 }, (_, i) => i);
  const seen: number[] = [];
  for await (const y of pool.imap(reverseDelaySquare, input)) seen.push(y);
  assert.deepEqual(seen, input.map((x) => x * x));
});

Deno.test("Pool.imapUnordered() yields every result exactly once", async () => {
  await using pool = await Pool.open({ processes: 2 });
  const input = Array.from({ length: 10 }, (_, i) => i);
  const seen: number[] = [];
  for await (const y of pool.imapUnordered(reverseDelaySquare, input)) seen.push(y);
  assert.deepEqual(seen.toSorted((a, b) => a - b), input.map((x) => x * x));
});

Deno.test("Pool.map() with chunksize 1 sends every item alone", async () => {
  await using pool = await Pool.open({ processes: 2 });
  const input = Array.from({ length: 6 }, (_, i) => i);
  const results = await pool.map(chunkPosition, input, { chunksize: 1 });
  assert.deepEqual(results.map((r) => r.x), input);
  assert.deepEqual(results.map((r) => r.position), expectedPositions(6, 1));
});

Deno.test("Pool.map() with chunksize larger than the input sends one chunk", async () => {
  await using pool = await Pool.open({ processes: 2 });
  const input = [5, 6, 7, 8, 9];
  const results = await pool.map(chunkPosition, input, { chunksize: 50 });
  assert.deepEqual(results.map((r) => r.x), input);
  assert.deepEqual(results.map((r) => r.position), [0, 1, 2, 3, 4]);
  assertOneWorkerPerChunk(results, 50);
});

Deno.test("Pool.map() with a chunksize not dividing the input leaves a short last chunk", async () => {
  await using pool = await Pool.open({ processes: 2 });
  const input = Array.from({ length: 10 }, (_, i) => i);
  const results = await pool.map(chunkPosition, input, { chunksize: 3 });
  assert.deepEqual(results.map((r) => r.x), input);
  assert.deepEqual(results.map((r) => r.position), [0, 1, 2, 0, 1, 2, 0, 1, 2, 0]);
  assertOneWorkerPerChunk(results, 3);
  assert.deepEqual(await pool.map(square, input, { chunksize: 3 }), input.map((x) => x * x));
});

Deno.test("Pool.map() defaults chunksize to ceil(n / (4 * processes)), as Python", async () => {
  await using pool = await Pool.open({ processes: 2 });
  // 17 items on 2 workers: ceil(17 / 8) = 3 items per chunk.
  const seventeen = Array.from({ length: 17 }, (_, i) => i);
  const results = await pool.map(chunkPosition, seventeen);
  assert.deepEqual(results.map((r) => r.x), seventeen);
  assert.deepEqual(results.map((r) => r.position), expectedPositions(17, 3));
  assertOneWorkerPerChunk(results, 3);
  // 5 items: ceil(5 / 8) = 1.
  const five = await pool.map(chunkPosition, [0, 1, 2, 3, 4]);
  assert.deepEqual(five.map((r) => r.position), [0, 0, 0, 0, 0]);
});

Deno.test("Pool.imap() defaults chunksize to 1 and honours a given one", async () => {
  await using pool = await Pool.open({ processes: 2 });
  const input = Array.from({ length: 7 }, (_, i) => i);
  const byOne = [];
  for await (const r of pool.imap(chunkPosition, input)) byOne.push(r);
  assert.deepEqual(byOne.map((r) => r.position), expectedPositions(7, 1));
  const byThree = [];
  for await (const r of pool.imap(chunkPosition, input, { chunksize: 3 })) byThree.push(r);
  assert.deepEqual(byThree.map((r) => r.x), input);
  assert.deepEqual(byThree.map((r) => r.position), expectedPositions(7, 3));
});

Deno.test("Pool initializer runs exactly once in each worker, with initargs", async () => {
  await using pool = await Pool.open({
    processes: 2,
    initializer: countingInit,
    initargs: ["config", 42],
  });
  const input = Array.from({ length: 40 }, (_, i) => i);
  const reports = await pool.map(initReport, input, { chunksize: 1 });
  assert.deepEqual(reports.map((r) => r.x), input);
  for (const report of reports) {
    assert.equal(report.initCalls, 1, `${report.name} ran the initializer ${report.initCalls}×`);
    assert.deepEqual(report.initArgs, ["config", 42]);
  }
});

Deno.test("Pool initializer runs again in each replacement worker", async () => {
  await using pool = await Pool.open({
    processes: 1,
    maxTasksPerChild: 1,
    initializer: countingInit,
    initargs: [7],
  });
  const first = await pool.apply(initReport, [1]);
  const second = await pool.apply(initReport, [2]);
  assert.notEqual(first.name, second.name);
  assert.deepEqual([first.initCalls, second.initCalls], [1, 1]);
  assert.deepEqual(second.initArgs, [7]);
});

Deno.test("Pool.open() rejects with TaskError when the initializer throws, leaving no worker", async () => {
  const before = liveWorkers();
  await assert.rejects(
    Pool.open({ processes: 2, initializer: failingInit, initargs: ["no database"] }),
    (error: unknown) => {
      assert.ok(error instanceof TaskError, `got ${error}`);
      assert.equal(error._tag, "TaskError");
      assert.match(error.message, /no database/);
      assert.equal(error.remoteName, "Error");
      return true;
    },
  );
  assert.equal(liveWorkers(), before);
  await assertNoLiveWorkers();
});

Deno.test("Pool maxTasksPerChild replaces a worker after that many tasks", async () => {
  await using pool = await Pool.open({ processes: 1, maxTasksPerChild: 2 });
  const seen = [];
  for (let i = 0; i < 6; i++) seen.push(await pool.apply(whoAmI, []));
  const pids = seen.map((s) => s.pid);
  assert.equal(pids[0], pids[1]);
  assert.equal(pids[2], pids[3]);
  assert.equal(pids[4], pids[5]);
  assert.equal(new Set(pids).size, 3);
  assert.deepEqual(seen.map((s) => s.name), [
    "PoolWorker-1",
    "PoolWorker-1",
    "PoolWorker-2",
    "PoolWorker-2",
    "PoolWorker-3",
    "PoolWorker-3",
  ]);
  assert.equal(pool.stats.workers, 1);
  assert.ok(pool.stats.replaced >= 2, `replaced ${pool.stats.replaced}`);
});

Deno.test("Pool workers are named PoolWorker-1 and PoolWorker-2 and have distinct pids", async () => {
  await using pool = await Pool.open({ processes: 2 });
  const buffer = coordination();
  // Each task waits for the other: both workers must run one at the same time.
  const both = await pool.starmap(rendezvous, [[buffer, 2], [buffer, 2]], { chunksize: 1 });
  assert.deepEqual(both.map((w) => w.name).toSorted(), ["PoolWorker-1", "PoolWorker-2"]);
  assert.notEqual(both[0]!.pid, both[1]!.pid);
  assert.notEqual(both[0]!.pid, Deno.pid);
  const parent = await pool.apply(whoAmI, []);
  assert.equal(parent.parent, "MainProcess");
});

Deno.test("Pool name option sets the prefix of worker names", async () => {
  await using pool = await Pool.open({ processes: 2, name: "Crunch" });
  const buffer = coordination();
  const both = await pool.starmap(rendezvous, [[buffer, 2], [buffer, 2]], { chunksize: 1 });
  assert.deepEqual(both.map((w) => w.name).toSorted(), ["Crunch-1", "Crunch-2"]);
  const one = await pool.apply(where, [3]);
  assert.match(one.name, /^Crunch-[12]$/);
});

Deno.test("Pool.close() refuses new work with PoolClosed but finishes submitted work", async () => {
  const pool = await Pool.open({ processes: 2 });
  const submitted = pool.map(reverseDelaySquare, [1, 2, 3, 4], { chunksize: 1 });
  pool.close();
  await assert.rejects(pool.map(square, [1]), (error: unknown) => {
    assert.ok(error instanceof PoolClosed, `got ${error}`);
    assert.equal(error._tag, "PoolClosed");
    assert.match(error.message, /closed/);
    return true;
  });
  await assert.rejects(pool.apply(square, [2]), PoolClosed);
  await assert.rejects(pool.starmap(add, [[1, 2]]), PoolClosed);
  assert.deepEqual(await submitted, [1, 4, 9, 16]);
  await pool.join();
  await assertNoLiveWorkers();
  assert.equal(pool.stats.workers, 0);
});

Deno.test("Pool.join() before close() rejects, telling to call close() or terminate()", async () => {
  await using pool = await Pool.open({ processes: 1 });
  await assert.rejects(pool.join(), (error: unknown) => {
    assert.ok(error instanceof Error);
    assert.match(error.message, /close\(\)/);
    assert.match(error.message, /terminate\(\)/);
    return true;
  });
  assert.equal(await pool.apply(square, [3]), 9);
});

Deno.test("Pool.terminate() fails a running apply with PoolClosed", async () => {
  const pool = await Pool.open({ processes: 1 });
  const buffer = coordination();
  const view = new Int32Array(buffer);
  const running = pool.apply(holdThenReturn, [buffer, "late"]);
  running.catch(() => {});
  await waitUntil(view, STARTED, 1);
  await pool.terminate();
  await assert.rejects(running, (error: unknown) => {
    assert.ok(error instanceof PoolClosed, `got ${error}`);
    assert.match(error.message, /terminated/);
    return true;
  });
  Atomics.store(view, GATE, 1);
  await assert.rejects(pool.apply(square, [1]), PoolClosed);
  await assertNoLiveWorkers();
});

Deno.test("Pool.map() fails fast with TaskError and the pool keeps serving", async () => {
  await using pool = await Pool.open({ processes: 2 });
  await assert.rejects(pool.map(failOnNegative, [1, 2, -3, 4], { chunksize: 1 }), (error) => {
    assert.ok(error instanceof TaskError, `got ${error}`);
    assert.equal(error._tag, "TaskError");
    assert.equal(error.message, "negative input: -3");
    assert.equal(error.remoteName, "RangeError");
    assert.equal(error.isError, true);
    return true;
  });
  assert.deepEqual(await pool.map(failOnNegative, [1, 2, 3, 4]), [1, 2, 3, 4]);
  assert.equal(pool.stats.workers, 2);
});

Deno.test("Pool.apply() rejects with the task's TaskError", async () => {
  await using pool = await Pool.open({ processes: 1 });
  await assert.rejects(pool.apply(failOnNegative, [-1]), (error) => {
    assert.ok(error instanceof TaskError);
    assert.equal(error.message, "negative input: -1");
    return true;
  });
  assert.equal(await pool.apply(add, [2, 3]), 5);
});

Deno.test("Pool.mapSettled() gives every item's outcome in input order", async () => {
  await using pool = await Pool.open({ processes: 2 });
  const outcomes = await pool.mapSettled(failOnMultipleOfThree, [1, 2, 3, 4, 5, 6, 7], {
    chunksize: 2,
  });
  assert.equal(outcomes.length, 7);
  const expected = [10, 20, null, 40, 50, null, 70];
  outcomes.forEach((outcome, i) => {
    const value = expected[i];
    if (value === null) {
      assert.equal(outcome.status, "rejected");
      if (outcome.status !== "rejected") return;
      assert.ok(outcome.reason instanceof TaskError);
      assert.equal(outcome.reason.message, `multiple of three: ${i + 1}`);
      assert.equal((outcome.reason as TaskError).remoteName, "TypeError");
    } else {
      assert.deepEqual(outcome, { status: "fulfilled", value });
    }
  });
});

Deno.test("Pool.starmapSettled() gives every item's outcome in input order", async () => {
  await using pool = await Pool.open({ processes: 2 });
  const outcomes = await pool.starmapSettled(failOnSumMultipleOfThree, [[1, 0], [1, 2], [2, 2]]);
  assert.deepEqual(outcomes[0], { status: "fulfilled", value: 10 });
  assert.equal(outcomes[1]!.status, "rejected");
  assert.ok(outcomes[1]!.status === "rejected" && outcomes[1]!.reason instanceof TaskError);
  assert.equal(outcomes[1]!.reason.message, "multiple of three: 3");
  assert.deepEqual(outcomes[2], { status: "fulfilled", value: 40 });
});

Deno.test("Pool.map(), starmap() and imap() over empty input give [] and send nothing", async () => {
  await using pool = await Pool.open({ processes: 2 });
  const before = pool.stats.completed;
  assert.deepEqual(await pool.map(square, []), []);
  assert.deepEqual(await pool.starmap(add, []), []);
  assert.deepEqual(await pool.mapSettled(square, []), []);
  const seen = [];
  for await (const y of pool.imap(square, [])) seen.push(y);
  for await (const y of pool.imapUnordered(square, [])) seen.push(y);
  assert.deepEqual(seen, []);
  assert.equal(pool.stats.completed, before);
  assert.equal(pool.stats.running, 0);
});

Deno.test("Pool.map() and imap() reject with the exact error the input iterable threw", async () => {
  await using pool = await Pool.open({ processes: 2 });
  const boom = new Error("input broke");
  function* broken(): Generator<number> {
    yield 1;
    yield 2;
    throw boom;
  }
  await assert.rejects(pool.map(square, broken()), (error) => error === boom);
  const seen: number[] = [];
  await assert.rejects(async () => {
    for await (const y of pool.imap(square, broken())) seen.push(y);
  }, (error) => error === boom);
  assert.deepEqual(await pool.map(square, [4]), [16]);
});

Deno.test("Pool.open() rejects out-of-range options with a RangeError naming them", async () => {
  const cases: [Record<string, number>, string][] = [
    [{ processes: 0 }, "'processes' must be a positive integer: current value is 0"],
    [{ processes: -1 }, "'processes' must be a positive integer: current value is -1"],
    [{ processes: 1.5 }, "'processes' must be a positive integer: current value is 1.5"],
    [
      { processes: 1, maxTasksPerChild: 0 },
      "'maxTasksPerChild' must be a positive integer: current value is 0",
    ],
  ];
  for (const [options, message] of cases) {
    await assert.rejects(Pool.open(options), (error: unknown) => {
      assert.ok(error instanceof RangeError, `got ${error}`);
      assert.ok(error.message.includes(message), error.message);
      return true;
    });
  }
  await assertNoLiveWorkers();
});

Deno.test("apply and applyAsync with arguments that are not an array reject saying so", async () => {
  await using pool = await Pool.open({ processes: 1 });
  const message =
    "Cannot run a task as its arguments must be an array ([x] for one): received number";
  await assert.rejects(pool.apply(square, 3 as never), { name: "TypeError", message });
  await assert.rejects(pool.applyAsync(square, 3 as never).get(), { name: "TypeError", message });
  assert.equal(await pool.apply(square, [3]), 9, "the pool still serves");
});

Deno.test("Pool.open() with options that are not an object rejects with a TypeError saying so", async () => {
  for (const options of [null, 4, "processes: 2"]) {
    await assert.rejects(Pool.open(options as never), {
      name: "TypeError",
      message: `Cannot open pool as its options must be an object (or left out): current value is ${
        typeof options === "string" ? JSON.stringify(options) : String(options)
      }`,
    });
  }
  await assertNoLiveWorkers();
});

Deno.test("Pool map-like calls reject chunksize 0 with a RangeError naming it", async () => {
  await using pool = await Pool.open({ processes: 1 });
  const message = /'chunksize' must be a positive integer: current value is 0/;
  await assert.rejects(pool.map(square, [1], { chunksize: 0 }), (error: unknown) => {
    assert.ok(error instanceof RangeError);
    assert.match(error.message, message);
    assert.match(error.message, /map\(\)/);
    return true;
  });
  await assert.rejects(pool.starmap(add, [[1, 2]], { chunksize: 0 }), RangeError);
  assert.throws(() => pool.imap(square, [1], { chunksize: 0 }), message);
  assert.deepEqual(await pool.map(square, [2], { chunksize: 1 }), [4]);
});

Deno.test("Pool.map() aborted by its signal rejects with signal.reason and stops early", async () => {
  await using pool = await Pool.open({ processes: 2 });
  const buffer = coordination();
  const view = new Int32Array(buffer);
  const total = 100;
  const pairs = Array.from({ length: total }, (_, i) => [buffer, i] as [SharedArrayBuffer, number]);
  const controller = new AbortController();
  const reason = new Error("stop now");
  const mapping = pool.starmap(startThenHold, pairs, { chunksize: 1, signal: controller.signal });
  mapping.catch(() => {});
  await waitUntil(view, STARTED, 2);
  controller.abort(reason);
  await assert.rejects(mapping, (error) => error === reason);
  Atomics.store(view, GATE, 1);
  const input = Array.from({ length: 8 }, (_, i) => i);
  assert.deepEqual(await pool.map(increment, input, { chunksize: 1 }), input.map((x) => x + 1));
  const started = Atomics.load(view, STARTED);
  assert.ok(started <= 2 * 2, `started ${started} of ${total}`);
  assert.equal(pool.stats.workers, 2);
});

Deno.test("Pool.map() with an already aborted signal rejects with its reason", async () => {
  await using pool = await Pool.open({ processes: 1 });
  const before = pool.stats.completed;
  const reason = new DOMException("gone", "AbortError");
  await assert.rejects(
    pool.map(square, [1, 2], { signal: AbortSignal.abort(reason) }),
    (error) => error === reason,
  );
  assert.equal(pool.stats.completed, before);
});

Deno.test("Pool.applyAsync() gives a handle to await, poll and call back", async () => {
  await using pool = await Pool.open({ processes: 1 });
  const values: number[] = [];
  const handle = pool.applyAsync(square, [7], { callback: (v) => values.push(v) });
  assert.equal(await handle, 49);
  assert.equal(handle.ready(), true);
  assert.equal(handle.successful(), true);
  assert.equal(await handle.wait({ timeout: 1000 }), true);
  assert.equal(await handle.get({ timeout: 1000 }), 49);
  assert.deepEqual(values, [49]);

  const errors: unknown[] = [];
  const failing = pool.applyAsync(failOnNegative, [-2], { errorCallback: (e) => errors.push(e) });
  assert.equal(await failing.wait(), true);
  assert.equal(failing.successful(), false);
  await assert.rejects(failing.get(), (error) => error instanceof TaskError);
  assert.equal(errors.length, 1);
  assert.ok(errors[0] instanceof TaskError);
  assert.equal((errors[0] as TaskError).message, "negative input: -2");
});

Deno.test("AsyncResult.get({ timeout }) rejects with WaitTimeout while the task keeps running", async () => {
  await using pool = await Pool.open({ processes: 1 });
  const buffer = coordination();
  const view = new Int32Array(buffer);
  const handle = pool.applyAsync(holdThenReturn, [buffer, "done"]);
  assert.equal(handle.ready(), false);
  assert.throws(() => handle.successful(), /not finished/);
  assert.equal(await handle.wait({ timeout: 20 }), false);
  await assert.rejects(handle.get({ timeout: 20 }), (error) => {
    assert.ok(error instanceof WaitTimeout, `got ${error}`);
    assert.equal(error._tag, "WaitTimeout");
    assert.equal(error.timeout, 20);
    return true;
  });
  assert.equal(handle.ready(), false);
  Atomics.store(view, GATE, 1);
  assert.equal(await handle.get({ timeout: 10_000 }), "done");
  assert.equal(handle.successful(), true);
});

Deno.test("AsyncResult.cancel() stops the work and settles the handle", async () => {
  await using pool = await Pool.open({ processes: 1 });
  const buffer = coordination();
  const view = new Int32Array(buffer);
  const pairs = Array.from({ length: 20 }, (_, i) => [buffer, i] as [SharedArrayBuffer, number]);
  const handle = pool.starmapAsync(startThenHold, pairs, { chunksize: 1 });
  await waitUntil(view, STARTED, 1);
  handle.cancel();
  Atomics.store(view, GATE, 1);
  assert.deepEqual(await pool.map(square, [1, 2, 3]), [1, 4, 9]);
  assert.ok(Atomics.load(view, STARTED) <= 2, `started ${Atomics.load(view, STARTED)}`);
  // The handle must not stay pending for ever once its work is cancelled.
  assert.equal(await handle.wait({ timeout: 1000 }), true, "cancelled handle never settled");
  assert.equal(handle.successful(), false);
  await assert.rejects(handle.get(), TaskCancelled);
});

Deno.test("Pool.mapAsync() and starmapAsync() give handles to the ordered results", async () => {
  await using pool = await Pool.open({ processes: 2 });
  const calls: number[][] = [];
  const mapped = pool.mapAsync(square, [1, 2, 3, 4], {
    chunksize: 1,
    callback: (v) => calls.push(v),
  });
  const starmapped = pool.starmapAsync(multiply, [[2, 3], [4, 5]]);
  assert.deepEqual(await mapped, [1, 4, 9, 16]);
  assert.deepEqual(await starmapped.get({ timeout: 10_000 }), [6, 20]);
  assert.equal(mapped.successful(), true);
  assert.deepEqual(calls, [[1, 4, 9, 16]]);
  const failing = pool.mapAsync(failOnNegative, [1, -1]);
  await assert.rejects(failing.get(), (error) => error instanceof TaskError);
  assert.equal(failing.ready(), true);
});

Deno.test("Pool.imap() pulls an endless input lazily and stops when the loop breaks", async () => {
  await using pool = await Pool.open({ processes: 2 });
  let pulled = 0;
  function* naturals(): Generator<number> {
    let i = 0;
    while (true) {
      pulled++;
      yield i++;
    }
  }
  const first: number[] = [];
  for await (const y of pool.imap(square, naturals())) {
    first.push(y);
    if (first.length === 20) break;
  }
  assert.deepEqual(first, Array.from({ length: 20 }, (_, i) => i * i));
  const chunksize = 1;
  const bound = 20 + pool.processes * 4 * chunksize + chunksize;
  assert.ok(pulled < bound, `pulled ${pulled} items, bound ${bound}`);
  const pulledAtBreak = pulled;
  assert.deepEqual(await pool.map(square, [3, 4]), [9, 16]);
  assert.equal(pulled, pulledAtBreak);
});

Deno.test("Pool.imap() with chunksize pulls a bounded number of chunks ahead", async () => {
  await using pool = await Pool.open({ processes: 1 });
  let pulled = 0;
  function* naturals(): Generator<number> {
    for (let i = 0;; i++) {
      pulled++;
      yield i;
    }
  }
  const chunksize = 3;
  let taken = 0;
  for await (const y of pool.imap(increment, naturals(), { chunksize })) {
    assert.equal(y, ++taken);
    if (taken === 10) break;
  }
  const bound = 10 + pool.processes * 4 * chunksize + chunksize;
  assert.ok(pulled < bound, `pulled ${pulled} items, bound ${bound}`);
  assert.equal(await pool.apply(increment, [1]), 2);
});

Deno.test("await using terminates every worker of the pool", async () => {
  {
    await using pool = await Pool.open({ processes: 2 });
    assert.equal(pool.stats.workers, 2);
    assert.ok(liveWorkers() >= 2);
    assert.deepEqual(await pool.map(square, [1, 2]), [1, 4]);
  }
  await assertNoLiveWorkers();
});

Deno.test("Pool.close() then join() leaves no worker alive", async () => {
  const pool = await Pool.open({ processes: 2 });
  assert.deepEqual(await pool.map(increment, [1, 2, 3]), [2, 3, 4]);
  pool.close();
  await pool.join();
  await assertNoLiveWorkers();
  await pool.join();
  await pool.terminate();
  await assertNoLiveWorkers();
});

Deno.test("Pool.imap() aborted by its signal rejects with signal.reason", async () => {
  await using pool = await Pool.open({ processes: 2 });
  const buffer = coordination();
  const view = new Int32Array(buffer);
  const controller = new AbortController();
  const reason = new Error("enough");
  let pulled = 0;
  function* endless(): Generator<SharedArrayBuffer> {
    for (;; pulled++) yield buffer;
  }
  const results = pool.imap(holdOn, endless(), {
    signal: controller.signal,
  });
  const next = results.next();
  await waitUntil(view, STARTED, 1);
  controller.abort(reason);
  await assert.rejects(next, (error) => error === reason);
  Atomics.store(view, GATE, 1);
  assert.deepEqual(await pool.map(square, [6]), [36]);
  assert.ok(pulled < 20, `pulled ${pulled}`);
  assert.ok(Atomics.load(view, STARTED) <= 4, `started ${Atomics.load(view, STARTED)}`);
});

Deno.test("Pool.imap() after close() rejects with PoolClosed", async () => {
  const pool = await Pool.open({ processes: 1 });
  pool.close();
  await assert.rejects(pool.imap(square, [1, 2]).next(), PoolClosed);
  await pool.join();
  await assertNoLiveWorkers();
});
