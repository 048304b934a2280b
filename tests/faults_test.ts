/**
 * Reliability: every fault a task can cause ends that task with one typed error, the
 * pool heals (same size, next task succeeds), innocent tasks are untouched, and no
 * worker outlives the pool.
 */
import assert from "node:assert/strict";
import { assertNoLiveWorkers } from "../lib/testing.ts";
import {
  fromModule,
  Pool,
  PoolClosed,
  SerializationError,
  TaskError,
  TaskNotFound,
  TaskTimeout,
  WorkerCrashed,
} from "../mod.ts";
import { Engine } from "../lib/engine.ts";
import { engineOptions } from "../lib/pool_options.ts";
import { jobSpec, startApplyCall } from "../lib/pool_calls.ts";
import {
  byteLength,
  closeWorker,
  crashFirst,
  double,
  exitWorker,
  fail,
  failFirst,
  overflowStack,
  politeSpin,
  politeWait,
  spin,
  timerThrow,
  unclonableResult,
  unhandledRejection,
} from "./fixtures/fault_tasks.ts";
import { throwValue } from "./fixtures/faults.ts";

/** Opens a pool of two, runs `body`, and checks that the pool healed and nothing leaked. */
async function withPool(
  body: (pool: Pool) => Promise<void>,
  options: Parameters<typeof Pool.open>[0] = {},
): Promise<void> {
  {
    await using pool = await Pool.open({ processes: 2, ...options });
    await body(pool);
    assert.equal(pool.stats.workers, 2, "the pool kept its size");
    assert.deepEqual(await pool.map(double, [1, 2, 3]), [2, 4, 6], "the next tasks succeed");
  }
  await assertNoLiveWorkers();
}

/** Waits until no dropped worker is still spinning, so the test ends clean. */
async function untilNoneStuck(pool: Pool): Promise<void> {
  while (pool.stats.stuck > 0) await new Promise((resolve) => setTimeout(resolve, 20));
}

Deno.test("an error thrown from a timer fails the task with WorkerCrashed", async () => {
  await withPool(async (pool) => {
    const error = await pool.apply(timerThrow, ["tick boom"]).catch((e) => e);
    assert.ok(error instanceof WorkerCrashed, String(error));
    assert.match(
      error.message,
      /^Worker PoolWorker-\d crashed: tick boom while running 'timerThrow'$/,
    );
    assert.equal(error.exitCode, null);
    assert.ok(error.cause instanceof TaskError);
    assert.equal(error.cause.message, "tick boom");
  });
});

Deno.test("an unhandled rejection fails the task with WorkerCrashed", async () => {
  await withPool(async (pool) => {
    const error = await pool.apply(unhandledRejection, ["nobody caught me"]).catch((e) => e);
    assert.ok(error instanceof WorkerCrashed, String(error));
    assert.match(error.message, /crashed: nobody caught me while running 'unhandledRejection'/);
  });
});

Deno.test("self.close() in a task fails it with WorkerCrashed and exit code 0", async () => {
  await withPool(async (pool) => {
    const error = await pool.apply(closeWorker, []).catch((e) => e);
    assert.ok(error instanceof WorkerCrashed, String(error));
    assert.match(error.message, /exited with code 0 while running 'closeWorker'/);
    assert.equal(error.exitCode, 0);
  });
});

Deno.test("Deno.exit(n) in a task fails it with WorkerCrashed carrying n", async () => {
  await withPool(async (pool) => {
    const error = await pool.apply(exitWorker, [4]).catch((e) => e);
    assert.ok(error instanceof WorkerCrashed, String(error));
    assert.match(error.message, /exited with code 4 while running 'exitWorker'/);
    assert.equal(error.exitCode, 4);
  });
});

Deno.test("a stack overflow is the task's RangeError, and the worker survives", async () => {
  await withPool(async (pool) => {
    const replaced = pool.stats.replaced;
    const error = await pool.apply(overflowStack, []).catch((e) => e);
    assert.ok(error instanceof TaskError, String(error));
    assert.equal(error.remoteName, "RangeError");
    assert.match(error.message, /Maximum call stack size exceeded/);
    assert.equal(pool.stats.replaced, replaced, "no worker had to be replaced");
  });
});

