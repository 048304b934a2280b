/**
 * The engine's books of chunks: the queue of chunks waiting for a worker, and the one
 * place where a chunk's life is told to the engine's observers (queued, started, ended)
 * and its end to its call. The engine decides what happens to a chunk; these books make
 * sure each end is told exactly once, in order, and counted (`pool.stats`).
 *
 * The pool's own stats are always kept, and called directly; other observers go through
 * `combineObservers`, behind one `if`. A `performance.now()` costs about 0.1 µs here, so
 * the engine reads the clock once per turn for the chunks queued in it, and a chunk's
 * start and end reuse the reads its worker's books already make: measured with scripted
 * workers (20,000 one-item calls in flight), the stats then cost 0.05 to 0.2 µs a chunk,
 * and nothing W1 or W2 of `bench/pool_bench.ts` can tell apart from noise.
 *
 * @module
 */
import { Deque } from "./deque.ts";
import { type ChunkOutcome, combineObservers, type EngineObserver } from "./engine_observer.ts";
import { ChunkStats } from "./engine_stats.ts";
import type { Chunk, PoolStats } from "./engine_types.ts";
import type { PoolError } from "./errors.ts";
import type { WorkerSlot } from "./worker_slot.ts";

/** The part of `PoolStats` the chunks' books know. */
export type ChunkCounts = Pick<
  PoolStats,
  "queued" | "completed" | "done" | "failed" | "cancelled" | "timeQueued" | "timeRunning"
>;

/**
 * The queue and the observers of one engine.
 *
 * @example
 * ```ts
 * import { ChunkBooks } from "./engine_chunks.ts";
 * import type { Chunk } from "./engine_types.ts";
 * import assert from "node:assert/strict";
 *
 * const heard: string[] = [];
 * const books = new ChunkBooks({ chunkQueued: (chunk) => heard.push(`queued ${chunk.seq}`) });
 * books.push({ seq: 0 } as Chunk, performance.now());
 * assert.equal(books.counts().queued, 1);
 * assert.deepEqual(heard, ["queued 0"]);
 * ```
 */
export class ChunkBooks {
  readonly #queue = new Deque<Chunk>();
  readonly #stats = new ChunkStats();
  readonly #observers: EngineObserver[];
  /** Every observer but the stats as one, or null when none listens: one `if` per event. */
  #observer: Required<EngineObserver> | null;
  #completed = 0;
  /** Moving average of how long a chunk keeps a worker busy, in ms. */
  #chunkMs = Infinity;

  /** Books told to the pool's own stats and to `observer`, if given. */
  constructor(observer?: EngineObserver) {
    this.#observers = observer ? [observer] : [];
    this.#observer = combineObservers(this.#observers);
  }

  /** Adds an observer; returns a function that removes it. */
  observe(observer: EngineObserver): () => void {
    this.#observers.push(observer);
    this.#observer = combineObservers(this.#observers);
    return () => {
      const at = this.#observers.indexOf(observer);
      if (at < 0) return;
      this.#observers.splice(at, 1);
      this.#observer = combineObservers(this.#observers);
    };
  }

  /** Chunks waiting for a worker. */
  get size(): number {
    return this.#queue.size;
  }

  /** Moving average of how long a chunk keeps a worker busy, in ms (Infinity before any). */
  get chunkMs(): number {
    return this.#chunkMs;
  }

  /** The counters and summaries of `pool.stats` that concern chunks. */
  counts(): ChunkCounts {
    const stats = this.#stats;
    return {
      queued: this.#queue.size,
      completed: this.#completed,
      done: stats.done,
      failed: stats.failed,
      cancelled: stats.cancelled,
      timeQueued: stats.timeQueued.summary(),
      timeRunning: stats.timeRunning.summary(),
    };
  }

  /** The chunk next in line, left in place. */
  peek(): Chunk | undefined {
    return this.#queue.peek();
  }

  /** Takes the chunk next in line. */
  shift(): Chunk | undefined {
    return this.#queue.shift();
  }

  /** Takes every queued chunk, in order. */
  drain(): Chunk[] {
    return this.#queue.drain();
  }

  /** A call's chunk joins the back of the queue, `at` (`performance.now()`). */
  push(chunk: Chunk, at: number): void {
    this.#queue.push(chunk);
    chunk.queuedAt = at;
    const observer = this.#observer;
    if (observer !== null) observer.chunkQueued(chunk, at);
  }

  /**
   * Chunks sent to a worker that never ran them (it crashed, or failed to start) go back
   * to the front, in order, keeping their time in the queue.
   */
  putBack(chunks: readonly Chunk[]): void {
    for (let i = chunks.length - 1; i >= 0; i--) {
      const chunk = chunks[i]!;
      chunk.startedAt = undefined; // if it did start, its next run starts afresh
      this.#queue.unshift(chunk);
    }
  }

  /**
   * Queues a chunk whose run failed at the front again, if its call allows another run
   * (not cancelled, `retries` left); false if not.
   */
  retry(chunk: Chunk): boolean {
    const attempts = chunk.attempts ?? 0;
    if (chunk.job.cancelled || attempts >= chunk.job.faults.retries) return false;
    chunk.attempts = attempts + 1;
    this.#queue.unshift(chunk);
    chunk.startedAt = undefined;
    const at = chunk.queuedAt = performance.now();
    this.#observer?.chunkQueued(chunk, at);
    return true;
  }

  /** Tells observers that the chunk now at the head of `slot`'s line started, if it did. */
  headStarted(slot: WorkerSlot): void {
    const head = slot.running;
    if (head === undefined || !slot.ready || head.startedAt !== undefined) return;
    const at = head.startedAt = slot.since;
    this.#stats.chunkStarted(head, slot.name, at);
    const observer = this.#observer;
    if (observer !== null) observer.chunkStarted(head, slot.name, at);
  }

  /**
   * Takes the chunk running on `slot`, answered with `outcome`, off the worker's books;
   * its call hears of it from the caller, after this.
   */
  answered(slot: WorkerSlot, chunk: Chunk, outcome: ChunkOutcome, error: PoolError | null): void {
    const took = slot.take();
    this.#completed++;
    this.#chunkMs = this.#chunkMs === Infinity ? took : 0.9 * this.#chunkMs + 0.1 * took;
    this.#ended(chunk, outcome, error, slot.since);
    this.headStarted(slot);
  }

  /**
   * A chunk's run failed as a whole (`WorkerCrashed`, `TaskTimeout`): observers hear it.
   * Its call hears it from the caller, unless the chunk runs again.
   */
  runFailed(chunk: Chunk, error: PoolError): void {
    this.#ended(chunk, "failed", error, performance.now());
  }

  /**
   * Ends a chunk that will not run (again): observers hear it, then its call, unless the
   * call was cancelled (`error` is then ignored, and may be null).
   */
  fail(chunk: Chunk, error: PoolError | null): void {
    const { job } = chunk;
    if (job.cancelled) return this.#ended(chunk, "cancelled", null, performance.now());
    this.#ended(chunk, "failed", error, performance.now());
    job.listener.failed(chunk, error!);
  }

  #ended(chunk: Chunk, outcome: ChunkOutcome, error: PoolError | null, at: number): void {
    this.#stats.chunkEnded(chunk, outcome, error, at);
    const observer = this.#observer;
    if (observer !== null) observer.chunkEnded(chunk, outcome, error, at);
  }
}
