/**
 * `getContext()`, modelled on CPython's `_TestStartMethod.test_context`: a context is
 * the API bound to one start method (here, one backend).
 *
 * @module
 */
import assert from "node:assert/strict";
import { Effect } from "effect";
import { getAllStartMethods, getContext, Process, SimpleQueue } from "../mod.ts";
import { getContext as getEffectContext, ProcessEffect } from "../lib/effect.ts";
import { osPid, putNumbers } from "./fixtures/context_tasks.ts";

Deno.test("getContext() gives one context per method, defaulting to workers", () => {
  assert.equal(getContext(), getContext("worker"));
  assert.equal(getContext("subprocess"), getContext("subprocess"));
  assert.equal(getContext().getStartMethod(), "worker");
  assert.equal(getContext("subprocess").getStartMethod(), "subprocess");
  assert.deepEqual(getAllStartMethods(), ["worker", "subprocess"]);
  assert.throws(() => getContext("fork" as never), RangeError);
});

Deno.test("a worker context runs processes and pools in this OS process", async () => {
  const ctx = getContext("worker");
  const p = new ctx.Process({ target: osPid });
  assert.ok(p instanceof Process);
  assert.ok(p instanceof ctx.Process);
  await p.start();
  assert.equal(await p.join(), Deno.pid);
  await using pool = await ctx.Pool.open({ processes: 1 });
  assert.equal(await pool.apply(osPid, []), Deno.pid);
});

Deno.test("a subprocess context runs processes and pools in child OS processes", async () => {
  const ctx = getContext("subprocess");
  const p = new ctx.Process({ target: osPid });
  await p.start();
  const childPid = await p.join();
  assert.notEqual(childPid, Deno.pid);
  assert.equal(p.pid, childPid);
  await using pool = await ctx.Pool.open({ processes: 1 });
  assert.notEqual(await pool.apply(osPid, []), Deno.pid);
  const viaEffect = await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const scoped = yield* getEffectContext("subprocess").Pool.make({ processes: 1 });
    return yield* scoped.apply(osPid, []);
  })));
  assert.notEqual(viaEffect, Deno.pid);
});

Deno.test("an explicit backend option wins over the context's", async () => {
  const p = new (getContext("subprocess").Process)({ target: osPid, backend: "worker" });
  await p.start();
  assert.equal(await p.join(), Deno.pid);
});

Deno.test("a subprocess context refuses communication objects, naming the alternative", async () => {
  const p = new (getContext("subprocess").Process)({
    target: putNumbers,
    args: [new SimpleQueue<number | null>(), 1],
  });
  await assert.rejects(async () => await p.start(), /"worker" backend/);
});

Deno.test("the Effect face's context starts scoped processes of its backend, of the one Process class", async () => {
  const ctx = getEffectContext("subprocess");
  assert.equal(ctx.Process, getContext("subprocess").Process);
  const [pid, isProcess] = await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const p = yield* ProcessEffect.start(new ctx.Process({ target: osPid }));
    return [yield* ProcessEffect.join(p), p instanceof Process] as const;
  })));
  assert.notEqual(pid, Deno.pid);
  assert.ok(isProcess);
});
