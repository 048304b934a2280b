import assert from "node:assert/strict";
import {
  activeChildren,
  cpuCount,
  currentProcess,
  parentProcess,
  Process,
  TaskError,
  WorkerCrashed,
} from "../lib/effect.ts";
import { assertNoLiveWorkers, liveOwners } from "../lib/testing.ts";
import { failOnNegative, square, whoAmI } from "./fixtures/tasks.ts";
import { closeSelf, exitWith, throwInTimer, waitForever } from "./fixtures/process_tasks.ts";

Deno.test("Process exits with code 0 and join() gives the target's value", async () => {
  const p = new Process({ target: square, args: [12] });
  assert.equal(p.exitCode, null);
  await p.start();
  assert.equal(await p.join(), 144);
  assert.equal(p.exitCode, 0);
  await assertNoLiveWorkers();
});

Deno.test("Process exits with code 1 when the target throws, and join() rejects with TaskError", async () => {
  const p = new Process({ target: failOnNegative, args: [-3] });
  await p.start();
  const error = await p.join().then(() => null, (e: unknown) => e);
  assert.ok(error instanceof TaskError, `expected TaskError, got ${error}`);
  assert.equal(error.remoteName, "RangeError");
  assert.equal(error.message, "negative input: -3");
  assert.equal(p.exitCode, 1);
  await assertNoLiveWorkers();
});

Deno.test("Process.terminate() ends a running process with exit code -15", async () => {
  const p = new Process({ target: waitForever });
  await p.start();
  assert.equal(p.isAlive(), true);
  assert.deepEqual(liveOwners().map((owner) => [owner.name, owner.workers]), [[p.name, 1]]);
  p.terminate();
  assert.equal(await p.join(), undefined);
  assert.equal(p.exitCode, -15);
  assert.equal(p.isAlive(), false);
  await assertNoLiveWorkers();
});

Deno.test("Process.kill() ends a running process with exit code -9", async () => {
  const p = new Process({ target: waitForever });
  await p.start();
  p.kill();
  assert.equal(await p.join(), undefined);
  assert.equal(p.exitCode, -9);
  assert.equal(p.isAlive(), false);
  await assertNoLiveWorkers();
});

Deno.test("Deno.exit(3) inside the target gives exit code 3 and join() rejects with WorkerCrashed", async () => {
  const p = new Process({ target: exitWith, args: [3], name: "exiter" });
  await p.start();
  const error = await p.join().then(() => null, (e: unknown) => e);
  assert.ok(error instanceof WorkerCrashed, `expected WorkerCrashed, got ${error}`);
  assert.equal(error._tag, "WorkerCrashed");
  assert.equal(error.exitCode, 3);
  assert.equal(error.worker, "exiter");
  assert.match(error.message, /exited with code 3/);
  assert.equal(p.exitCode, 3);
  assert.equal(p.isAlive(), false);
  await assertNoLiveWorkers();
});

Deno.test("self.close() inside the target ends the process with exit code 0", async () => {
  const p = new Process({ target: closeSelf });
  await p.start();
  await p.join();
  assert.equal(p.exitCode, 0);
  assert.equal(p.isAlive(), false);
  await assertNoLiveWorkers();
});

Deno.test("an error thrown from a timer inside the worker gives WorkerCrashed and the main program survives", async () => {
  const p = new Process({ target: throwInTimer, args: ["timer boom"] });
  await p.start();
  const error = await p.join().then(() => null, (e: unknown) => e);
  assert.ok(error instanceof WorkerCrashed, `expected WorkerCrashed, got ${error}`);
  assert.equal(error.exitCode, null);
  assert.match(error.message, /timer boom/);
  assert.notEqual(p.exitCode, null);
  assert.notEqual(p.exitCode, 0);
  assert.equal(p.isAlive(), false);
  await assertNoLiveWorkers();
  // The main program is still here and can start another process.
  const next = new Process({ target: square, args: [4] });
  await next.start();
  assert.equal(await next.join(), 16);
  await assertNoLiveWorkers();
});

