import assert from "node:assert/strict";
import { Effect, Exit, Fiber } from "effect";
import { IpcEffect, Process } from "../lib/effect.ts";
import { liveWorkers } from "../lib/backend/web_worker.ts";
import { Barrier } from "../lib/comms/barrier.ts";
import { Event } from "../lib/comms/event.ts";
import { Lock } from "../lib/comms/lock.ts";
import { type Connection, Pipe } from "../lib/comms/pipe.ts";
import { JoinableQueue, Queue } from "../lib/comms/queue.ts";
import { Semaphore } from "../lib/comms/semaphore.ts";
import { SimpleQueue } from "../lib/comms/simple_queue.ts";
import { Value } from "../lib/comms/value.ts";
import { increment, produce } from "./fixtures/ipc_tasks.ts";

Deno.test("IpcEffect.get(): interrupting a blocked get takes nothing, from either queue", async () => {
  for (const q of [new Queue<number>(), new SimpleQueue<number>()]) {
    await Effect.runPromise(Effect.gen(function* () {
      const fiber = yield* Effect.forkChild(IpcEffect.get(q));
      yield* Effect.yieldNow;
      const exit = yield* Fiber.interrupt(fiber).pipe(Effect.flatMap(() => Fiber.await(fiber)));
      assert.ok(Exit.isFailure(exit) && Exit.hasInterrupts(exit), `exit ${exit}`);
    }));
    await q.put(1);
    assert.equal(q.empty(), false);
    assert.equal(await Effect.runPromise(IpcEffect.get(q)), 1);
  }
});

Deno.test("IpcEffect.get() fails with Empty after its timeout; put() with Full", async () => {
  const q = new Queue<string>(1);
  const empty = await Effect.runPromise(
    IpcEffect.get(q, { timeout: 5 }).pipe(Effect.catchTag("Empty", (e) => Effect.succeed(e.name))),
  );
  assert.equal(empty, "Empty");
  await Effect.runPromise(IpcEffect.put(q, "a"));
  const full = await Effect.runPromise(
    IpcEffect.put(q, "b", { block: false }).pipe(
      Effect.catchTag("Full", (e) => Effect.succeed(e._tag)),
    ),
  );
  assert.equal(full, "Full");
});

Deno.test("IpcEffect.get() receives what a process puts", async () => {
  const q = new Queue<[string, number]>();
  const p = new Process({ target: produce, args: [q, "P", 3] });
  await p.start();
  const items = await Effect.runPromise(
    Effect.all([IpcEffect.get(q), IpcEffect.get(q), IpcEffect.get(q)]),
  );
  assert.deepEqual(items, [["P", 0], ["P", 1], ["P", 2]]);
  await p.join();
  assert.equal(liveWorkers(), 0);
});

Deno.test("IpcEffect.join() waits for taskDone()", async () => {
  const q = new JoinableQueue<number>();
  await q.put(1);
  assert.equal(await Effect.runPromise(IpcEffect.join(q, { timeout: 5 })), false);
  await q.get();
  q.taskDone();
  assert.equal(await Effect.runPromise(IpcEffect.join(q)), true);
});

Deno.test("IpcEffect.recv() fails with EOFError; send() with BrokenPipeError", async () => {
  const [a, b] = Pipe<number>();
  await Effect.runPromise(IpcEffect.send(b, 1));
  b.close();
  assert.equal(await Effect.runPromise(IpcEffect.poll(a, 0)), true);
  assert.equal(await Effect.runPromise(IpcEffect.recv(a)), 1);
  const tag = await Effect.runPromise(
    IpcEffect.recv(a).pipe(Effect.catchTag("EOFError", (e) => Effect.succeed(e._tag))),
  );
  assert.equal(tag, "EOFError");
  const broken = await Effect.runPromise(
    IpcEffect.send(a, 2).pipe(Effect.catchTag("BrokenPipeError", (e) => Effect.succeed(e._tag))),
  );
  assert.equal(broken, "BrokenPipeError");
  a.close();
});

Deno.test("IpcEffect.recv() is interruptible", async () => {
  const [a, b] = Pipe<number>();
  const got = await Effect.runPromise(Effect.timeoutOption(IpcEffect.recv(a), 5));
  assert.equal(got._tag, "None");
  await b.send(3);
  assert.equal(await a.recv(), 3);
  a.close();
  b.close();
});

