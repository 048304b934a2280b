/**
 * A pool's Effect metrics: the counters and histograms match the work done (and
 * `pool.stats`), the gauges read the pool as it is, each series is tagged with its
 * pool's name, and the gauges leave the registry with the pool.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Context, Effect, Fiber, Metric } from "effect";
import { type BenchReport, formatBench } from "../lib/cli/bench.ts";
import { Progress } from "../lib/cli/progress.ts";
import { Pool, PoolMetrics } from "../lib/effect.ts";
import type { PoolStats } from "../lib/engine_types.ts";
import { assertNoLiveWorkers } from "../lib/testing.ts";
import { itEffect, waitUntil } from "./_effect_pool.ts";
import {
  coordination,
  failOnMultipleOfThree,
  GATE,
  increment,
  STARTED,
  startThenHold,
} from "./fixtures/pool_tasks.ts";

/** The series of `metric` for the pool named `pool`, read now. */
const valueOf = <S>(metric: Metric.Metric<never, S>, pool: string) =>
  Metric.value(Metric.withAttributes(metric, { pool }));

/** Runs `body` with a registry of its own, so that no other test's series mix in. */
const isolated = <A, E, R>(body: Effect.Effect<A, E, R>) =>
  body.pipe(Effect.provideService(Metric.MetricRegistry, new Map()));

/** Asserts that the counters and histograms of `pool` match its `stats`. */
const matchStats = (pool: string, stats: PoolStats) =>
  Effect.gen(function* () {
    assert.equal((yield* valueOf(PoolMetrics.chunksDone, pool)).count, stats.done);
    assert.equal((yield* valueOf(PoolMetrics.chunksFailed, pool)).count, stats.failed);
    assert.equal((yield* valueOf(PoolMetrics.chunksCancelled, pool)).count, stats.cancelled);
    assert.equal((yield* valueOf(PoolMetrics.timeQueued, pool)).count, stats.timeQueued.count);
    assert.equal((yield* valueOf(PoolMetrics.timeRunning, pool)).count, stats.timeRunning.count);
  });

itEffect(
  "the metrics count the work done: chunks done and failed, and their times",
  () =>
    isolated(Effect.gen(function* () {
      const pool = yield* Pool.make({ processes: 2, name: "counted" });
      const input = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
      yield* pool.mapSettled(failOnMultipleOfThree, input, { chunksize: 1 }); // 3, 6, 9 fail
      yield* pool.map(increment, [1, 2, 3, 4], { chunksize: 2 });
      assert.equal((yield* valueOf(PoolMetrics.chunksDone, "counted")).count, 9);
      assert.equal((yield* valueOf(PoolMetrics.chunksFailed, "counted")).count, 3);
      assert.equal((yield* valueOf(PoolMetrics.chunksCancelled, "counted")).count, 0);
      const running = yield* valueOf(PoolMetrics.timeRunning, "counted");
      assert.equal(running.count, 12);
      assert.ok(running.min >= 0 && running.min <= running.max);
      assert.equal(running.buckets.at(-1)![1], 12, "the buckets count every run, cumulatively");
      assert.equal((yield* valueOf(PoolMetrics.timeQueued, "counted")).count, 12);
      yield* matchStats("counted", yield* pool.stats);
    })),
);

itEffect(
  "the gauges read the queue and the busy and idle workers as they are",
  () =>
    isolated(Effect.gen(function* () {
      const buffer = coordination();
      const view = new Int32Array(buffer);
      const pool = yield* Pool.make({ processes: 2, name: "gauged" });
      const gauges = Effect.gen(function* () {
        return {
          queued: (yield* valueOf(PoolMetrics.queued, "gauged")).value,
          busy: (yield* valueOf(PoolMetrics.busyWorkers, "gauged")).value,
          idle: (yield* valueOf(PoolMetrics.idleWorkers, "gauged")).value,
        };
      });
      const args = Array.from({ length: 8 }, (_, i) => [buffer, i] as [SharedArrayBuffer, number]);
      const held = yield* Effect.forkChild(pool.starmap(startThenHold, args, { chunksize: 1 }));
      yield* waitUntil(view, STARTED, 2);
      // Both workers hold work until the gate opens: nothing moves meanwhile.
      const stats = yield* pool.stats;
      assert.deepEqual(yield* gauges, { queued: stats.queued, busy: 2, idle: 0 });
      assert.ok(stats.queued > 0, "some chunks wait in the queue");
      Atomics.store(view, GATE, 1);
      assert.equal((yield* Fiber.join(held)).length, 8);
      assert.deepEqual(yield* gauges, { queued: 0, busy: 0, idle: 2 });
    })),
);

