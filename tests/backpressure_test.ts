/**
 * Backpressure (`maxQueue`) as a user meets it: while the pool's queue holds `maxQueue`
 * chunks, `apply` and the maps settle later, `applyAsync` and `submit` hold their task
 * back (`pool.room()` paces them), the lazy maps pull no more input, a signal or an
 * interruption gives up waiting with nothing sent, and a million calls trickle through
 * in bounded memory. The worker is held at a gate in shared memory, so each state is
 * reached by counting, never by timing.
 */
import assert from "node:assert/strict";
import { Effect, Exit, Fiber } from "effect";
import { inline, Pool, PoolClosed, type PoolStats, TaskCancelled } from "../mod.ts";
import { Pool as EffectPool } from "../lib/effect.ts";
import { assertNoLiveWorkers } from "../lib/testing.ts";

Deno.test.afterEach(assertNoLiveWorkers);

/** Cells of a gate: whether it is open, and how many held tasks ran. */
const OPEN = 0;
const RAN = 1;

/** Counts itself as run, waits until the gate opens, returns `x`. */
const held = inline((gate: Int32Array, x: number) => {
  Atomics.add(gate, 1, 1);
  while (Atomics.load(gate, 0) === 0) Atomics.wait(gate, 0, 0);
  return x;
});

const square = inline((x: number) => x * x);

/** A gate in shared memory; disposing of it opens it, so a failed test blocks no worker. */
function gate(): Int32Array & Disposable {
  const cell = new Int32Array(new SharedArrayBuffer(8));
  return Object.assign(cell, { [Symbol.dispose]: () => openGate(cell) });
}

function openGate(cell: Int32Array): void {
  Atomics.store(cell, OPEN, 1);
  Atomics.notify(cell, OPEN);
}

/** `promise`, marked handled: the test awaits it, but a failed test must not leave it unhandled. */
function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {});
  return promise;
}

/** One tick of the event loop: the pool has sent what it could. */
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

/**
 * Makes calls of `held` until the pool's queue is full (its workers took what they may,
 * and `maxQueue` chunks wait), and gives those calls: anything called next must wait.
 */
async function fillQueue(
  pool: Pool,
  cell: Int32Array,
  maxQueue: number,
): Promise<Promise<number>[]> {
  const calls: Promise<number>[] = [];
  for (let i = 0; pool.stats.queued < maxQueue; i++) {
    if (i > 100) throw new Error(`the queue never filled: ${JSON.stringify(pool.stats)}`);
    calls.push(handled(pool.apply(held, [cell, i])));
    await tick();
  }
  assert.equal(pool.stats.waiting, 0);
  return calls;
}

Deno.test("Pool.open() refuses a maxQueue that is not a positive integer", async () => {
  for (const maxQueue of [0, -1, 1.5, "8", Infinity]) {
    await assert.rejects(
      Pool.open({ processes: 1, maxQueue: maxQueue as number }),
      (error: Error) =>
        error instanceof RangeError &&
        /^Cannot open pool as 'maxQueue' must be a positive integer: current value is /.test(
          error.message,
        ),
    );
  }
});

Deno.test("apply waits for room while the queue is full; a signal gives up waiting with nothing sent", async () => {
  await using pool = await Pool.open({ processes: 1, maxQueue: 2 });
  using cell = gate();
  const before = await fillQueue(pool, cell, 2);
  let settled = false;
  const waiting = handled(pool.apply(held, [cell, 100]).then((x) => (settled = true, x)));
  const controller = new AbortController();
  const givenUp = handled(pool.apply(held, [cell, 200], { signal: controller.signal }));
  await tick();
  assert.deepEqual([pool.stats.queued, pool.stats.waiting], [2, 2]);
  controller.abort(new Error("no longer needed"));
  await assert.rejects(givenUp, { message: "no longer needed" });
  assert.equal(pool.stats.waiting, 1);
  assert.equal(settled, false);
  openGate(cell);
  await Promise.all(before);
  assert.equal(await waiting, 100);
  assert.equal(Atomics.load(cell, RAN), before.length + 1, "the call given up never ran");
});

