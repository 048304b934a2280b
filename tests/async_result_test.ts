/**
 * `AsyncResult`: only the library settles a handle (through the settle object made with
 * it), and `AsyncResultEffect` reads one on the Effect face. The handles here are made
 * with `makeAsyncResult`, as the pool makes them, so no worker is needed.
 */
import assert from "node:assert/strict";
import { Cause, Effect, Exit, Fiber, Option } from "effect";
import {
  AsyncResult,
  AsyncResultEffect,
  TaskCancelled,
  TaskError,
  WaitTimeout,
} from "../lib/effect.ts";
import * as mod from "../mod.ts";
import * as effectEntry from "../lib/effect.ts";
import { makeAsyncResult } from "../lib/async_result.ts";
import { fromWire } from "../lib/errors_wire.ts";
import { toWireError } from "../lib/shared/wire_error.ts";

const PUBLIC_METHODS = [
  "addDoneCallback",
  "cancel",
  "cancelled",
  "constructor",
  "done",
  "exception",
  "get",
  "ready",
  "running",
  "successful",
  "then",
  "wait",
];

function failure(message: string): TaskError {
  return new TaskError({ message, remoteName: "Error", isError: true });
}

Deno.test("a user cannot settle a handle: it has no member that settles it", async () => {
  const [handle, settle] = makeAsyncResult<number>();
  assert.deepEqual(Object.keys(handle), []);
  assert.deepEqual(Object.getOwnPropertySymbols(handle), []);
  assert.deepEqual(Object.getOwnPropertyNames(AsyncResult.prototype).sort(), PUBLIC_METHODS);
  assert.deepEqual(Object.getOwnPropertySymbols(AsyncResult.prototype), []);
  for (const name of ["resolve", "reject", "onCancel", "markSent", "sent", "effect"]) {
    assert.equal(name in handle, false, `handle.${name} must not exist`);
  }
  // The entries export no way to make or settle one either.
  for (const entry of [mod, effectEntry]) {
    assert.equal("makeAsyncResult" in entry, false);
    assert.equal("installEffect" in entry, false);
  }
  settle.resolve(7);
  assert.equal(await handle, 7);
});

Deno.test("the settle object settles once; callbacks run once, in order", async () => {
  const calls: string[] = [];
  const [handle, settle] = makeAsyncResult<number>({
    callback: (value) => calls.push(`callback ${value}`),
    errorCallback: () => calls.push("errorCallback"),
  });
  handle.addDoneCallback(() => calls.push("done 1"));
  assert.equal(handle.running(), false);
  settle.sent();
  assert.equal(handle.running(), true);
  settle.resolve(1);
  settle.resolve(2);
  settle.reject(failure("late"));
  handle.addDoneCallback(() => calls.push("done 2"));
  assert.deepEqual(calls, ["callback 1", "done 1", "done 2"]);
  assert.equal(handle.running(), false);
  assert.equal(handle.successful(), true);
  assert.equal(await handle.get(), 1);
  assert.equal(await handle.exception(), undefined);
});

Deno.test("cancel() calls the settle object's onCancel and rejects with TaskCancelled", async () => {
  const [handle, settle] = makeAsyncResult<number>();
  let stopped = 0;
  settle.onCancel(() => stopped++);
  assert.equal(handle.cancel(), true);
  assert.equal(handle.cancel(), true);
  assert.equal(stopped, 1);
  settle.resolve(5); // the work's late answer is ignored
  assert.equal(handle.cancelled(), true);
  await assert.rejects(handle.get(), TaskCancelled);
  await assert.rejects(handle.exception(), TaskCancelled);
});

Deno.test("a handle settled before anyone reads it gives its outcome later, without an unhandled rejection", async () => {
  const [failed, settle] = makeAsyncResult<number>();
  settle.reject(failure("boom"));
  await Promise.resolve(); // a dropped failure would surface here as unhandled
  assert.equal(failed.ready(), true);
  assert.equal(failed.successful(), false);
  assert.equal((await failed.exception())?.message, "boom");
  assert.equal(await failed.then(() => "value", () => "error"), "error");
});

