/**
 * Backpressure (`maxQueue`): who waits for room in the pool's queue. When the queue holds
 * `maxQueue` chunks, a call's chunk waits here instead, in order of arrival; so does a
 * `map` with chunks left to queue (a `ChunkFeed`, which makes each chunk only when it is
 * let in, so a long input is never copied into chunks ahead of time), and a producer
 * waiting for room (`pool.room()`, a lazy map before it pulls more input). As the workers
 * take chunks, the engine lets the waiting in, first come first served, while there is
 * room. Without `maxQueue` nothing ever waits here: the only cost is one comparison.
 *
 * @module
 */
import { Deque } from "./deque.ts";
import type { Chunk, Job } from "./engine_types.ts";
import type { PoolError } from "./errors.ts";

/**
 * A call's chunks, made one at a time as the queue has room for them (`Engine.feed`).
 *
 * @example
 * ```ts
 * import type { ChunkFeed } from "./engine_admission.ts";
 * import type { Chunk, Job } from "./engine_types.ts";
 *
 * function feedOf(job: Job, items: readonly unknown[]): ChunkFeed {
 *   let seq = 0;
 *   return {
 *     job,
 *     get done() {
 *       return seq >= items.length;
 *     },
 *     next: (): Chunk | undefined =>
 *       seq < items.length ? { job, seq, items: [items[seq++]] } : undefined,
 *   };
 * }
 * void feedOf;
 * ```
 */
export interface ChunkFeed {
  readonly job: Job;
  /** Whether no chunk is left to make (or the call ended early). */
  readonly done: boolean;
  /** The next chunk, or undefined when none is left. */
  next(): Chunk | undefined;
}

/** Something waiting for room: a chunk, a call's feed, or a producer to wake. */
type Waiting = Chunk | ChunkFeed | (() => void);

/** The pool's queue, as the line in front of it sees it (`ChunkBooks`). */
interface Queue {
  readonly size: number;
  push(chunk: Chunk, at: number): void;
}

/**
 * The waiting line in front of the queue.
 *
 * @example
 * ```ts
 * import { Admission } from "./engine_admission.ts";
 * import type { Chunk } from "./engine_types.ts";
 * import assert from "node:assert/strict";
 *
 * const queue: Chunk[] = [];
 * const line = new Admission(1);
 * assert.equal(line.hasRoom(queue.length), true);
 * queue.push({ seq: 0 } as Chunk);
 * line.wait({ seq: 1 } as Chunk); // the queue is full: it waits
 * assert.equal(line.waiting, 1);
 * queue.shift(); // a worker took one
 * line.admit(queue.length, (chunk) => queue.push(chunk));
 * assert.deepEqual(queue.map((chunk) => chunk.seq), [1]);
 * ```
 */
export class Admission {
  /** Chunks the queue may hold; Infinity without `maxQueue`. */
  readonly max: number;
  readonly #line = new Deque<Waiting>();
  /** Chunks and feeds in the line (the rest are producers to wake). */
  #work = 0;

  /** A line in front of a queue of at most `max` chunks (Infinity: no limit). */
  constructor(max: number) {
    this.max = max;
  }

  /** Entries in the line: chunks, feeds and producers. */
  get size(): number {
    return this.#line.size;
  }

  /** Calls whose work waits in the line: chunks, and feeds with chunks left. */
  get waiting(): number {
    return this.#work;
  }

  /** Whether a chunk may join a queue of `queued` chunks now: no one waits, and it has room. */
  hasRoom(queued: number): boolean {
    return this.#line.size === 0 && queued < this.max;
  }

  /**
   * A call's chunk, or its feed, arrives: its chunks join `queue` (queued `at`) while it
   * has room and no one waits; the rest wait in the line.
   */
  enter(entry: Chunk | ChunkFeed, queue: Queue, at: number): void {
    if (!("next" in entry)) {
      if (this.hasRoom(queue.size)) queue.push(entry, at);
      else this.wait(entry);
      return;
    }
    while (!entry.done) {
      if (!this.hasRoom(queue.size)) return this.wait(entry);
      const chunk = entry.next();
      if (chunk === undefined) return;
      queue.push(chunk, at);
    }
  }

