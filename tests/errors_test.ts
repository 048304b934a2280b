import assert from "node:assert/strict";
import { Pool, Process } from "../mod.ts";
import { SerializationError, TaskError } from "../lib/errors.ts";
import { liveWorkers } from "../lib/backend/web_worker.ts";
import { echo, failWithCause, returnFunction, throwValue } from "./fixtures/faults.ts";
import { square } from "./fixtures/tasks.ts";

/** Runs `target(...args)` in a new Process and gives what `join()` rejected with. */
async function joinError<F extends (...args: never[]) => unknown>(
  target: F,
  args: Parameters<F>,
): Promise<unknown> {
  const p = new Process({ target, args });
  await p.start();
  const error = await p.join().then(
    (value) => assert.fail(`join() resolved with ${value}`),
    (e: unknown) => e,
  );
  assert.equal(p.exitCode, 1);
  return error;
}

Deno.test("TaskError keeps the remote error's name, message and stack", async () => {
  const error = await joinError(failWithCause, ["outer failure", "inner failure"]);
  assert.ok(error instanceof TaskError, `expected TaskError, got ${error}`);
  assert.ok(error instanceof Error);
  assert.equal(error._tag, "TaskError");
  assert.equal(error.remoteName, "RangeError");
  assert.equal(error.message, "outer failure");
  assert.equal(error.isError, true);
  assert.equal(error.value, undefined);
  assert.ok(error.remoteStack !== undefined, "remoteStack is missing");
  assert.match(error.remoteStack, /failWithCause/);
  assert.match(error.remoteStack, /faults\.ts/);
  assert.equal(liveWorkers(), 0);
});

Deno.test("TaskError rebuilds the remote error's cause as an Error", async () => {
  const error = await joinError(failWithCause, ["outer failure", "inner failure"]);
  assert.ok(error instanceof TaskError, `expected TaskError, got ${error}`);
  assert.ok(error.cause instanceof Error, `expected an Error cause, got ${error.cause}`);
  assert.equal(error.cause.message, "inner failure");
  assert.equal(error.cause.name, "Error");
  assert.equal(liveWorkers(), 0);
});

const thrownValues: ReadonlyArray<readonly [string, unknown]> = [
  ["a string", "plain string thrown"],
  ["a number", 42],
  ["undefined", undefined],
  ["a plain object", { code: 7, detail: ["a", "b"], nested: { ok: false } }],
];

for (const [label, thrown] of thrownValues) {
  Deno.test(`TaskError holds ${label} thrown by the task in 'value', with isError false`, async () => {
    const error = await joinError(throwValue, [thrown]);
    assert.ok(error instanceof TaskError, `expected TaskError, got ${error}`);
    assert.equal(error._tag, "TaskError");
    assert.equal(error.isError, false);
    assert.deepEqual(error.value, thrown);
    assert.ok("value" in error, "the 'value' field is missing");
    assert.equal(error.remoteName, typeof thrown);
    assert.equal(typeof error.message, "string");
    assert.equal(liveWorkers(), 0);
  });
}

const unclonableArguments: ReadonlyArray<readonly [string, unknown]> = [
  ["a function", () => 1],
  ["a Symbol", Symbol("not clonable")],
];

for (const [label, argument] of unclonableArguments) {
  Deno.test(`Process.start() rejects ${label} argument with SerializationError before a worker starts`, async () => {
    const p = new Process({ target: echo, args: [argument] });
    const error = await p.start().then(() => null, (e: unknown) => e);
    assert.ok(error instanceof SerializationError, `expected SerializationError, got ${error}`);
    assert.equal(error._tag, "SerializationError");
    assert.match(error.message, /Cannot send the arguments of 'echo'/);
    assert.equal(liveWorkers(), 0);
    assert.equal(p.isAlive(), false);
    assert.equal(p.pid, null);
  });

  Deno.test(`Pool.apply() rejects ${label} argument with SerializationError and the pool answers the next task`, async () => {
    {
      await using pool = await Pool.open({ processes: 1 });
      const error = await pool.apply(echo, [argument]).then(() => null, (e: unknown) => e);
      assert.ok(error instanceof SerializationError, `expected SerializationError, got ${error}`);
      assert.equal(error._tag, "SerializationError");
      assert.equal(pool.stats.completed, 0, "the worker saw the unclonable argument");
      assert.equal(await pool.apply(square, [8]), 64);
      assert.equal(await pool.apply(echo, ["still here"]), "still here");
    }
    assert.equal(liveWorkers(), 0);
  });
}

Deno.test("an unclonable result fails with SerializationError and the pool's next task succeeds", async () => {
  {
    await using pool = await Pool.open({ processes: 1 });
    const error = await pool.apply(returnFunction, []).then(() => null, (e: unknown) => e);
    assert.ok(error instanceof SerializationError, `expected SerializationError, got ${error}`);
    assert.equal(error._tag, "SerializationError");
    assert.match(error.message, /result/);
    assert.equal(await pool.apply(square, [9]), 81);
    assert.equal(pool.stats.replaced, 0);
  }
  assert.equal(liveWorkers(), 0);
});

Deno.test("Process.join() rejects an unclonable result with SerializationError", async () => {
  const p = new Process({ target: returnFunction });
  await p.start();
  const error = await p.join().then(() => null, (e: unknown) => e);
  assert.ok(error instanceof SerializationError, `expected SerializationError, got ${error}`);
  assert.equal(p.exitCode, 1);
  assert.equal(liveWorkers(), 0);
});
