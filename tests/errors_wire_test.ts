/**
 * A worker's error rebuilt from data (`lib/errors_wire.ts`): the task's own class, which
 * counts as a `TaskError` by `instanceof` only, and the `node:assert` forms the README
 * gives for it. No worker: the data is made with `toWireError`, as a worker makes it.
 */
import assert from "node:assert/strict";
import { TaskError } from "../lib/errors.ts";
import { fromWire, isDefect } from "../lib/errors_wire.ts";
import { toWireError } from "../lib/shared/wire_error.ts";

/** `thrown` as the main side gets it back from a worker. */
function arrived(thrown: unknown, effect?: "failure" | "defect"): TaskError {
  const wire = structuredClone(toWireError(thrown));
  return fromWire(effect === undefined ? wire : { ...wire, effect }, "task") as TaskError;
}

Deno.test("a task's RangeError comes back as a RangeError that is an instanceof TaskError", () => {
  const error = arrived(new RangeError("too big"));
  assert.ok(error instanceof RangeError);
  assert.ok(error instanceof TaskError);
  assert.equal(error._tag, "TaskError");
  assert.equal(error.remoteName, "RangeError");
  // Its prototype chain is RangeError's: a check by prototype does not see TaskError.
  assert.equal(Object.getPrototypeOf(error), RangeError.prototype);
  assert.equal(Object.prototype.isPrototypeOf.call(TaskError.prototype, error), false);
});

Deno.test("the README's node:assert forms match a task's rebuilt error", async () => {
  const error = arrived(new RangeError("too big"));
  await assert.rejects(Promise.reject(error), (e) => e instanceof TaskError);
  await assert.rejects(Promise.reject(error), RangeError);
  assert.throws(() => {
    throw error;
  }, (e) => e instanceof TaskError);
  // A plain Error stays a TaskError proper: the class form works on it.
  await assert.rejects(Promise.reject(arrived(new Error("plain"))), TaskError);
});

Deno.test("only an Effect-native task's defect is a defect", () => {
  assert.equal(isDefect(arrived(new Error("thrown"))), false);
  assert.equal(isDefect(arrived(new Error("failed"), "failure")), false);
  assert.equal(isDefect(arrived(new Error("died"), "defect")), true);
  assert.equal(
    isDefect(new TaskError({ message: "made", remoteName: "Error", isError: true })),
    false,
  );
});