Deno.test("Process names default to Process-N, numbered upward", async () => {
  const first = new Process({ target: square, args: [1] });
  const second = new Process({ target: square, args: [2] });
  const number = (name: string): number => {
    const match = name.match(/^Process-(\d+)$/);
    assert.ok(match, `unexpected default name ${name}`);
    return Number(match[1]);
  };
  assert.ok(number(first.name) >= 1);
  assert.equal(number(second.name), number(first.name) + 1);
  await assertNoLiveWorkers();
});

Deno.test("Process takes an explicit name", async () => {
  const p = new Process({ target: square, args: [1], name: "squarer" });
  assert.equal(p.name, "squarer");
  await assertNoLiveWorkers();
});

Deno.test("inside the target, currentProcess() is the process and parentProcess() is MainProcess", async () => {
  const p = new Process({ target: whoAmI, name: "introspector" });
  assert.equal(p.pid, null);
  await p.start();
  assert.equal(typeof p.pid, "number");
  const seen = await p.join();
  assert.deepEqual(seen, { name: "introspector", pid: p.pid, parent: "MainProcess" });
  await assertNoLiveWorkers();
});

Deno.test("in the main program, currentProcess() is MainProcess with no parent", () => {
  assert.equal(currentProcess().name, "MainProcess");
  assert.equal(currentProcess().pid, Deno.pid);
  assert.equal(parentProcess(), null);
});

Deno.test("Process.isAlive() is false before start, true while running, false after", async () => {
  const p = new Process({ target: waitForever });
  assert.equal(p.isAlive(), false);
  await p.start();
  assert.equal(p.isAlive(), true);
  p.terminate();
  assert.equal(p.isAlive(), false);

  const q = new Process({ target: square, args: [2] });
  await q.start();
  await q.join();
  assert.equal(q.isAlive(), false);
  await assertNoLiveWorkers();
});

Deno.test("Process.start() twice rejects", async () => {
  const p = new Process({ target: square, args: [3] });
  await p.start();
  await assert.rejects(p.start(), /Cannot start process '.*' twice/);
  assert.equal(await p.join(), 9);
  await assertNoLiveWorkers();
});

Deno.test("Process.join() before start() rejects", async () => {
  const p = new Process({ target: square, args: [3], name: "unstarted" });
  await assert.rejects(p.join(), /Cannot join process 'unstarted' before start\(\)/);
  await assertNoLiveWorkers();
});

Deno.test("cpuCount() is a positive integer", () => {
  const count = cpuCount();
  assert.ok(Number.isInteger(count), `not an integer: ${count}`);
  assert.ok(count >= 1);
});

Deno.test("activeChildren() lists a running process and drops it once it ends", async () => {
  const p = new Process({ target: waitForever });
  assert.ok(!activeChildren().includes(p));
  await p.start();
  assert.ok(activeChildren().includes(p));
  p.terminate();
  assert.ok(!activeChildren().includes(p));

  const q = new Process({ target: square, args: [5] });
  await q.start();
  assert.ok(activeChildren().includes(q));
  await q.join();
  assert.ok(!activeChildren().includes(q));
  assert.deepEqual(activeChildren(), []);
  await assertNoLiveWorkers();
});

Deno.test("await using terminates a process still running at the end of the block", async () => {
  let outer: Process<typeof waitForever> | undefined;
  {
    await using p = new Process({ target: waitForever });
    await p.start();
    outer = p;
    assert.equal(p.isAlive(), true);
  }
  assert.equal(outer.isAlive(), false);
  assert.equal(outer.exitCode, -15);
  await assertNoLiveWorkers();
});

Deno.test("new Process() with bad options throws a TypeError naming the option, and starts nothing", async () => {
  const cases: [unknown, string][] = [
    [null, "its options must be an object ({ target, args }): current value is null"],
    ["square", `its options must be an object ({ target, args }): current value is "square"`],
    [
      {},
      "'target' must be a function (or subclass Process and override run()): received undefined",
    ],
    [
      { target: 42 },
      "'target' must be a function (or subclass Process and override run()): received number",
    ],
    [{ target: square, args: 12 }, "'args' must be an array: received number"],
    [{ target: square, daemon: "yes" }, "'daemon' must be a boolean: received string"],
  ];
  for (const [options, message] of cases) {
    assert.throws(() => new Process(options as never), {
      name: "TypeError",
      message: `Cannot create process as ${message}`,
    });
  }
  assert.deepEqual(activeChildren(), []);
  await assertNoLiveWorkers();
});
