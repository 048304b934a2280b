import assert from "node:assert/strict";
import { Pool, Process, TaskError } from "../mod.ts";
import { assertNoLiveWorkers } from "../lib/testing.ts";
import { Barrier } from "../lib/comms/barrier.ts";
import { Condition } from "../lib/comms/condition.ts";
import {
  BrokenBarrierError,
  BrokenPipeError,
  Empty,
  EOFError,
  Full,
  HandleClosed,
} from "../lib/comms/errors.ts";
import { Event } from "../lib/comms/event.ts";
import { Lock, RLock } from "../lib/comms/lock.ts";
import { Pipe } from "../lib/comms/pipe.ts";
import { JoinableQueue, Queue } from "../lib/comms/queue.ts";
import { BoundedSemaphore, Semaphore } from "../lib/comms/semaphore.ts";
import { SharedArray } from "../lib/comms/shared_array.ts";
import { Value } from "../lib/comms/value.ts";
import { deserialize, serialize } from "../lib/comms/_codec.ts";
import {
  awaitFlag,
  barrierWait,
  consume,
  doubler,
  fillSquares,
  holdSemaphore,
  increment,
  incrementKept,
  incrementOwnLock,
  joinableWorker,
  keepCounter,
  produce,
  putLarge,
  relay,
  releaseForeign,
  sendAll,
  setAt,
  tryLock,
  waitForEvent,
} from "./fixtures/ipc_tasks.ts";

async function run<T>(p: Process<(...args: never[]) => T>): Promise<Awaited<T>> {
  await p.start();
  return await p.join() as Awaited<T>;
}

// ---- Queue ----

Deno.test("Queue keeps FIFO order and counts with qsize()/empty()", async () => {
  const q = new Queue<number>();
  assert.equal(q.empty(), true);
  for (let i = 0; i < 100; i++) await q.put(i);
  assert.equal(q.qsize(), 100);
  assert.equal(q.full(), false);
  const out: number[] = [];
  for (let i = 0; i < 100; i++) out.push(await q.get());
  assert.deepEqual(out, Array.from({ length: 100 }, (_, i) => i));
  assert.equal(q.empty(), true);
});

Deno.test("Queue.get() rejects with Empty after its timeout, getNowait() at once", async () => {
  const q = new Queue<number>();
  await assert.rejects(q.get({ timeout: 10 }), Empty);
  await assert.rejects(q.getNowait(), Empty);
  await assert.rejects(q.get({ block: false }), Empty);
  await q.putNowait(5);
  assert.equal(await q.getNowait(), 5);
});

Deno.test("Queue with maxsize is full(), and put() rejects with Full after its timeout", async () => {
  const q = new Queue<string>(2);
  assert.equal(q.maxsize, 2);
  await q.put("a");
  await q.put("b");
  assert.equal(q.full(), true);
  await assert.rejects(q.put("c", { timeout: 10 }), Full);
  await assert.rejects(q.putNowait("c"), Full);
  const waiting = q.put("c"); // waits for room
  assert.equal(await q.get(), "a");
  await waiting;
  assert.deepEqual([await q.get(), await q.get()], ["b", "c"]);
  assert.equal(q.qsize(), 0);
});

Deno.test("Queue rejects bad options and use after close()", async () => {
  assert.throws(
    () => new Queue(-1),
    /'maxsize' must be a non-negative integer: current value is -1/,
  );
  const q = new Queue<number>();
  await assert.rejects(q.get({ timeout: -5 }), /'timeout' must be a non-negative number/);
  await assert.rejects(q.put((() => 1) as unknown as number), TypeError);
  q.close();
  await assert.rejects(q.put(1), HandleClosed);
  await assert.rejects(q.get(), HandleClosed);
});

Deno.test("Queue.get() rejects with the abort reason and takes nothing", async () => {
  const q = new Queue<number>();
  const controller = new AbortController();
  const pending = q.get({ signal: controller.signal });
  controller.abort(new Error("stop"));
  await assert.rejects(pending, /stop/);
  await q.put(1);
  assert.equal(await q.get(), 1);
});

