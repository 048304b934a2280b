/**
 * `Barrier`'s `action`, modelled on CPython's _test_multiprocessing.py
 * (`_TestBarrier.test_action`, and `test_abort` for an action that raises): run once
 * per generation, by one party, before any party is released, in whichever process
 * arrived last.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Barrier, BrokenBarrierError, inline, Process, TaskNotFound } from "../mod.ts";
import {
  actionsHere,
  countPass,
  failingAction,
  passes,
  passesAsync,
  passesCountingGlobal,
  useCounter,
  waitOnce,
} from "./fixtures/barrier_tasks.ts";

const GENERATIONS = 3;

Deno.test("Barrier action runs once per generation, by one party, before any is released", async () => {
  const buffer = new SharedArrayBuffer(4);
  useCounter(buffer);
  const before = actionsHere();
  const barrier = new Barrier(4, { action: countPass });
  const processes = [
    new Process({ target: passes, args: [barrier, buffer, GENERATIONS] }),
    new Process({ target: passes, args: [barrier, buffer, GENERATIONS] }),
    new Process({ target: passesAsync, args: [barrier, buffer, GENERATIONS] }),
  ];
  for (const p of processes) await p.start();
  // The main program is the fourth party.
  const mainSeen: number[] = [];
  for (let g = 0; g < GENERATIONS; g++) {
    await barrier.waitAsync({ timeout: 20_000 });
    mainSeen.push(Atomics.load(new Int32Array(buffer), 0));
  }
  const results = (await Promise.all(processes.map((p) => p.join()))) as Array<
    { seen: number[]; ranHere: number }
  >;
  assert.equal(Atomics.load(new Int32Array(buffer), 0), GENERATIONS);
  // Every party saw the action of each generation it passed, and none of the next one's.
  for (const { seen } of results) assert.deepEqual(seen, [1, 2, 3]);
  assert.deepEqual(mainSeen, [1, 2, 3]);
  const ranInMain = actionsHere() - before;
  const ranInWorkers = results.reduce((sum, r) => sum + r.ranHere, 0);
  assert.equal(ranInMain + ranInWorkers, GENERATIONS);
});

Deno.test("Barrier action given with inline() runs in a worker when it arrives last", async () => {
  const count = inline(() => {
    const g = globalThis as { inlineActions?: number };
    g.inlineActions = (g.inlineActions ?? 0) + 1;
  });
  const barrier = new Barrier(2, { action: count });
  const processes = [1, 2].map(() =>
    new Process({ target: passesCountingGlobal, args: [barrier, GENERATIONS] })
  );
  for (const p of processes) await p.start();
  const ran = await Promise.all(processes.map((p) => p.join()));
  assert.equal(ran[0]! + ran[1]!, GENERATIONS);
});

Deno.test("Barrier action that throws breaks the barrier: its party gets the error", async () => {
  const barrier = new Barrier(3, { action: failingAction });
  const processes = [1, 2, 3].map(() => new Process({ target: waitOnce, args: [barrier] }));
  for (const p of processes) await p.start();
  const outcomes = (await Promise.all(processes.map((p) => p.join()))).sort();
  assert.deepEqual(outcomes, ["broken", "broken", "the action failed"]);
  assert.equal(barrier.broken, true);
  await assert.rejects(barrier.waitAsync(), BrokenBarrierError);
});

Deno.test("Barrier action in one process may be any function, and runs on each pass", async () => {
  let passed = 0;
  const barrier = new Barrier(1, { action: () => passed++ });
  barrier.wait();
  await barrier.waitAsync();
  assert.equal(passed, 2);
});

Deno.test("Barrier with an action that cannot be found is refused when it crosses", async () => {
  const barrier = new Barrier(2, { action: () => {} });
  const p = new Process({ target: waitOnce, args: [barrier] });
  await assert.rejects(async () => await p.start(), TaskNotFound);
  assert.throws(() => new Barrier(2, { action: 42 as never }), TypeError);
});
