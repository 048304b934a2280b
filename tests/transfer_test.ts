import assert from "node:assert/strict";
import { Pool, Process, transfer } from "../mod.ts";
import { assertNoLiveWorkers } from "../lib/testing.ts";
import { bounce, incrementBytes, incrementBytesMoved } from "./fixtures/buffer_tasks.ts";

Deno.test("transfer() moves an argument's buffer into the worker and back", async () => {
  {
    await using pool = await Pool.open({ processes: 1 });
    const bytes = new Uint8Array(32 * 1024 * 1024).fill(41);
    const back = await pool.apply(incrementBytesMoved, [transfer(bytes)]);
    assert.equal(bytes.byteLength, 0, "the caller's buffer moved away");
    assert.equal(back.byteLength, 32 * 1024 * 1024);
    assert.equal(back[0], 42);
    assert.equal(back[back.length - 1], 42);
  }
  await assertNoLiveWorkers();
});

Deno.test("without transfer() buffers are copied and the caller keeps its own", async () => {
  await using pool = await Pool.open({ processes: 1 });
  const bytes = new Uint8Array(1024).fill(1);
  const back = await pool.apply(incrementBytes, [bytes]);
  assert.equal(bytes[0], 1, "the caller's copy is untouched");
  assert.equal(back[0], 2);
});

Deno.test("transfer() works for a Process argument and in map items", async () => {
  const buffer = new ArrayBuffer(16);
  const p = new Process({ target: bounce, args: [transfer(buffer)] });
  await p.start();
  const back = await p.join();
  assert.equal(buffer.byteLength, 0);
  assert.equal(back?.byteLength, 16);
  await using pool = await Pool.open({ processes: 2 });
  const buffers = [new ArrayBuffer(8), new ArrayBuffer(8)];
  const moved = await pool.map(bounce, buffers.map((b) => transfer(b)));
  assert.deepEqual(moved.map((b) => b.byteLength), [8, 8]);
  assert.deepEqual(buffers.map((b) => b.byteLength), [0, 0]);
});

Deno.test("transfer() refuses what it cannot move", () => {
  assert.throws(() => transfer("text" as unknown as ArrayBuffer), TypeError);
  assert.throws(
    () => transfer(new Uint8Array(new SharedArrayBuffer(8))),
    /Cannot transfer a view over a SharedArrayBuffer/,
  );
});