Deno.test("Queue carries structured-clone values", async () => {
  const q = new Queue<unknown>();
  const cyclic: Record<string, unknown> = { name: "loop" };
  cyclic.self = cyclic;
  const value = {
    n: [0, -0, 1.5, -7, 2 ** 40, NaN, Infinity],
    big: -(2n ** 70n),
    s: "héllo ✓",
    u: undefined,
    nil: null,
    date: new Date(0),
    re: /a+b/gi,
    map: new Map<unknown, unknown>([["k", 1], [2, [3]]]),
    set: new Set(["x", "y"]),
    bytes: new Uint8Array([1, 2, 3]),
    f64: new Float64Array([0.5]),
    buffer: new Uint16Array([9]).buffer,
    error: new RangeError("bad", { cause: "why" }),
    cyclic,
  };
  await q.put(value);
  const back = await q.get() as typeof value;
  assert.deepEqual(back.n, value.n);
  assert.ok(Object.is(back.n[1], -0));
  assert.equal(back.big, value.big);
  assert.equal(back.s, value.s);
  assert.ok("u" in back && back.u === undefined);
  assert.equal(back.nil, null);
  assert.deepEqual(back.date, value.date);
  assert.deepEqual(back.re, value.re);
  assert.deepEqual(back.map, value.map);
  assert.deepEqual(back.set, value.set);
  assert.deepEqual(back.bytes, value.bytes);
  assert.deepEqual(back.f64, value.f64);
  assert.deepEqual(new Uint16Array(back.buffer), new Uint16Array([9]));
  assert.ok(back.error instanceof RangeError);
  assert.equal(back.error.message, "bad");
  assert.equal(back.error.cause, "why");
  assert.equal((back.cyclic as Record<string, unknown>).self, back.cyclic);
  assert.throws(() => serialize(Symbol("x")), TypeError);
  assert.throws(() => serialize(new Lock()), /task argument/);
  assert.deepEqual(deserialize(serialize([1, "two"])), [1, "two"]);
});

Deno.test("Queue between two producer processes and the main program keeps each producer's order", async () => {
  const q = new Queue<[string, number]>();
  const n = 200;
  const producers = ["A", "B"].map((name) => new Process({ target: produce, args: [q, name, n] }));
  for (const p of producers) await p.start();
  const seen: Record<string, number[]> = { A: [], B: [] };
  for (let i = 0; i < 2 * n; i++) {
    const [who, k] = await q.get({ timeout: 20_000 });
    seen[who]!.push(k);
  }
  for (const p of producers) assert.equal(await p.join(), n);
  const expected = Array.from({ length: n }, (_, i) => i);
  assert.deepEqual(seen.A, expected);
  assert.deepEqual(seen.B, expected);
  assert.equal(q.qsize(), 0);
  await assertNoLiveWorkers();
});

Deno.test("the same Queue works in several pool workers at once (producers and consumers)", async () => {
  const q = new Queue<[string, number]>();
  await using pool = await Pool.open({ processes: 3 });
  const producing = pool.starmap(produce, [[q, "p1", 50], [q, "p2", 50], [q, "p3", 50]]);
  const consumed = await pool.starmap(consume, [[q, 75], [q, 75]]) as [string, number][][];
  assert.deepEqual(await producing, [50, 50, 50]);
  const all = consumed.flat();
  assert.equal(all.length, 150);
  for (const batch of consumed) {
    for (const producer of ["p1", "p2", "p3"]) {
      const ks = batch.filter(([who]) => who === producer).map(([, k]) => k);
      assert.deepEqual(ks, [...ks].sort((a, b) => a - b), `order of ${producer}`);
    }
  }
  assert.equal(new Set(all.map(([who, k]) => `${who}${k}`)).size, 150);
  await pool.terminate();
  await assertNoLiveWorkers();
});

Deno.test("a full Queue blocks a producer process until the main program takes items", async () => {
  const q = new Queue<[string, number]>({ maxsize: 3 });
  const p = new Process({ target: produce, args: [q, "P", 40] });
  await p.start();
  const got: number[] = [];
  for (let i = 0; i < 40; i++) {
    assert.ok(q.qsize() <= 3, `qsize ${q.qsize()} passed maxsize`);
    got.push((await q.get({ timeout: 20_000 }))[1]);
  }
  assert.equal(await p.join(), 40);
  assert.deepEqual(got, Array.from({ length: 40 }, (_, i) => i));
  await assertNoLiveWorkers();
});

