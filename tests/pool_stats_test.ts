/**
 * `pool.stats` counts the work done, as a user reads it: chunks done, failed and
 * cancelled, busy and idle workers, and summaries of time queued and time running. No
 * assertion is timed: the tests count, and order the summaries.
 */
import assert from "node:assert/strict";
import { Pool, TaskError, WorkerCrashed } from "../mod.ts";
import type { DurationSummary, PoolStats } from "../mod.ts";
import { double, exitWorker } from "./fixtures/fault_tasks.ts";
import { gate, holdAtGate, holdersStarted, openGate } from "./fixtures/stats_tasks.ts";
import { failOnNegative } from "./fixtures/tasks.ts";

/** p50 <= p95 <= p99 <= max, none negative, and nothing counted when nothing ran. */
function assertOrdered(summary: DurationSummary, name: string): void {
  const { count, p50, p95, p99, max } = summary;
  const shown = `${name} ${JSON.stringify(summary)}`;
  assert.ok(0 <= p50 && p50 <= p95 && p95 <= p99 && p99 <= max, shown);
  if (count === 0) assert.equal(max, 0, shown);
}

function assertWorkers(stats: PoolStats): void {
  assert.equal(stats.busy + stats.idle, stats.workers, JSON.stringify(stats));
}

Deno.test("pool.stats counts 10 chunks done and 3 failed, each timed once", async () => {
  await using pool = await Pool.open({ processes: 2 });
  const items = [1, 2, 3, -1, 4, 5, -2, 6, 7, 8, -3, 9, 10];
  const outcomes = await pool.mapSettled(failOnNegative, items, { chunksize: 1 });
  assert.equal(outcomes.filter((o) => o.status === "rejected").length, 3);
  const stats = pool.stats;
  assert.equal(stats.done, 10);
  assert.equal(stats.failed, 3);
  assert.equal(stats.cancelled, 0);
  assert.equal(stats.completed, 13);
  assert.equal(stats.timeQueued.count, 13);
  assert.equal(stats.timeRunning.count, 13);
  assertOrdered(stats.timeQueued, "timeQueued");
  assertOrdered(stats.timeRunning, "timeRunning");
  assert.equal(stats.busy, 0, "every answer is in");
  assert.equal(stats.idle, 2);
  assertWorkers(stats);
});

Deno.test("pool.stats counts a fresh pool's summaries as empty", async () => {
  await using pool = await Pool.open({ processes: 1 });
  const stats = pool.stats;
  assert.deepEqual(stats.timeQueued, { count: 0, p50: 0, p95: 0, p99: 0, max: 0 });
  assert.deepEqual(stats.timeRunning, { count: 0, p50: 0, p95: 0, p99: 0, max: 0 });
  assert.equal(stats.done + stats.failed + stats.cancelled, 0);
  assertWorkers(stats);
});

Deno.test("pool.stats shows busy workers while they hold work, idle ones after", async () => {
  await using pool = await Pool.open({ processes: 3 });
  const held = gate();
  const calls = [pool.apply(holdAtGate, [held, 1]), pool.apply(holdAtGate, [held, 2])];
  await holdersStarted(held, 2);
  const during = pool.stats;
  assert.equal(during.busy, 2);
  assert.equal(during.idle, 1);
  assert.equal(during.running, 2);
  assertWorkers(during);
  openGate(held);
  assert.deepEqual(await Promise.all(calls), [1, 2]);
  const after = pool.stats;
  assert.equal(after.busy, 0);
  assert.equal(after.idle, 3);
  assert.equal(after.done, 2);
  assert.equal(after.timeRunning.count, 2);
  assertOrdered(after.timeRunning, "timeRunning");
});

Deno.test("pool.stats counts a crash and a task's error as failed, a cancel as cancelled", async () => {
  await using pool = await Pool.open({ processes: 1 });
  assert.ok(await pool.apply(exitWorker, [3]).catch((e) => e) instanceof WorkerCrashed);
  assert.ok(await pool.apply(failOnNegative, [-1]).catch((e) => e) instanceof TaskError);
  const held = gate();
  const abort = new AbortController();
  const cancelled = pool.apply(holdAtGate, [held, 1], { signal: abort.signal });
  await holdersStarted(held, 1);
  abort.abort(new Error("no longer needed"));
  await assert.rejects(cancelled, /no longer needed/);
  openGate(held);
  // The one worker takes this only once the cancelled chunk left it.
  assert.equal(await pool.apply(double, [21]), 42);
  const stats = pool.stats;
  assert.equal(stats.failed, 2);
  assert.equal(stats.cancelled, 1);
  assert.equal(stats.done, 1);
  assert.equal(stats.timeRunning.count, 4, "every run that started was timed");
  assertOrdered(stats.timeRunning, "timeRunning");
  assertWorkers(stats);
});