Deno.test("IpcEffect.acquire(): an interrupted acquisition holds nothing", async () => {
  const lock = new Lock();
  lock.acquire();
  await Effect.runPromise(Effect.gen(function* () {
    const fiber = yield* Effect.forkChild(IpcEffect.acquire(lock));
    yield* Effect.yieldNow;
    yield* Fiber.interrupt(fiber);
  }));
  lock.release();
  assert.equal(lock.locked(), false);
  assert.equal(await Effect.runPromise(IpcEffect.acquire(lock, { timeout: 5 })), true);
  assert.equal(await Effect.runPromise(IpcEffect.acquire(lock, { timeout: 5 })), false);
  lock.release();
  const sem = new Semaphore(1);
  assert.equal(await Effect.runPromise(IpcEffect.acquire(sem)), true);
  assert.equal(sem.getValue(), 0);
});

Deno.test("IpcEffect.withLock() releases on failure and counts with processes", async () => {
  const counter = new Value("i32", 0);
  const lock = new Lock();
  const failed = await Effect.runPromiseExit(IpcEffect.withLock(lock, Effect.fail("boom")));
  assert.ok(Exit.isFailure(failed));
  assert.equal(lock.locked(), false);
  const p = new Process({ target: increment, args: [counter, lock, 2000] });
  await p.start();
  const bump = IpcEffect.withLock(lock, Effect.sync(() => counter.value += 1));
  await Effect.runPromise(Effect.repeat(bump, { times: 1999 }));
  await p.join();
  assert.equal(counter.value, 4000);
  assert.equal(liveWorkers(), 0);
});

Deno.test("IpcEffect.wait(): Event with timeout, Barrier broken as a typed failure", async () => {
  const event = new Event();
  assert.equal(await Effect.runPromise(IpcEffect.wait(event, { timeout: 5 })), false);
  event.set();
  assert.equal(await Effect.runPromise(IpcEffect.wait(event)), true);
  const barrier = new Barrier(2);
  const tag = await Effect.runPromise(
    IpcEffect.wait(barrier, { timeout: 5 }).pipe(
      Effect.catchTag("BrokenBarrierError", (e) => Effect.succeed(e._tag)),
    ),
  );
  assert.equal(tag, "BrokenBarrierError");
  assert.equal(barrier.broken, true);
});

Deno.test("IpcEffect.get() fails a SimpleQueue's get with Empty after its timeout", async () => {
  const q = new SimpleQueue<number>();
  const empty = await Effect.runPromise(
    IpcEffect.get(q, { timeout: 5 }).pipe(Effect.catchTag("Empty", (e) => Effect.succeed(e._tag))),
  );
  assert.equal(empty, "Empty");
});

Deno.test("IpcEffect.acquire() with blocking: false answers at once", async () => {
  const lock = new Lock();
  assert.equal(await Effect.runPromise(IpcEffect.acquire(lock, { blocking: false })), true);
  assert.equal(await Effect.runPromise(IpcEffect.acquire(lock, { blocking: false })), false);
  lock.release();
});

Deno.test("IpcEffect.wait() on a list of pipe ends and processes gives the ready ones", async () => {
  const [reader, writer] = Pipe<string>(false);
  const [idle, idleWriter] = Pipe<string>(false);
  assert.deepEqual(await Effect.runPromise(IpcEffect.wait([reader, idle], { timeout: 5 })), []);
  await writer.send("hello");
  assert.deepEqual(await Effect.runPromise(IpcEffect.wait([reader, idle])), [reader]);
  const p = new Process({ target: increment, args: [new Value("i32", 0), new Lock(), 1] });
  await p.start();
  await p.join();
  assert.deepEqual(await Effect.runPromise(IpcEffect.wait([idle, p])), [p]);
  for (const end of [reader, writer, idle, idleWriter]) end.close();
});

Deno.test("IpcEffect.wait() on a list, interrupted, stops polling the pipe ends", async () => {
  // A stand-in pipe end that is never ready and says when its waiting poll is stopped.
  const stopped = Promise.withResolvers<void>();
  const neverReady = {
    readable: true,
    poll: (timeout: number, options: { signal?: AbortSignal } = {}) => {
      if (timeout === 0) return Promise.resolve(false);
      return new Promise<boolean>((_, reject) => {
        options.signal?.addEventListener("abort", () => {
          stopped.resolve();
          reject(options.signal!.reason);
        });
      });
    },
  } as unknown as Connection<string>;
  const none = await Effect.runPromise(Effect.timeoutOption(IpcEffect.wait([neverReady]), 5));
  assert.equal(none._tag, "None");
  await stopped.promise; // hangs, failing the test, if the interrupted wait polls on
});