Deno.test("submit and applyAsync hold their task back while the queue is full; room() waits for room; cancel() sends nothing", async () => {
  await using pool = await Pool.open({ processes: 1, maxQueue: 1 });
  using cell = gate();
  const before = await fillQueue(pool, cell, 1);
  const handle = pool.submit(held, cell, 7);
  const cancelled = pool.applyAsync(held, [cell, 8]);
  await tick();
  assert.equal(handle.running(), false);
  assert.equal(pool.stats.waiting, 2);
  let roomCame = false;
  const room = pool.room().then(() => (roomCame = true));
  assert.equal(cancelled.cancel(), true);
  await assert.rejects(cancelled.get(), TaskCancelled);
  assert.equal(pool.stats.waiting, 1);
  await tick();
  assert.equal(roomCame, false, "room() waits behind the task held back");
  openGate(cell);
  await room;
  await Promise.all(before);
  assert.equal(await handle, 7);
  assert.equal(Atomics.load(cell, RAN), before.length + 1, "the cancelled task never ran");
  // With room, room() answers at once; a signal stops a wait.
  await pool.room();
  await assert.rejects(pool.room({ signal: AbortSignal.abort(new Error("stop")) }), {
    message: "stop",
  });
});

Deno.test("map cuts its chunks only as room comes: the queue never holds more than maxQueue", async () => {
  await using pool = await Pool.open({ processes: 1, maxQueue: 3 });
  using cell = gate();
  const before = await fillQueue(pool, cell, 3);
  const items = Array.from({ length: 200 }, (_, i) => [cell, i] as [Int32Array, number]);
  const mapped = handled(pool.starmap(held, items, { chunksize: 1 }));
  await tick();
  assert.deepEqual([pool.stats.queued, pool.stats.waiting], [3, 1], "the map waits as one call");
  openGate(cell);
  let done = false;
  const readings: PoolStats[] = [];
  mapped.then(() => (done = true), () => (done = true));
  while (!done) {
    readings.push(pool.stats);
    await tick();
  }
  assert.deepEqual(await mapped, items.map(([, i]) => i));
  await Promise.all(before);
  const most = Math.max(...readings.map((stats) => stats.queued));
  assert.ok(most <= 3, `queued ${most}`);
});

Deno.test("imap pulls no input while the queue is full, then goes on", async () => {
  await using pool = await Pool.open({ processes: 1, maxQueue: 2 });
  using cell = gate();
  const before = await fillQueue(pool, cell, 2);
  let pulled = 0;
  function* input() {
    for (let i = 0; i < 50; i++) {
      pulled++;
      yield i;
    }
  }
  const iterator = pool.imap(square, input());
  const first = handled(iterator.next());
  await tick();
  assert.equal(pulled, 0);
  openGate(cell);
  const out = [(await first).value];
  for await (const y of iterator) out.push(y);
  assert.deepEqual(out, Array.from({ length: 50 }, (_, i) => i * i));
  await Promise.all(before);
});

Deno.test("terminate fails the calls waiting for room with PoolClosed, and room() rejects", async () => {
  const cell = gate();
  const pool = await Pool.open({ processes: 1, maxQueue: 1 });
  try {
    const before = await fillQueue(pool, cell, 1);
    const waiting = pool.apply(held, [cell, 1]);
    const mapped = pool.mapSettled(square, [1, 2, 3], { chunksize: 1 });
    const room = pool.room();
    await tick();
    assert.equal(pool.stats.waiting, 2);
    openGate(cell); // the held worker returns, so terminate leaves no thread busy
    const terminated = pool.terminate();
    await assert.rejects(waiting, PoolClosed);
    const outcomes = await mapped;
    assert.deepEqual(outcomes.map((o) => o.status), ["rejected", "rejected", "rejected"]);
    await assert.rejects(room, PoolClosed);
    await assert.rejects(pool.room(), PoolClosed);
    await Promise.allSettled(before);
    await terminated;
  } finally {
    openGate(cell);
    await pool.terminate();
  }
});