Deno.test("Queue items cross processes both ways and a large item grows the buffer", async () => {
  const there = new Queue<unknown>();
  const back = new Queue<unknown>();
  const p = new Process({ target: relay, args: [there, back, 2] });
  await p.start();
  await there.put({ m: new Map([[1, new Set([2n])]]) });
  await there.put(new Date(5));
  assert.deepEqual(await back.get({ timeout: 20_000 }), { m: new Map([[1, new Set([2n])]]) });
  assert.deepEqual(await back.get({ timeout: 20_000 }), new Date(5));
  await p.join();

  const big = new Queue<Uint8Array>({ maxBytes: 8 * 1024 * 1024 });
  const size = 3 * 1024 * 1024 + 7;
  await run(new Process({ target: putLarge, args: [big, size] }));
  const bytes = await big.get();
  assert.equal(bytes.length, size);
  assert.equal(bytes[size - 1], (size - 1) % 251);
  await assert.rejects(big.put(new Uint8Array(9 * 1024 * 1024)), /'maxBytes'/);
  await assertNoLiveWorkers();
});

Deno.test("JoinableQueue: join() waits for taskDone() of every item", async () => {
  const q = new JoinableQueue<number | null>();
  for (let i = 1; i <= 10; i++) await q.put(i);
  await q.put(null);
  assert.equal(q.unfinished(), 11);
  assert.equal(await q.join({ timeout: 5 }), false);
  const p = new Process({ target: joinableWorker, args: [q] });
  await p.start();
  assert.equal(await q.join({ timeout: 20_000 }), true);
  assert.equal(q.unfinished(), 0);
  assert.equal(await p.join(), 55);
  assert.throws(() => q.taskDone(), /more times than items were put/);
  await assertNoLiveWorkers();
});

// ---- Pipe ----

Deno.test("Pipe is duplex: a process answers each message", async () => {
  const [mine, theirs] = Pipe<number>();
  const p = new Process({ target: doubler, args: [theirs] });
  await p.start();
  theirs.close(); // as in Python: close this program's copy of the child's end
  for (const x of [1, 2, 3]) {
    await mine.send(x);
    assert.equal(await mine.recv(), x * 2);
  }
  mine.close(); // the child reads EOF and ends
  assert.equal(await p.join(), 3);
  await assertNoLiveWorkers();
});

Deno.test("Pipe(false) is one-way: [reader, writer]", async () => {
  const [reader, writer] = Pipe<string>(false);
  assert.equal(reader.readable && !reader.writable, true);
  assert.equal(writer.writable && !writer.readable, true);
  await assert.rejects(reader.send("x"), /read-only/);
  await assert.rejects(writer.recv(), /write-only/);
  const p = new Process({ target: sendAll, args: [writer, ["a", "b"]] });
  await p.start();
  writer.close();
  assert.equal(await reader.recv(), "a");
  assert.equal(await reader.recv(), "b");
  await assert.rejects(reader.recv(), EOFError);
  await p.join();
  await assertNoLiveWorkers();
});

Deno.test("Pipe: recv() after the other end closed drains, then rejects with EOFError", async () => {
  const [a, b] = Pipe<number>();
  await b.send(1);
  b.close();
  assert.equal(await a.poll(), true);
  assert.equal(await a.recv(), 1);
  assert.equal(await a.poll(), true); // recv would not wait: it fails at once
  await assert.rejects(a.recv(), EOFError);
  await assert.rejects(a.send(2), BrokenPipeError);
  await assert.rejects(b.send(2), HandleClosed);
  a.close();
});

Deno.test("Pipe: a pending recv() wakes with EOFError when the other end closes", async () => {
  const [a, b] = Pipe<number>();
  const pending = a.recv();
  b.close();
  await assert.rejects(pending, EOFError);
  a.close();
});

Deno.test("Pipe.poll() waits up to its timeout", async () => {
  const [a, b] = Pipe<string>();
  assert.equal(await a.poll(), false);
  assert.equal(await a.poll(5), false);
  const later = a.poll(20_000);
  await b.send("x");
  assert.equal(await later, true);
  assert.equal(await a.recv(), "x");
  a.close();
  b.close();
});

// ---- Value and Array ----

Deno.test("Value and Array are shared with a process", async () => {
  const arr = new SharedArray("d", 10);
  const length = new Value("i", 0);
  await run(new Process({ target: fillSquares, args: [arr, length] }));
  assert.equal(length.value, 10);
  assert.deepEqual(arr.toArray(), [0, 1, 4, 9, 16, 25, 36, 49, 64, 81]);
  const ints = new SharedArray("i32", [0, 0, 0]);
  await using pool = await Pool.open({ processes: 2 });
  await pool.starmap(setAt, [[ints, 0, 7], [ints, 1, 8], [ints, -1, 9]]);
  assert.deepEqual([...ints], [7, 8, 9]);
  await pool.terminate();
  await assertNoLiveWorkers();
});