Deno.test("AsyncResultEffect.get gives the value, or fails with the handle's own error", async () => {
  const [ok, settleOk] = makeAsyncResult<number, TaskError>();
  const [bad, settleBad] = makeAsyncResult<number, TaskError>();
  setTimeout(() => settleOk.resolve(42), 0);
  settleBad.reject(failure("typed"));
  assert.equal(await Effect.runPromise(AsyncResultEffect.get(ok)), 42);
  const message = await Effect.runPromise(
    AsyncResultEffect.get(bad).pipe(
      Effect.as("no error"),
      Effect.catchTag("TaskError", (error) => Effect.succeed(error.message)),
    ),
  );
  assert.equal(message, "typed");
});

Deno.test("AsyncResultEffect.get dies with an Effect-native task's defect, as the pool's calls do", async () => {
  // The error as the engine rebuilds it from a worker whose task's Effect died.
  const wire = { ...toWireError(new RangeError("broken")), effect: "defect" as const };
  const [handle, settle] = makeAsyncResult<number, TaskError>();
  settle.reject(fromWire(wire, "task") as TaskError);
  const reads: Effect.Effect<unknown, unknown>[] = [
    AsyncResultEffect.get(handle),
    AsyncResultEffect.exception(handle),
  ];
  for (const read of reads) {
    const exit = await Effect.runPromise(Effect.exit(read));
    assert.ok(Exit.isFailure(exit));
    assert.ok(Cause.hasDies(exit.cause), "a defect, not a typed failure");
    assert.equal(Cause.hasFails(exit.cause), false);
    assert.ok(Cause.squash(exit.cause) instanceof RangeError);
  }
  // The Promise face rejects with the same error.
  await assert.rejects(handle.get(), (error) => error instanceof RangeError);
});

Deno.test("AsyncResultEffect.get({ timeout }) fails with WaitTimeout and the handle still settles", async () => {
  const [handle, settle] = makeAsyncResult<number>();
  const error = await Effect.runPromise(Effect.flip(AsyncResultEffect.get(handle, { timeout: 1 })));
  assert.ok(error instanceof WaitTimeout, `got ${error}`);
  assert.equal(await Effect.runPromise(AsyncResultEffect.wait(handle, { timeout: 1 })), false);
  settle.resolve(3);
  assert.equal(await Effect.runPromise(AsyncResultEffect.wait(handle)), true);
  assert.equal(await Effect.runPromise(AsyncResultEffect.get(handle)), 3);
});

Deno.test("interrupting AsyncResultEffect.get stops the waiting, not the task", async () => {
  const [handle, settle] = makeAsyncResult<number>();
  let cancelled = 0;
  settle.onCancel(() => cancelled++);
  const fiber = Effect.runFork(AsyncResultEffect.get(handle));
  await Promise.resolve();
  await Effect.runPromise(Fiber.interrupt(fiber));
  const waited = await Effect.runPromise(
    Effect.timeoutOption(AsyncResultEffect.get(handle), "1 millis"),
  );
  assert.ok(Option.isNone(waited));
  assert.equal(cancelled, 0);
  assert.equal(handle.cancelled(), false);
  settle.resolve(9);
  assert.equal(await handle, 9);
});

Deno.test("AsyncResultEffect.exception and cancel follow Python's Future", async () => {
  const [failed, settleFailed] = makeAsyncResult<number, TaskError>();
  settleFailed.reject(failure("inside"));
  const error = await Effect.runPromise(AsyncResultEffect.exception(failed));
  assert.equal(error?.message, "inside");
  const [pending] = makeAsyncResult<number>();
  assert.equal(await Effect.runPromise(AsyncResultEffect.cancel(pending)), true);
  const cancelled = await Effect.runPromise(Effect.flip(AsyncResultEffect.exception(pending)));
  assert.ok(cancelled instanceof TaskCancelled);
});

Deno.test("AsyncResultEffect misuse is a defect", async () => {
  const exit = await Effect.runPromise(Effect.exit(AsyncResultEffect.get({} as never)));
  assert.ok(Exit.isFailure(exit) && Cause.hasDies(exit.cause));
  const [handle] = makeAsyncResult<number>();
  const bad = await Effect.runPromise(
    Effect.exit(AsyncResultEffect.wait(handle, { timeout: -1 })),
  );
  assert.ok(Exit.isFailure(bad) && Cause.squash(bad.cause) instanceof RangeError);
});
