/**
 * The pool's work in numbers, for `pool.stats`: chunks done, failed and cancelled, and
 * how long chunks waited and ran, as summaries (p50, p95, p99, max). An observer of the
 * engine like any other (see `engine_observer.ts`), kept by every pool.
 *
 * @module
 */
import type { ChunkOutcome, EngineObserver } from "./engine_observer.ts";
import type { Chunk } from "./engine_types.ts";
import type { PoolError } from "./errors.ts";

/**
 * A summary of durations in milliseconds. The percentiles come from a histogram whose
 * buckets are about 9% wide, so each is within 9% above the true value (never above
 * `max`, which is exact); all are 0 while `count` is 0.
 *
 * @example
 * ```ts
 * import { inline, Pool } from "../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const square = inline((x: number) => x * x);
 * await using pool = await Pool.open({ processes: 1 });
 * await pool.map(square, [1, 2, 3], { chunksize: 1 });
 * const { count, p50, max } = pool.stats.timeRunning;
 * assert.equal(count, 3);
 * assert.ok(p50 <= max);
 * ```
 */
export interface DurationSummary {
  /** Durations recorded. */
  readonly count: number;
  /** Half took at most this long. */
  readonly p50: number;
  /** 95% took at most this long. */
  readonly p95: number;
  /** 99% took at most this long. */
  readonly p99: number;
  /** The longest. */
  readonly max: number;
}

/**
 * Buckets per doubling of the duration: each bucket spans a factor of 2^(1/8), about 9%.
 * From 2^-10 ms (1 µs) to 2^22 ms (70 minutes) that is 256 buckets; shorter durations
 * fall in the first, longer ones in the last (`max` stays exact).
 */
const PER_OCTAVE = 8;
const LOWEST_OCTAVE = -10;
const BUCKETS = 256;

/**
 * Durations as a histogram of fixed, logarithmic buckets: memory stays 2 KiB however
 * many chunks a pool runs, recording is O(1) with no allocation, and the counts cover the
 * pool's whole life. A window of the last N samples would be exact but forget all but
 * the recent past, and would have to be sorted on every read.
 *
 * @example
 * ```ts
 * import { DurationHistogram } from "./engine_stats.ts";
 * import assert from "node:assert/strict";
 *
 * const times = new DurationHistogram();
 * for (let ms = 1; ms <= 100; ms++) times.record(ms);
 * const { count, p50, p99, max } = times.summary();
 * assert.equal(count, 100);
 * assert.equal(max, 100);
 * assert.ok(p50 >= 50 && p50 <= 50 * 1.1, `p50 ${p50}`);
 * assert.ok(p99 >= 99 && p99 <= 100);
 * ```
 */
export class DurationHistogram {
  readonly #counts = new Float64Array(BUCKETS);
  #count = 0;
  #max = 0;

  /** Adds one duration, in ms. */
  record(ms: number): void {
    const bucket = ms > 0 ? Math.floor((Math.log2(ms) - LOWEST_OCTAVE) * PER_OCTAVE) : 0;
    this.#counts[bucket < 0 ? 0 : bucket >= BUCKETS ? BUCKETS - 1 : bucket]!++;
    this.#count++;
    if (ms > this.#max) this.#max = ms;
  }

  /** The durations so far, summarised. */
  summary(): DurationSummary {
    return {
      count: this.#count,
      p50: this.#percentile(0.5),
      p95: this.#percentile(0.95),
      p99: this.#percentile(0.99),
      max: this.#max,
    };
  }

  /** The upper edge of the bucket holding the `q`-th duration (nearest rank), at most `max`. */
  #percentile(q: number): number {
    if (this.#count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.#count));
    let seen = 0;
    for (let bucket = 0; bucket < BUCKETS; bucket++) {
      seen += this.#counts[bucket]!;
      if (seen >= rank) {
        return Math.min(2 ** ((bucket + 1) / PER_OCTAVE + LOWEST_OCTAVE), this.#max);
      }
    }
    return this.#max;
  }
}

/**
 * Counts chunks by how they ended and times their waits and runs; `pool.stats` reads
 * it. Reads the engine's stamps (`chunk.queuedAt`, `chunk.startedAt`): it keeps nothing
 * per chunk.
 *
 * @example
 * ```ts
 * import { ChunkStats } from "./engine_stats.ts";
 * import type { Chunk } from "./engine_types.ts";
 * import assert from "node:assert/strict";
 *
 * const stats = new ChunkStats();
 * const chunk = { queuedAt: 10, startedAt: 12 } as Chunk;
 * stats.chunkStarted(chunk, "PoolWorker-1", 12);
 * stats.chunkEnded(chunk, "done", null, 15);
 * assert.equal(stats.done, 1);
 * assert.equal(stats.timeQueued.summary().max, 2);
 * assert.equal(stats.timeRunning.summary().max, 3);
 * ```
 */
export class ChunkStats implements EngineObserver {
  /** Chunks whose every item succeeded. */
  done = 0;
  /** Runs that failed (a task's error, or the chunk's as a whole). */
  failed = 0;
  /** Chunks whose call was cancelled. */
  cancelled = 0;
  /** From `chunk.queuedAt` to the start of its run. */
  readonly timeQueued: DurationHistogram = new DurationHistogram();
  /** From the start of a run to its end. */
  readonly timeRunning: DurationHistogram = new DurationHistogram();

  /** Records how long `chunk` waited. */
  chunkStarted(chunk: Chunk, _worker: string, at: number): void {
    if (chunk.queuedAt !== undefined) this.timeQueued.record(at - chunk.queuedAt);
  }

  /** Counts the end of `chunk`'s run and records how long it ran, if it started. */
  chunkEnded(chunk: Chunk, outcome: ChunkOutcome, _error: PoolError | null, at: number): void {
    if (outcome === "done") this.done++;
    else if (outcome === "cancelled") this.cancelled++;
    else this.failed++;
    if (chunk.startedAt !== undefined) this.timeRunning.record(at - chunk.startedAt);
  }
}