Deno.test("Value and Array check their options", () => {
  assert.throws(() => new Value("x" as "i", 0), /'type' must be one of/);
  assert.throws(() => new SharedArray("i32", -1), /'sizeOrValues'/);
  assert.throws(() => new Value("i32", 0, { lock: false }).getLock(), TypeError);
  assert.throws(() => new SharedArray("u8", 2).set(2, 1), /'index'/);
  const lock = new Lock();
  assert.equal(new Value("f32", 0.5, { lock }).getLock(), lock);
  assert.ok(new SharedArray("i16", 1).getLock() instanceof RLock);
  assert.equal(new SharedArray("u8", [1, 2]).get(-1), 2);
});

Deno.test("4 processes x 10,000 increments under a Lock end at exactly 40,000", async () => {
  const counter = new Value("i32", 0);
  const lock = new Lock();
  const ps = [1, 2, 3, 4].map(() =>
    new Process({ target: increment, args: [counter, lock, 10_000] })
  );
  for (const p of ps) await p.start();
  for (const p of ps) assert.equal(await p.join(), 10_000);
  assert.equal(counter.value, 40_000);
  assert.equal(lock.locked(), false);
  await assertNoLiveWorkers();
});

Deno.test("pool workers increment a Value under its own lock (an RLock)", async () => {
  const counter = new Value("i32", 0);
  await using pool = await Pool.open({ processes: 2 });
  await pool.starmap(incrementOwnLock, [[counter, 5000], [counter, 5000]]);
  assert.equal(counter.value, 10_000);
  await pool.terminate();
  await assertNoLiveWorkers();
});

// ---- Locks ----

Deno.test("Lock: blocking, non-blocking, timeouts, and release() of a free lock", async () => {
  const lock = new Lock();
  assert.equal(lock.acquire(), true);
  assert.equal(lock.acquire({ blocking: false }), false);
  assert.equal(lock.acquire({ timeout: 5 }), false);
  assert.equal(await lock.acquireAsync({ timeout: 5 }), false);
  assert.equal(await run(new Process({ target: tryLock, args: [lock, 10] })), false);
  lock.release();
  assert.throws(() => lock.release(), /unlocked Lock/);
  assert.equal(await run(new Process({ target: tryLock, args: [lock, 10_000] })), true);
  assert.throws(() => lock.acquire({ timeout: -1 }), RangeError);
  await assertNoLiveWorkers();
});

Deno.test("Lock.acquireAsync() waits for a release and an aborted one holds nothing", async () => {
  const lock = new Lock();
  lock.acquire();
  const waiting = lock.acquireAsync();
  const controller = new AbortController();
  const aborted = lock.acquireAsync({ signal: controller.signal });
  controller.abort(new Error("gave up"));
  await assert.rejects(aborted, /gave up/);
  lock.release();
  assert.equal(await waiting, true);
  lock.release();
  assert.equal(lock.locked(), false);
});

Deno.test("RLock is re-entrant for its owner and refuses a release from another process", async () => {
  const lock = new RLock();
  lock.acquire();
  assert.equal(lock.acquire({ blocking: false }), true);
  const error = await run(new Process({ target: releaseForeign, args: [lock] })).then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(error instanceof TaskError, `expected TaskError, got ${error}`);
  assert.match(error.message, /does not hold/);
  lock.release();
  assert.equal(lock.locked(), true);
  lock.release();
  assert.equal(lock.locked(), false);
  assert.throws(() => lock.release(), /does not hold/);
  await assertNoLiveWorkers();
});

Deno.test("Semaphore(2) never lets more than 2 of 4 processes in at once", async () => {
  const sem = new Semaphore(2);
  const stats = new SharedArray("i32", 2);
  const gate = new Barrier(4);
  const ps = [1, 2, 3, 4].map(() =>
    new Process({ target: holdSemaphore, args: [sem, stats, gate, 10] })
  );
  for (const p of ps) await p.start();
  for (const p of ps) await p.join();
  assert.equal(stats.get(0), 0);
  assert.ok(stats.get(1) >= 1 && stats.get(1) <= 2, `max holders ${stats.get(1)}`);
  assert.equal(sem.getValue(), 2);
  await assertNoLiveWorkers();
});

Deno.test("Semaphore and BoundedSemaphore bounds", async () => {
  const sem = new Semaphore(0);
  assert.equal(sem.acquire({ timeout: 5 }), false);
  assert.equal(await sem.acquireAsync({ timeout: 5 }), false);
  sem.release(3);
  assert.equal(sem.getValue(), 3); // an unbounded semaphore may grow
  const bounded = new BoundedSemaphore(2);
  assert.equal(bounded.acquire(), true);
  bounded.release();
  assert.throws(() => bounded.release(), /past its initial value 2/);
  assert.throws(() => new Semaphore(-1), /'value'/);
});

