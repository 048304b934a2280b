/**
 * A sandboxed worker restarts when a task module it may not load yet appears (its
 * permissions are fixed when it starts); what is posted meanwhile is held for the new
 * worker. Held calls behave as calls to a running worker: arguments that cannot be sent
 * fail that call at once, with the same error, and the others run.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Pool, SerializationError, transfer } from "../mod.ts";
import { square } from "./fixtures/sandbox_tasks.ts";
import { add } from "./fixtures/tasks.ts";
import { incrementBytes } from "./fixtures/buffer_tasks.ts";

Deno.test("calls held while a sandboxed worker restarts: an unsendable one fails, the rest run", async () => {
  await using pool = await Pool.open({ processes: 1, permissions: "none" });
  assert.equal(await pool.apply(square, [3]), 9);
  // tasks.ts is new to the sandbox: these wait for a worker that may load it.
  const fine = pool.applyAsync(add, [1, 2]);
  const unsendable = pool.applyAsync(add, [1, (() => 2) as unknown as number]);
  assert.equal(await fine, 3);
  await assert.rejects(async () => await unsendable, (error: unknown) => {
    assert.ok(error instanceof SerializationError, `expected a SerializationError, got ${error}`);
    assert.match(error.message, /could not be cloned/);
    return true;
  });
  assert.equal(await pool.apply(add, [2, 2]), 4);
});

Deno.test("a transferred buffer held for a restarting sandbox moves once, intact", async () => {
  await using pool = await Pool.open({ processes: 1, permissions: "none" });
  assert.equal(await pool.apply(square, [2]), 4);
  // buffer_tasks.ts is new to the sandbox: the call waits for a worker that may load it.
  const bytes = new Uint8Array([1, 2, 3]);
  assert.deepEqual([...await pool.apply(incrementBytes, [transfer(bytes)])], [2, 3, 4]);
  assert.equal(bytes.byteLength, 0, "the buffer was moved, not copied");
});
