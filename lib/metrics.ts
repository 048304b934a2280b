/**
 * A pool's work as Effect `Metric`s, on the Effect face: queue depth, busy and idle
 * workers, chunks done, failed and cancelled, and histograms of the time chunks waited and
 * ran. Every series carries the attribute `pool` (the pool's name), and lives in the
 * metric registry of the fiber that opened the pool (`Metric.MetricRegistry`).
 *
 * Every series is read from the pool when the metrics are read (`Metric.registerUnsafe`),
 * rather than updated as chunks go: the gauges and counters from `pool.stats`, the
 * histograms from books an observer of the engine keeps (`engine_observer.ts`: a bucket
 * and four numbers per chunk, no Effect call). So a pool's metrics cost the hot path
 * next to nothing, and every series leaves the registry when the pool closes.
 *
 * @module
 */
import type * as Context from "effect/Context";
import * as Metric from "effect/Metric";
import type { Engine } from "./engine.ts";
import type { ChunkOutcome, EngineObserver } from "./engine_observer.ts";
import type { Chunk, PoolStats } from "./engine_types.ts";
import type { PoolError } from "./errors.ts";

/** Boundaries of the duration histograms, in ms: 0.01 ms to about 84 s, doubling, then ∞. */
const MS_BOUNDARIES: readonly number[] = Metric.exponentialBoundaries({
  start: 0.01,
  factor: 2,
  count: 25,
});

/**
 * The metrics of every pool opened on the Effect face; see `PoolMetrics`.
 *
 * @example
 * ```ts
 * import { PoolMetrics, type PoolMetricSet } from "./metrics.ts";
 * import assert from "node:assert/strict";
 *
 * const metrics: PoolMetricSet = PoolMetrics;
 * assert.equal(metrics.chunksDone.id, "multiprocessing_pool_chunks_done");
 * ```
 */
export interface PoolMetricSet {
  /** Chunks waiting for a worker (`pool.stats.queued`). */
  readonly queued: Metric.Gauge<number>;
  /** Workers holding work (`pool.stats.busy`). */
  readonly busyWorkers: Metric.Gauge<number>;
  /** Workers holding none (`pool.stats.idle`). */
  readonly idleWorkers: Metric.Gauge<number>;
  /** Chunks that ran and whose every item succeeded (`pool.stats.done`). */
  readonly chunksDone: Metric.Counter<number>;
  /** Runs of chunks that failed, a task's error or the chunk's as a whole (`pool.stats.failed`). */
  readonly chunksFailed: Metric.Counter<number>;
  /** Chunks whose call was cancelled (`pool.stats.cancelled`). */
  readonly chunksCancelled: Metric.Counter<number>;
  /** Milliseconds from a chunk's call (or retry) to the start of its run. */
  readonly timeQueued: Metric.Histogram<number>;
  /** Milliseconds from the start of a chunk's run to its end. */
  readonly timeRunning: Metric.Histogram<number>;
}

/**
 * The metrics every pool of the Effect face keeps, each series tagged with the
 * attribute `pool` (the pool's `name`: give pools their own names to tell them apart).
 * Read them with `Metric.snapshot`, or one of them with `Metric.value` after
 * `Metric.withAttributes(metric, { pool: name })`.
 *
 * @example Chunks done, as a metric
 * ```ts
 * import { Effect, Metric } from "effect";
 * import { inline, Pool, PoolMetrics } from "./effect.ts";
 * import assert from "node:assert/strict";
 *
 * const square = inline((x: number) => x * x);
 * const program = Effect.gen(function* () {
 *   const pool = yield* Pool.make({ processes: 1, name: "squares" });
 *   yield* pool.map(square, [1, 2, 3], { chunksize: 1 });
 *   const done = Metric.withAttributes(PoolMetrics.chunksDone, { pool: "squares" });
 *   return (yield* Metric.value(done)).count;
 * });
 * assert.equal(await Effect.runPromise(Effect.scoped(program)), 3);
 * ```
 */
export const PoolMetrics: PoolMetricSet = {
  queued: Metric.gauge("multiprocessing_pool_queued_chunks", {
    description: "Chunks waiting for a worker",
  }),
  busyWorkers: Metric.gauge("multiprocessing_pool_busy_workers", {
    description: "Workers holding work: a chunk running, or sent to them",
  }),
  idleWorkers: Metric.gauge("multiprocessing_pool_idle_workers", {
    description: "Workers holding no work",
  }),
  chunksDone: Metric.counter("multiprocessing_pool_chunks_done", {
    description: "Chunks that ran and whose every item succeeded",
    incremental: true,
  }),
  chunksFailed: Metric.counter("multiprocessing_pool_chunks_failed", {
    description: "Runs of chunks that failed: a task threw, or the chunk failed as a whole",
    incremental: true,
  }),
  chunksCancelled: Metric.counter("multiprocessing_pool_chunks_cancelled", {
    description: "Chunks whose call was cancelled",
    incremental: true,
  }),
  timeQueued: Metric.histogram("multiprocessing_pool_time_queued_ms", {
    description: "Milliseconds from a chunk's call to the start of its run",
    boundaries: MS_BOUNDARIES,
  }),
  timeRunning: Metric.histogram("multiprocessing_pool_time_running_ms", {
    description: "Milliseconds from the start of a chunk's run to its end",
    boundaries: MS_BOUNDARIES,
  }),
};