// ---- Event, Condition, Barrier ----

Deno.test("Event: wait/set/clear with timeout, across a process", async () => {
  const event = new Event();
  assert.equal(event.isSet(), false);
  assert.equal(event.wait(5), false);
  assert.equal(await event.waitAsync({ timeout: 5 }), false);
  const started = new Event();
  const p = new Process({ target: waitForEvent, args: [started, event, 20_000] });
  await p.start();
  assert.equal(await started.waitAsync({ timeout: 20_000 }), true);
  event.set();
  assert.equal(await p.join(), true);
  event.clear();
  assert.equal(event.isSet(), false);
  assert.equal(await run(new Process({ target: waitForEvent, args: [started, event, 5] })), false);
  await assertNoLiveWorkers();
});

Deno.test("Condition: a process waits for a predicate the main program makes true", async () => {
  const cond = new Condition(new Lock());
  const flag = new Value("i32", 0);
  const started = new Event();
  const p = new Process({ target: awaitFlag, args: [cond, flag, started] });
  await p.start();
  assert.equal(await started.waitAsync({ timeout: 20_000 }), true);
  assert.equal(await cond.acquireAsync(), true); // the child is waiting: it freed the lock
  flag.value = 1;
  cond.notifyAll();
  cond.release();
  assert.equal(await p.join(), 1);
  assert.throws(() => cond.notify(), /without holding its lock/);
  await assertNoLiveWorkers();
});

Deno.test("Condition.waitAsync() frees the lock while it waits and takes it back", async () => {
  const cond = new Condition();
  await cond.acquireAsync();
  const waiting = cond.waitAsync({ timeout: 20_000 });
  // Same process: the RLock is re-entrant, so check through the lock's state instead.
  assert.equal(cond.lock.locked(), false);
  cond.acquire();
  cond.notify();
  cond.release();
  assert.equal(await waiting, true);
  assert.equal(cond.lock.locked(), true);
  cond.release();
});

Deno.test("Barrier: four parties pass together with distinct indices", async () => {
  const barrier = new Barrier(4);
  const ps = [1, 2, 3].map(() => new Process({ target: barrierWait, args: [barrier, 20_000] }));
  for (const p of ps) await p.start();
  const mine = await barrier.waitAsync({ timeout: 20_000 });
  const theirs = await Promise.all(ps.map((p) => p.join()));
  assert.deepEqual([mine, ...theirs].sort(), [0, 1, 2, 3]);
  assert.equal(barrier.nWaiting, 0);
  assert.equal(barrier.broken, false);
  await assertNoLiveWorkers();
});

Deno.test("Barrier: a timeout breaks it for every party until reset()", async () => {
  const barrier = new Barrier(3);
  const p = new Process({ target: barrierWait, args: [barrier, 20_000] });
  await p.start();
  assert.throws(() => barrier.wait(20), BrokenBarrierError);
  assert.equal(barrier.broken, true);
  const error = await p.join().then(() => null, (e: unknown) => e);
  assert.ok(error instanceof TaskError && error.remoteName === "BrokenBarrierError", `${error}`);
  assert.throws(() => barrier.wait(), BrokenBarrierError);
  barrier.reset();
  assert.equal(barrier.broken, false);
  const one = new Barrier(1, { timeout: 5 });
  assert.equal(one.wait(), 0);
  assert.throws(() => new Barrier(0), /'parties'/);
  await assertNoLiveWorkers();
});

Deno.test("communication objects in initargs reach every worker's initializer", async () => {
  const counter = new Value("i32", 0);
  const lock = new Lock();
  {
    await using pool = await Pool.open({
      processes: 2,
      initializer: keepCounter,
      initargs: [counter, lock],
    });
    const done = await pool.map(incrementKept, [500, 500, 500, 500], { chunksize: 1 });
    assert.deepEqual(done, [500, 500, 500, 500]);
  }
  assert.equal(counter.value, 2000);
  await assertNoLiveWorkers();
});

Deno.test("initargs holding a communication object are refused by the subprocess backend", async () => {
  await assert.rejects(
    Pool.open({ backend: "subprocess", initializer: keepCounter, initargs: [new Lock()] }),
    (error: unknown) =>
      error instanceof TypeError &&
      /'initargs' holds a Lock, which shares memory .* use the "worker" backend/.test(
        error.message,
      ),
  );
});