Deno.test("a synchronous loop past its timeout fails with TaskTimeout; its worker is replaced", async () => {
  await withPool(async (pool) => {
    const replaced = pool.stats.replaced;
    const error = await pool.apply(spin, [600], { timeout: 100 }).catch((e) => e);
    assert.ok(error instanceof TaskTimeout, String(error));
    assert.match(
      error.message,
      /^'spin' did not finish within 100 ms; worker PoolWorker-\d was replaced$/,
    );
    assert.equal(error.timeout, 100);
    assert.equal(pool.stats.replaced, replaced + 1);
    // The dropped worker is still spinning (Deno cannot stop it): the pool says so.
    assert.equal(pool.stats.stuck, 1);
    await untilNoneStuck(pool);
  });
});

Deno.test("the pool's default timeout applies to calls that set none", async () => {
  await withPool(async (pool) => {
    const error = await pool.apply(spin, [600]).catch((e) => e);
    assert.ok(error instanceof TaskTimeout, String(error));
    assert.equal(error.timeout, 80);
    assert.equal(await pool.apply(double, [21], { timeout: 5000 }), 42);
    await untilNoneStuck(pool);
  }, { timeout: 80 });
});

Deno.test("a timeout starts when the worker is ready, not when work is sent to it", async () => {
  // Work reaches a worker while it starts; here its initializer spins for 300 ms. The
  // engine itself takes the call, as a pool with an initializer opens only once ready.
  const engine = new Engine(engineOptions({ processes: 1, initializer: spin, initargs: [300] }));
  engine.open(() => {});
  const spec = jobSpec(engine, double, true, { timeout: 150 }, "apply");
  const outcome = await new Promise((resolve) => startApplyCall(engine, spec, [21], resolve));
  assert.deepEqual(outcome, { ok: true, value: 42 });
  engine.terminate();
  await assertNoLiveWorkers();
});

Deno.test("a timeout leaves the other worker's task untouched", async () => {
  await withPool(async (pool) => {
    const [slow, fine] = await Promise.allSettled([
      pool.apply(spin, [600], { timeout: 100 }),
      pool.apply(politeSpin, [150]),
    ]);
    assert.equal(slow.status, "rejected");
    assert.ok((slow as PromiseRejectedResult).reason instanceof TaskTimeout);
    assert.deepEqual(fine, { status: "fulfilled", value: "finished" });
    await untilNoneStuck(pool);
  });
});

Deno.test("work queued behind a crashed task runs on and succeeds", async () => {
  await withPool(async (pool) => {
    const input = Array.from({ length: 40 }, (_, i) => i);
    const results = await Promise.allSettled(
      input.map((i) => i === 5 ? pool.apply(exitWorker, [9]) : pool.apply(double, [i])),
    );
    results.forEach((result, i) => {
      if (i === 5) {
        assert.equal(result.status, "rejected");
        assert.ok((result as PromiseRejectedResult).reason instanceof WorkerCrashed);
      } else {
        assert.deepEqual(result, { status: "fulfilled", value: 2 * i }, `item ${i}`);
      }
    });
  });
});

Deno.test("retries re-run a chunk that crashed its worker", async () => {
  await withPool(async (pool) => {
    const counter = new SharedArrayBuffer(4);
    assert.equal(await pool.apply(crashFirst, [counter, 2], { retries: 2 }), 3);
    const again = new SharedArrayBuffer(4);
    const error = await pool.apply(crashFirst, [again, 2], { retries: 1 }).catch((e) => e);
    assert.ok(error instanceof WorkerCrashed, String(error));
    assert.equal(new Int32Array(again)[0], 2, "ran once and retried once");
  });
});

Deno.test("retries re-run a timed-out chunk", async () => {
  await withPool(async (pool) => {
    const error = await pool.apply(spin, [400], { timeout: 60, retries: 1 }).catch((e) => e);
    assert.ok(error instanceof TaskTimeout);
    assert.equal(pool.stats.replaced >= 2, true, "both runs timed out and were replaced");
    await untilNoneStuck(pool);
  });
});

Deno.test("task errors are not retried unless retryTaskErrors is set", async () => {
  await withPool(async (pool) => {
    const once = new SharedArrayBuffer(4);
    await assert.rejects(
      pool.apply(failFirst, [once, 1], { retries: 3 }),
      (error) => error instanceof TaskError,
    );
    assert.equal(new Int32Array(once)[0], 1);
    const retried = new SharedArrayBuffer(4);
    const runs = await pool.apply(failFirst, [retried, 2], { retries: 3, retryTaskErrors: true });
    assert.equal(runs, 3);
  });
});

