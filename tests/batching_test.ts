/**
 * Answers in batches: a worker running a burst of quick chunks holds their answers
 * back briefly and sends them as one `DONE_MANY`. These tests check that the batching
 * happens, that it never blames the wrong chunk for a timeout or a crash, and that no
 * held answer is lost when the worker ends.
 *
 * @module
 */
import assert from "node:assert/strict";
import { assertNoLiveWorkers } from "../lib/testing.ts";
import { Event, Pool, TaskTimeout, WorkerCrashed } from "../mod.ts";
import { liveSubprocesses, subprocessesExited } from "../lib/backend/subprocess.ts";
import type { Backend } from "../lib/engine.ts";
import {
  DEFINE,
  DONE,
  DONE_MANY,
  type FromWorker,
  INIT,
  RUN,
  RUN_MANY,
  type RunMessage,
  type TaskRef,
} from "../lib/shared/protocol.ts";
import { Runtime } from "../lib/worker/runtime.ts";
import { echoOr, echoOrWait, keepGate } from "./fixtures/batch_tasks.ts";

const PLUS_ONE: TaskRef = { kind: "inline", name: "plusOne", source: "(x) => x + 1" };
const TIMES_TWO: TaskRef = { kind: "inline", name: "timesTwo", source: "(x) => x * 2" };

/**
 * A runtime in this thread, with every message it sends recorded. Its clock stands
 * still, so every chunk takes 0 ms and held answers never age: which answers are held
 * depends on the rules alone, not on how loaded the machine is.
 */
async function runtimeWith(coalesce: boolean): Promise<{ runtime: Runtime; sent: FromWorker[] }> {
  const sent: FromWorker[] = [];
  const runtime = new Runtime((message) => sent.push(message), coalesce, () => 0);
  runtime.receive([INIT, {
    self: { name: "Batch-1", pid: 9001 },
    parent: { name: "MainProcess", pid: 1 },
    cancelBits: null,
    busy: null,
    initializer: null,
    initargs: [],
    encoded: false,
  }]);
  runtime.receive([DEFINE, 1, PLUS_ONE]);
  runtime.receive([DEFINE, 2, TIMES_TWO]);
  // First runs compile each function, and tell the runtime they are quick.
  runtime.receive(run(1, 1, 0));
  runtime.receive(run(2, 2, 0));
  await until(() => sent.length === 3);
  sent.length = 0;
  return { runtime, sent };
}

function run(chunkId: number, fnId: number, x: number, timed = false): RunMessage {
  return [RUN, chunkId, fnId, 1, [x], false, false, false, timed];
}

async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !done(); i++) await new Promise((r) => setTimeout(r, 2));
  assert.ok(done(), "the runtime answered in time");
}

/** What was sent, as `[kind, chunkIds]`: the shape of the conversation. */
function shape(sent: FromWorker[]): Array<[string, number[]]> {
  return sent.map((message) => {
    if (message[0] === DONE) return ["DONE", [message[1]]];
    if (message[0] === DONE_MANY) return ["DONE_MANY", message[1].map((done) => done[1])];
    return [`kind ${message[0]}`, []];
  });
}