/**
 * Keeps a pool's metrics in `context`'s registry from now on: registers its series, read
 * from the pool when the metrics are read, and attaches the observer that keeps the
 * histograms' books.
 *
 * @param engine The pool's engine.
 * @param pool The pool's name: each series' `pool` attribute.
 * @param context The context of the fiber that opens the pool (its `MetricRegistry`).
 * @returns Stops: detaches the observer and removes the series.
 *
 * @example
 * ```ts
 * import { Context, Metric } from "effect";
 * import { Engine } from "./engine.ts";
 * import { engineOptions } from "./pool_options.ts";
 * import { watchPool } from "./metrics.ts";
 * import assert from "node:assert/strict";
 *
 * const context = Context.make(Metric.MetricRegistry, new Map());
 * const engine = new Engine(engineOptions({ processes: 1 }));
 * const stop = watchPool(engine, "docs", context);
 * assert.equal(Metric.snapshotUnsafe(context).length, 8);
 * stop();
 * assert.equal(Metric.snapshotUnsafe(context).length, 0);
 * ```
 */
export function watchPool(
  engine: Engine,
  pool: string,
  context: Context.Context<never>,
): () => void {
  const books = new DurationBooks();
  const unobserve = engine.observe(books);
  /** Registers `metric`'s series of this pool, whose state `get` reads. */
  const series = <I, S>(metric: Metric.Metric<I, S>, get: () => S) =>
    Metric.registerUnsafe(Metric.withAttributes(metric, { pool }), context, {
      get,
      update: () => {},
      modify: () => {},
    });
  const gauge = (read: (stats: PoolStats) => number) => () => ({ value: read(engine.stats) });
  const counter = (read: (stats: PoolStats) => number) => () => ({
    count: read(engine.stats),
    incremental: true,
  });
  const registrations = [
    series(PoolMetrics.queued, gauge((stats) => stats.queued)),
    series(PoolMetrics.busyWorkers, gauge((stats) => stats.busy)),
    series(PoolMetrics.idleWorkers, gauge((stats) => stats.idle)),
    series(PoolMetrics.chunksDone, counter((stats) => stats.done)),
    series(PoolMetrics.chunksFailed, counter((stats) => stats.failed)),
    series(PoolMetrics.chunksCancelled, counter((stats) => stats.cancelled)),
    series(PoolMetrics.timeQueued, () => books.queued.state()),
    series(PoolMetrics.timeRunning, () => books.running.state()),
  ];
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    unobserve();
    for (const registration of registrations) registration.remove();
  };
}

/**
 * Durations in the buckets of `MS_BOUNDARIES`, with their count, sum, min and max: what
 * an Effect histogram keeps, kept here with no Effect call per duration.
 */
class Durations {
  readonly #counts = new Float64Array(MS_BOUNDARIES.length);
  #count = 0;
  #sum = 0;
  #min = Number.MAX_VALUE;
  #max = -Number.MAX_VALUE;

  record(ms: number): void {
    let bucket = 0;
    // The last boundary is Infinity: the scan always stops.
    while (ms > MS_BOUNDARIES[bucket]!) bucket++;
    this.#counts[bucket]!++;
    this.#count++;
    this.#sum += ms;
    if (ms < this.#min) this.#min = ms;
    if (ms > this.#max) this.#max = ms;
  }

  /** As Effect's histograms give it: cumulative counts at each boundary. */
  state(): Metric.HistogramState {
    const buckets: Array<[number, number]> = [];
    let cumulated = 0;
    for (let i = 0; i < MS_BOUNDARIES.length; i++) {
      cumulated += this.#counts[i]!;
      buckets.push([MS_BOUNDARIES[i]!, cumulated]);
    }
    return { buckets, count: this.#count, min: this.#min, max: this.#max, sum: this.#sum };
  }
}

/** Times chunks' waits and runs, as `pool.stats` does (`engine_stats.ts`), for the histograms. */
class DurationBooks implements EngineObserver {
  readonly queued: Durations = new Durations();
  readonly running: Durations = new Durations();

  chunkStarted(chunk: Chunk, _worker: string, at: number): void {
    if (chunk.queuedAt !== undefined) this.queued.record(at - chunk.queuedAt);
  }

  chunkEnded(chunk: Chunk, _outcome: ChunkOutcome, _error: PoolError | null, at: number): void {
    if (chunk.startedAt !== undefined) this.running.record(at - chunk.startedAt);
  }
}