Deno.test("a cancelled synchronous task can stop itself with cancelled()", async () => {
  await withPool(async (pool) => {
    const controller = new AbortController();
    const call = pool.apply(politeSpin, [5000], { signal: controller.signal });
    // Cancellation reaches a task that is already running: wait until it is.
    while (pool.stats.running === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const replaced = pool.stats.replaced;
    controller.abort(new Error("enough"));
    await assert.rejects(call, /enough/);
    while (pool.stats.running > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(pool.stats.replaced, replaced, "it stopped by itself: no worker was dropped");
  });
});

Deno.test("a cancelled asynchronous task sees its taskSignal() abort", async () => {
  await withPool(async (pool) => {
    const log = new SharedArrayBuffer(4);
    const controller = new AbortController();
    const call = pool.apply(politeWait, [10_000, log], { signal: controller.signal });
    while (pool.stats.running === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await new Promise((resolve) => setTimeout(resolve, 20));
    controller.abort(new Error("stop waiting"));
    await assert.rejects(call, /stop waiting/);
    while (Atomics.load(new Int32Array(log), 0) === 0) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.equal(Atomics.load(new Int32Array(log), 0), 1, "the task saw its signal abort");
  });
});

Deno.test("bad input: unclonable arguments and results are SerializationErrors", async () => {
  await withPool(async (pool) => {
    await assert.rejects(
      pool.apply(double, [Symbol("no") as unknown as number]),
      SerializationError,
    );
    const error = await pool.apply(unclonableResult, []).catch((e) => e);
    assert.ok(error instanceof SerializationError);
    assert.match(error.message, /Cannot send the result of item 0 back from the worker/);
  });
});

Deno.test("bad input: a non-Error throw is a TaskError carrying the value", async () => {
  await withPool(async (pool) => {
    const error = await pool.apply(throwValue, [{ code: 7 }]).catch((e) => e);
    assert.ok(error instanceof TaskError);
    assert.equal(error.isError, false);
    assert.deepEqual(error.value, { code: 7 });
    assert.equal(error.message, '{"code":7}');
    await assert.rejects(pool.apply(fail, ["plain message"]), /plain message/);
  });
});

Deno.test("bad input: a 100 MB argument crosses and the pool stays healthy", async () => {
  await withPool(async (pool) => {
    const bytes = new Uint8Array(100 * 1024 * 1024);
    assert.equal(await pool.apply(byteLength, [bytes]), bytes.byteLength);
  });
});

Deno.test("bad input: a task module that throws while loading is TaskNotFound", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const url = new URL(`file://${dir}/throws.ts`);
    await Deno.writeTextFile(
      url,
      'throw new Error("module refuses to load");\nexport function f() {}\n',
    );
    await withPool(async (pool) => {
      const error = await pool.apply(fromModule(url, "f"), []).catch((e) => e);
      assert.ok(error instanceof TaskNotFound, String(error));
      assert.match(
        error.message,
        /^Cannot import task module .*throws\.ts for 'f': module refuses to load/,
      );
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bad input: a task module with a syntax error is TaskNotFound", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const url = new URL(`file://${dir}/broken.ts`);
    await Deno.writeTextFile(url, "export function f( {\n");
    await withPool(async (pool) => {
      const error = await pool.apply(fromModule(url, "f"), []).catch((e) => e);
      assert.ok(error instanceof TaskNotFound, String(error));
      assert.match(error.message, /^Cannot import task module .*broken\.ts for 'f':/);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("terminate() under load settles every call and leaves no worker", async () => {
  const pool = await Pool.open({ processes: 2 });
  const calls = Array.from({ length: 500 }, (_, i) => pool.apply(politeSpin, [i % 10]));
  const mapped = pool.map(double, Array.from({ length: 1000 }, (_, i) => i), { chunksize: 1 });
  await new Promise((resolve) => setTimeout(resolve, 30));
  await pool.terminate();
  await assertNoLiveWorkers();
  const outcomes = await Promise.allSettled([...calls, mapped]);
  for (const outcome of outcomes) {
    if (outcome.status === "rejected") {
      assert.ok(outcome.reason instanceof PoolClosed, String(outcome.reason));
    }
  }
  assert.ok(outcomes.some((o) => o.status === "rejected"), "some calls were still pending");
});