  /**
   * Calls `wake` at once when there is `room`, else once the line reaches it; returns a
   * function that takes it out of the line.
   */
  whenRoom(room: boolean, wake: () => void): () => void {
    if (room) {
      wake();
      return () => {};
    }
    this.wait(wake);
    return () => this.removeWaiter(wake);
  }

  /** Puts `entry` at the back of the line; a function is called once there is room. */
  wait(entry: Waiting): void {
    this.#line.push(entry);
    if (typeof entry !== "function") this.#work++;
  }

  /**
   * Lets the line in while a queue of `queued` chunks has room, first come first served:
   * a chunk joins the queue (through `push`), a feed gives one chunk and goes to the back
   * of the line if it has more, a producer is woken. Room is counted for each producer
   * woken in this pass, as it will queue a chunk soon.
   *
   * @returns The chunks that joined the queue.
   */
  admit(queued: number, push: (chunk: Chunk) => void): number {
    let admitted = 0;
    let promised = 0;
    while (this.#line.size > 0 && queued + admitted + promised < this.max) {
      const entry = this.#line.shift()!;
      if (typeof entry === "function") {
        promised++;
        entry();
      } else if ("next" in entry) {
        const chunk = entry.done ? undefined : entry.next();
        if (chunk !== undefined) {
          push(chunk);
          admitted++;
        }
        if (chunk !== undefined && !entry.done) this.#line.push(entry);
        else this.#work--;
      } else {
        this.#work--;
        push(entry);
        admitted++;
      }
    }
    return admitted;
  }

  /** Takes the waiting work of `job` (cancelled) out of the line. */
  removeJob(job: Job): void {
    if (this.#work === 0) return;
    this.#keep((entry) => typeof entry === "function" || entry.job !== job);
  }

  /** Takes a producer out of the line (it stopped waiting). */
  removeWaiter(wake: () => void): void {
    this.#keep((entry) => entry !== wake);
  }

  /**
   * Empties the line once the pool takes no more work: every call waiting hears `error`
   * for each of its chunks (unless it was cancelled), then the producers are woken.
   */
  fail(error: PoolError): void {
    const wake: Array<() => void> = [];
    for (const entry of this.#line.drain()) {
      if (typeof entry === "function") wake.push(entry);
      else if ("next" in entry) failFeed(entry, error);
      else if (!entry.job.cancelled) entry.job.listener.failed(entry, error);
    }
    this.#work = 0;
    for (const producer of wake) producer();
  }

  #keep(keep: (entry: Waiting) => boolean): void {
    for (const entry of this.#line.drain()) {
      if (keep(entry)) this.#line.push(entry);
      else if (typeof entry !== "function") this.#work--;
    }
  }
}

/**
 * Fails every chunk `feed` has left with `error` (unless its call was cancelled): a call
 * the pool can no longer take.
 *
 * @example
 * ```ts
 * import { failFeed } from "./engine_admission.ts";
 * import type { Chunk, Job } from "./engine_types.ts";
 * import { PoolClosed } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * const failed: number[] = [];
 * const job = { cancelled: false, listener: { failed: (c: Chunk) => failed.push(c.seq) } };
 * let seq = 0;
 * const next = () => seq < 3 ? { job, seq: seq++, items: [] } as unknown as Chunk : undefined;
 * failFeed({ job: job as unknown as Job, done: false, next }, new PoolClosed({ message: "closed" }));
 * assert.deepEqual(failed, [0, 1, 2]);
 * ```
 */
export function failFeed(feed: ChunkFeed, error: PoolError): void {
  for (let chunk = feed.next(); chunk !== undefined; chunk = feed.next()) {
    if (!feed.job.cancelled) feed.job.listener.failed(chunk, error);
  }
}
