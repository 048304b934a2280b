/**
 * `SimpleQueue`, modelled on CPython's _test_multiprocessing.py `_TestSimpleQueue`
 * (`test_empty`, `test_close`), plus crossing into pool workers and the subprocess
 * backend's refusal.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Empty, Event, HandleClosed, Pool, Process, SimpleQueue } from "../mod.ts";
import { putEmptiness, putNumbers, sumUntilNull } from "./fixtures/context_tasks.ts";

Deno.test("SimpleQueue.empty() is seen alike by the parent and a child (CPython test_empty)", async () => {
  const queue = new SimpleQueue<boolean>();
  const childCanStart = new Event();
  const parentCanContinue = new Event();
  const p = new Process({ target: putEmptiness, args: [queue, childCanStart, parentCanContinue] });
  await p.start();
  assert.equal(queue.empty(), true);
  childCanStart.set();
  assert.equal(await parentCanContinue.waitAsync({ timeout: 20_000 }), true);
  assert.equal(queue.empty(), false);
  assert.equal(await queue.get(), true);
  assert.equal(await queue.get(), false);
  assert.equal(queue.empty(), true);
  await p.join();
});

Deno.test("SimpleQueue carries items in order between pool workers", async () => {
  await using pool = await Pool.open({ processes: 2 });
  const queue = new SimpleQueue<number | null>();
  const [sum] = await Promise.all([
    pool.apply(sumUntilNull, [queue]),
    pool.apply(putNumbers, [queue, 100]),
  ]);
  assert.equal(sum, 4950);
  assert.equal(queue.empty(), true);
});

Deno.test("SimpleQueue.close() may be called twice; later calls fail with HandleClosed", async () => {
  const queue = new SimpleQueue<number>();
  queue.put(1);
  queue.close();
  queue.close();
  assert.throws(() => queue.put(2), HandleClosed);
  assert.throws(() => queue.empty(), HandleClosed);
  await assert.rejects(queue.get(), HandleClosed);
});

Deno.test("SimpleQueue.get({ timeout }) fails with Empty; bad items are refused", async () => {
  const queue = new SimpleQueue<unknown>();
  await assert.rejects(queue.get({ timeout: 1 }), Empty);
  assert.throws(() => queue.put(() => 1), TypeError);
  assert.equal(queue.empty(), true);
});

Deno.test("SimpleQueue cannot be passed to a subprocess: the error names the backend", async () => {
  const queue = new SimpleQueue<number | null>();
  const p = new Process({ target: putNumbers, args: [queue, 1], backend: "subprocess" });
  await assert.rejects(
    async () => await p.start(),
    (error: Error) => /"subprocess"/.test(error.message) && /"worker" backend/.test(error.message),
  );
});