Deno.test("a burst of quick chunks is answered in one message, in the order they ran", async () => {
  const { runtime, sent } = await runtimeWith(true);
  runtime.receive([RUN_MANY, Array.from({ length: 10 }, (_, i) => run(10 + i, 1, i))]);
  assert.deepEqual(shape(sent), [["DONE_MANY", [10, 11, 12, 13, 14, 15, 16, 17, 18, 19]]]);
  const values = sent[0]![0] === DONE_MANY ? sent[0]![1].map((done) => done[2][0]) : [];
  assert.deepEqual(values, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
});

Deno.test("a timed chunk is answered on its own and holds nothing over it", async () => {
  const { runtime, sent } = await runtimeWith(true);
  runtime.receive([RUN_MANY, [run(10, 1, 0), run(11, 1, 0, true), run(12, 1, 0), run(13, 1, 0)]]);
  assert.deepEqual(shape(sent), [["DONE", [10]], ["DONE", [11]], ["DONE_MANY", [12, 13]]]);
});

Deno.test("a chunk not known to be quick sends the held answers before it runs", async () => {
  const { runtime, sent } = await runtimeWith(true);
  runtime.receive([DEFINE, 3, { kind: "inline", name: "fresh", source: "(x) => -x" }]);
  runtime.receive([RUN_MANY, [run(10, 1, 0), run(11, 2, 0), run(12, 3, 5), run(13, 1, 0)]]);
  // 12's function was never run: the worker cannot tell how long it takes.
  assert.deepEqual(shape(sent), [["DONE_MANY", [10, 11]]]);
  await until(() => sent.length === 2);
  assert.deepEqual(shape(sent), [["DONE_MANY", [10, 11]], ["DONE_MANY", [12, 13]]]);
});

Deno.test("a runtime whose main side takes no batches answers every chunk alone", async () => {
  const { runtime, sent } = await runtimeWith(false);
  runtime.receive([RUN_MANY, [run(10, 1, 0), run(11, 1, 0), run(12, 1, 0)]]);
  assert.deepEqual(shape(sent), [["DONE", [10]], ["DONE", [11]], ["DONE", [12]]]);
});

/**
 * Opens a pool of one that has seen many quick `echoOr` calls: its worker knows the
 * function is quick (so it holds answers), and the pool sends calls many at a time.
 */
async function warmPool(backend: Backend): Promise<Pool> {
  const pool = await Pool.open({ processes: 1, backend });
  await Promise.all(Array.from({ length: 200 }, (_, x) => pool.applyAsync(echoOr, [x])));
  return pool;
}

/** Both backends hold answers: each test runs on each. */
async function noneLeft(): Promise<void> {
  await subprocessesExited();
  await assertNoLiveWorkers();
  assert.equal(liveSubprocesses(), 0);
}

for (const backend of ["worker", "subprocess"] as const) {
  Deno.test(`${backend}: answers held when it exits still arrive; only its chunk crashes`, async () => {
    {
      await using pool = await warmPool(backend);
      const outcomes = await Promise.allSettled([
        pool.applyAsync(echoOr, [1]),
        pool.applyAsync(echoOr, [2]),
        pool.applyAsync(echoOr, ["exit"]),
        pool.applyAsync(echoOr, [4]),
      ]);
      assert.deepEqual(outcomes.slice(0, 2), [
        { status: "fulfilled", value: 1 },
        { status: "fulfilled", value: 2 },
      ]);
      const crashed = outcomes[2]!;
      assert.ok(crashed.status === "rejected" && crashed.reason instanceof WorkerCrashed);
      assert.equal(crashed.reason.exitCode, 3);
      assert.deepEqual(outcomes[3], { status: "fulfilled", value: 4 });
    }
    await noneLeft();
  });

  Deno.test(`${backend}: a timeout fails the chunk that ran long, not the one before`, async () => {
    {
      await using pool = await warmPool(backend);
      const outcomes = await Promise.allSettled([
        pool.applyAsync(echoOr, [1]),
        pool.applyAsync(echoOr, [-600], { timeout: 200 }),
        pool.applyAsync(echoOr, [3]),
      ]);
      assert.deepEqual(outcomes[0], { status: "fulfilled", value: 1 });
      const late = outcomes[1]!;
      assert.ok(late.status === "rejected" && late.reason instanceof TaskTimeout, String(late));
      assert.deepEqual(outcomes[2], { status: "fulfilled", value: 3 });
      while (pool.stats.stuck > 0) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await noneLeft();
  });
}

Deno.test("a task about to block on a primitive first sends the answers held before it", async () => {
  {
    await using pool = await Pool.open({ processes: 1 });
    const gate = new Event();
    await pool.apply(keepGate, [gate]);
    await Promise.all(Array.from({ length: 200 }, (_, x) => pool.applyAsync(echoOrWait, [x])));
    const first = pool.applyAsync(echoOrWait, [1]);
    const waiting = pool.applyAsync(echoOrWait, ["wait"]);
    // The waiting task is freed only once the first answer is here: held behind it, that
    // answer would arrive after the wait timed out.
    assert.equal(await first, 1);
    gate.set();
    assert.equal(await waiting, true);
  }
  await assertNoLiveWorkers();
});