itEffect(
  "cancelled chunks are counted, and every count matches pool.stats",
  () =>
    isolated(Effect.gen(function* () {
      const buffer = coordination();
      const view = new Int32Array(buffer);
      const pool = yield* Pool.make({ processes: 2, name: "cancelling" });
      const args = Array.from({ length: 8 }, (_, i) => [buffer, i] as [SharedArrayBuffer, number]);
      const held = yield* Effect.forkChild(pool.starmap(startThenHold, args, { chunksize: 1 }));
      yield* waitUntil(view, STARTED, 2);
      yield* Fiber.interrupt(held);
      Atomics.store(view, GATE, 1);
      // Queued behind what the cancelled call left: once it ran, all of that has ended.
      yield* pool.map(increment, [1, 2], { chunksize: 1 });
      const stats = yield* pool.stats;
      assert.ok(stats.cancelled > 0, "the interrupted call's chunks ended cancelled");
      yield* matchStats("cancelling", stats);
    })),
);

Deno.test("each pool has its own series, and they leave the registry when it closes", async () => {
  const registry: Metric.MetricRegistry = new Map();
  const series = () =>
    Metric.snapshotUnsafe(Context.make(Metric.MetricRegistry, registry))
      .filter((s) => s.id.startsWith("multiprocessing_pool_"))
      .map((s) => `${s.type} ${s.attributes?.pool}`);
  const program = Effect.gen(function* () {
    const a = yield* Pool.make({ processes: 1, name: "a" });
    const b = yield* Pool.make({ processes: 1, name: "b" });
    yield* a.map(increment, [1, 2, 3], { chunksize: 1 });
    yield* b.map(increment, [1], { chunksize: 1 });
    assert.equal((yield* valueOf(PoolMetrics.chunksDone, "a")).count, 3);
    assert.equal((yield* valueOf(PoolMetrics.chunksDone, "b")).count, 1);
    assert.equal((yield* valueOf(PoolMetrics.timeRunning, "b")).count, 1);
    const each = (pool: string) => series().filter((s) => s.endsWith(` ${pool}`)).sort();
    const eight = [
      "Counter",
      "Counter",
      "Counter",
      "Gauge",
      "Gauge",
      "Gauge",
      "Histogram",
      "Histogram",
    ];
    assert.deepEqual(each("a").map((s) => s.split(" ")[0]), eight);
    assert.deepEqual(each("b").map((s) => s.split(" ")[0]), eight);
  });
  await Effect.runPromise(
    Effect.scoped(program).pipe(Effect.provideService(Metric.MetricRegistry, registry)),
  );
  assert.deepEqual(series(), [], "the series left with their pools");
  await assertNoLiveWorkers();
});

Deno.test("map's progress summary ends with how long the pool's chunks ran", () => {
  const lines: string[] = [];
  const sink = {
    writeSync(bytes: Uint8Array) {
      lines.push(new TextDecoder().decode(bytes));
      return bytes.length;
    },
  };
  const summary = { count: 40, p50: 0.42, p95: 12.34, p99: 20, max: 31 };
  const progress = new Progress(sink, { terminal: false, interval: 60_000 });
  progress.done(40);
  progress.finish("map", { timeRunning: summary });
  assert.match(
    lines.join(""),
    /^map: 40 done, 0 failed, .*, chunks ran p50 0\.42 ms, p95 12\.3 ms\n$/,
  );
  lines.length = 0;
  const none = new Progress(sink, { terminal: false, interval: 60_000 });
  none.finish("map", { timeRunning: { ...summary, count: 0 } });
  assert.doesNotMatch(lines.join(""), /chunks ran/, "no chunk ran: nothing to say");
});

Deno.test("bench's report shows how long its chunks waited and ran", () => {
  const report: BenchReport = {
    deno: "2.9.6",
    cores: 2,
    processes: 2,
    tasks: 4,
    iterations: 1000,
    taskMs: 5,
    poolReadyMs: 30,
    singleMs: 20,
    poolMs: 11,
    speedup: 1.82,
    efficiency: 0.91,
    chunks: { count: 16, queuedP50Ms: 4.8, queuedP95Ms: 9.9, runningP50Ms: 5.2, runningP95Ms: 6 },
    overhead: {
      messages: 50,
      poolRoundTripUs: 90,
      rawRoundTripUs: 60,
      poolPipelinedUs: 8,
      rawPipelinedUs: 5,
    },
  };
  const text = formatBench(report);
  assert.match(
    text,
    /^chunks: +16 ran: queued p50 4\.8 ms, p95 9\.9 ms; running p50 5\.2 ms, p95 6 ms$/m,
  );
  assert.match(text, /^speedup: +1\.82x$/m, "the other rows are as before");
});
