/**
 * `Manager`, modelled on CPython's _test_multiprocessing.py `_TestContainers`
 * (`test_list`, `test_dict`, `test_namespace`) and its manager tests: proxies mutated
 * from four processes under a lock end in an exact state, every change is seen by all,
 * and errors raised in the manager arrive in the caller.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Effect } from "effect";
import { Lock, Manager, ManagerClosed, Pool, Process, Queue, TaskError } from "../lib/effect.ts";
import { bump, readAt, setAndRead } from "./fixtures/manager_tasks.ts";

Deno.test("Manager proxies mutated from four processes under a lock end in an exact state", async () => {
  await using manager = await Manager.start();
  const d = manager.dict<string, number>();
  const l = manager.list<string>();
  const ns = manager.Namespace({ count: 0 });
  const v = manager.Value("i", 0);
  const lock = manager.Lock();
  assert.ok(lock instanceof Lock);
  const n = 200;
  const tags = ["a", "b", "c", "d"];
  const processes = tags.map((tag) =>
    new Process({ target: bump, args: [d, l, ns, v, lock, n, tag] })
  );
  for (const p of processes) await p.start();
  const names = await Promise.all(processes.map((p) => p.join()));
  assert.equal(new Set(names).size, 4);
  assert.equal(d.get("count"), 4 * n);
  for (const tag of tags) {
    assert.equal(d.get(tag), n);
    assert.equal(l.count(tag), n);
  }
  assert.equal(l.length, 4 * n);
  assert.equal(ns.count, 4 * n);
  assert.equal(v.value, 4 * n);
});

Deno.test("Manager proxies work in pool tasks too, each change seen by the others", async () => {
  await using manager = await Manager.start();
  await using pool = await Pool.open({ processes: 2 });
  const d = manager.dict<string, unknown>({ seen: "from main" });
  const ns = manager.Namespace<Record<string, unknown>>();
  const read = await pool.apply(setAndRead, [ns, "fromWorker", [1, 2], d, "seen"]);
  assert.equal(read, "from main");
  assert.deepEqual(ns.fromWorker, [1, 2]);
});

Deno.test("manager.list() behaves as Python's list (CPython test_list)", async () => {
  await using manager = await Manager.start();
  const a = manager.list(Array.from({ length: 10 }, (_, i) => i));
  assert.deepEqual(a.toArray(), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const b = manager.list<number>();
  assert.deepEqual(b.toArray(), []);
  b.extend([0, 1, 2, 3, 4]);
  assert.deepEqual(b.toArray(), [0, 1, 2, 3, 4]);
  assert.equal(b.get(2), 2);
  assert.equal(b.get(-1), 4);
  b.set(2, 10);
  assert.deepEqual(b.slice(1, 3), [1, 10]);
  b.append(5);
  b.insert(0, -1);
  b.insert(100, 99);
  assert.deepEqual([...b], [-1, 0, 1, 10, 3, 4, 5, 99]);
  assert.equal(b.pop(), 99);
  assert.equal(b.pop(0), -1);
  b.remove(10);
  assert.equal(b.index(4), 3);
  assert.equal(b.count(3), 1);
  assert.equal(b.includes(5), true);
  b.reverse();
  assert.deepEqual(b.toArray(), [5, 4, 3, 1, 0]);
  b.sort();
  assert.deepEqual(b.toArray(), [0, 1, 3, 4, 5]);
  b.sort({ reverse: true });
  assert.deepEqual(b.toArray(), [5, 4, 3, 1, 0]);
  assert.equal(b.push(6, 7), 7);
  b.clear();
  assert.equal(b.length, 0);
  const nested = manager.list<unknown>([{ x: [1] }, new Map([["k", 1]])]);
  assert.equal(nested.index({ x: [1] }), 0);
  assert.deepEqual(nested.get(1), new Map([["k", 1]]));
});

Deno.test("manager.dict() behaves as Python's dict (CPython test_dict)", async () => {
  await using manager = await Manager.start();
  const d = manager.dict<number, string>();
  const indices = Array.from({ length: 65 }, (_, i) => i);
  for (const i of indices) d.set(i, String.fromCharCode(i + 32));
  assert.deepEqual(d.copy(), new Map(indices.map((i) => [i, String.fromCharCode(i + 32)])));
  assert.deepEqual(d.keys(), indices);
  assert.deepEqual(d.values(), indices.map((i) => String.fromCharCode(i + 32)));
  assert.equal(d.size, 65);
  assert.deepEqual(d.popItem(), [64, "`"]);
  assert.equal(d.pop(0), " ");
  assert.equal(d.pop(0, "gone"), "gone");
  assert.equal(d.setDefault(1, "x"), "!");
  assert.equal(d.setDefault(100, "x"), "x");
  assert.equal(d.has(100), true);
  assert.equal(d.delete(100), true);
  assert.equal(d.delete(100), false);
  const e = manager.dict<string, number>({ a: 1 });
  e.update({ b: 2 });
  e.update([["c", 3]]);
  e.update(new Map([["a", 10]]));
  assert.deepEqual([...e], [["a", 10], ["b", 2], ["c", 3]]);
  assert.equal(Deno.inspect(e), `DictProxy(Map(3) { "a" => 10, "b" => 2, "c" => 3 })`);
  assert.equal(Deno.inspect(manager.list([1, "x"])), `ListProxy([ 1, "x" ])`);
  e.clear();
  assert.equal(e.size, 0);
  assert.throws(() => e.popItem(), RangeError);
});

Deno.test("manager.Namespace() keeps attributes in the manager (CPython test_namespace)", async () => {
  await using manager = await Manager.start();
  const n = manager.Namespace<Record<string, unknown>>();
  n.name = "Bob";
  n.job = "Builder";
  assert.equal(n.name, "Bob");
  assert.equal(n.job, "Builder");
  assert.equal("name" in n, true);
  assert.deepEqual(Object.keys(n).sort(), ["job", "name"]);
  assert.deepEqual({ ...n }, { name: "Bob", job: "Builder" });
  assert.equal(Deno.inspect(n), `Namespace(name="Bob", job="Builder")`);
  delete n.job;
  assert.equal("job" in n, false);
  assert.equal(n.job, undefined);
  assert.throws(() => (n.encode = 1), TypeError);
  assert.equal(await Promise.resolve(n), n); // not a thenable
});

Deno.test("errors in a proxy call arrive in the caller, in the main program and in workers", async () => {
  await using manager = await Manager.start();
  const l = manager.list([1, 2, 3]);
  assert.throws(
    () => l.get(3),
    (e: Error) => e instanceof RangeError && /out of range/.test(e.message),
  );
  assert.throws(() => l.remove(9), RangeError);
  assert.throws(() => manager.list<unknown>(["x", 1]).sort(), TypeError);
  const d = manager.dict<string, unknown>();
  assert.throws(() => d.set("f", () => 1), TypeError);
  assert.throws(() => (d as unknown as { set(k: object, v: number): void }).set({}, 1), TypeError);
  await using pool = await Pool.open({ processes: 1 });
  await assert.rejects(
    pool.apply(readAt, [l, 10]),
    (error: TaskError) => error instanceof TaskError && error.remoteName === "RangeError",
  );
});

Deno.test("after shutdown every proxy call fails with ManagerClosed", async () => {
  const manager = await Manager.start();
  const d = manager.dict<string, number>({ a: 1 });
  assert.equal(manager.running, true);
  manager.shutdown();
  manager.shutdown();
  assert.equal(manager.running, false);
  assert.throws(() => d.get("a"), ManagerClosed);
  assert.throws(() => manager.list(), ManagerClosed);
});

Deno.test("a manager proxy cannot be passed to a subprocess: the error names the backend", async () => {
  await using manager = await Manager.start();
  const l = manager.list([1]);
  const p = new Process({ target: readAt, args: [l, 0], backend: "subprocess" });
  await assert.rejects(
    async () => await p.start(),
    (error: Error) => /"subprocess"/.test(error.message) && /"worker" backend/.test(error.message),
  );
});

Deno.test("Manager.make() is scoped: the manager shuts down with its scope", async () => {
  const d = await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const manager = yield* Manager.make();
    const dict = manager.dict<string, number>();
    dict.set("x", 1);
    assert.equal(dict.get("x"), 1);
    return dict;
  })));
  assert.throws(() => d.get("x"), ManagerClosed);
});

Deno.test("manager.Queue() and the other primitives are the library's shared objects", async () => {
  await using manager = await Manager.start();
  const q = manager.Queue<number>();
  assert.ok(q instanceof Queue);
  await q.put(1);
  assert.equal(await q.get(), 1);
  assert.equal(manager.Semaphore(2).getValue(), 2);
  assert.equal(manager.Event().isSet(), false);
  assert.equal(manager.Barrier(1).wait(), 0);
});