Deno.test("close lets a map still waiting for room finish, and join waits for it", async () => {
  const cell = gate();
  const pool = await Pool.open({ processes: 1, maxQueue: 1 });
  try {
    const before = await fillQueue(pool, cell, 1);
    const mapped = handled(pool.map(square, [1, 2, 3, 4, 5, 6], { chunksize: 1 }));
    await tick();
    pool.close();
    openGate(cell);
    const joined = pool.join();
    assert.deepEqual(await mapped, [1, 4, 9, 16, 25, 36]);
    await Promise.all(before);
    await joined;
  } finally {
    openGate(cell);
    await pool.terminate();
  }
});

Deno.test("Effect face: apply suspends while the queue is full, interrupting it sends nothing, and pool.room waits for room", async () => {
  const cell = gate();
  await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const pool = yield* EffectPool.make({ processes: 1, maxQueue: 1 });
    const before = [];
    while ((yield* pool.stats).queued < 1) {
      before.push(yield* Effect.forkChild(pool.apply(held, [cell, before.length])));
      yield* Effect.promise(tick);
    }
    const fiber = yield* Effect.forkChild(pool.apply(held, [cell, 99]));
    yield* Effect.promise(tick);
    assert.equal((yield* pool.stats).waiting, 1);
    yield* Fiber.interrupt(fiber);
    assert.ok(Exit.hasInterrupts(yield* Fiber.await(fiber)));
    assert.equal((yield* pool.stats).waiting, 0);
    // `pool.room` paces handles on the Effect face: it resumes once there is room.
    let roomCame = false;
    const room = yield* Effect.forkChild(
      pool.room.pipe(Effect.tap(() => Effect.sync(() => (roomCame = true)))),
    );
    yield* Effect.promise(tick);
    assert.equal(roomCame, false);
    openGate(cell);
    yield* Fiber.join(room);
    assert.equal(roomCame, true);
    for (const call of before) yield* Fiber.join(call);
    assert.equal(Atomics.load(cell, RAN), before.length, "the interrupted call never ran");
  }))).finally(() => openGate(cell));
});

Deno.test("1,000,000 submissions trickle through maxQueue: the queue and the calls held back stay bounded", async () => {
  const maxQueue = 64;
  const producers = 4;
  const burst = 16; // calls made together after each room(): they leave as one message
  const total = 1_000_000;
  await using pool = await Pool.open({ processes: 2, maxQueue });
  const heapAtStart = Deno.memoryUsage().heapUsed;
  let answered = 0;
  let sum = 0;
  let mostQueued = 0;
  let mostWaiting = 0;
  let mostHeap = 0;
  const count = (y: number): void => {
    answered++;
    sum += y;
  };
  const double = inline((x: number) => 2 * x);
  await Promise.all(Array.from({ length: producers }, async (_, p) => {
    for (let i = p * burst; i < total; i += producers * burst) {
      await pool.room();
      const { queued, waiting } = pool.stats;
      mostQueued = Math.max(mostQueued, queued);
      mostWaiting = Math.max(mostWaiting, waiting);
      for (let k = i; k < i + burst; k++) pool.applyAsync(double, [k], { callback: count });
      if (i % 65_536 === p * burst) {
        mostHeap = Math.max(mostHeap, Deno.memoryUsage().heapUsed - heapAtStart);
      }
    }
  }));
  pool.close();
  await pool.join();
  assert.equal(answered, total);
  assert.equal(sum, total * (total - 1));
  assert.ok(mostQueued <= maxQueue, `queued ${mostQueued}`);
  assert.ok(mostWaiting <= producers * burst, `waiting ${mostWaiting}`);
  // Unbounded, the million calls held at once take about 870 MiB; bounded, about 30.
  assert.ok(mostHeap < 256 * 2 ** 20, `heap grew by ${(mostHeap / 2 ** 20).toFixed(0)} MiB`);
});
