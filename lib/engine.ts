/**
 * The pool's engine: a plain state machine driven by worker messages, with no fiber or
 * Promise per item, so the hot path stays close to raw `postMessage`. The Effect and
 * Promise faces own its lifetime. This file is the pool's lifecycle: opening, taking
 * work, cancelling, closing, draining, terminating. The rest of the engine lives beside it:
 *
 * - `engine_reports.ts`: what a worker says, checked against its state;
 * - `engine_recovery.ts`: replacing a worker that crashed, timed out or failed to start,
 *   retrying its chunk, and giving up on starts that keep failing;
 * - `dispatch.ts`: which worker gets which chunk next, and how runs leave;
 * - `engine_workers.ts` and `worker_slot.ts`: starting and dropping workers, and each
 *   worker's books (its chunks in flight, its timers);
 * - `engine_chunks.ts`: the queue, and each chunk's end told once to its observers
 *   (`engine_observer.ts`; the pool's own stats are one, `engine_stats.ts`) and its call;
 * - `engine_admission.ts`: calls waiting for room in the queue (`maxQueue`);
 * - `engine_sizing.ts`: an elastic pool's growth and idle workers (`maxProcesses`).
 *
 * @module
 */
import { dispatch, type DispatchState } from "./dispatch.ts";
import { Admission, type ChunkFeed, failFeed } from "./engine_admission.ts";
import { ChunkBooks } from "./engine_chunks.ts";
import type { EngineObserver } from "./engine_observer.ts";
import { WorkerRecovery } from "./engine_recovery.ts";
import { readMessage, type ReportActions } from "./engine_reports.ts";
import type {
  Chunk,
  EngineOptions,
  Job,
  JobFaults,
  JobListener,
  JobSpec,
  PoolStats,
} from "./engine_types.ts";
import { PoolSizing } from "./engine_sizing.ts";
import { PoolWorkers } from "./engine_workers.ts";
import { PoolClosed, type PoolError, type TaskError, type WorkerCrashed } from "./errors.ts";
import type { WorkerSlot } from "./worker_slot.ts";

export type { ChunkFeed } from "./engine_admission.ts";
export type {
  Backend,
  Chunk,
  EngineOptions,
  Job,
  JobFaults,
  JobListener,
  JobSpec,
  PoolStats,
} from "./engine_types.ts";

type Phase = "opening" | "open" | "closed" | "terminated";

/**
 * The pool's state machine.
 *
 * @example
 * ```ts
 * import { Engine } from "./engine.ts";
 * import { engineOptions } from "./pool_options.ts";
 * import assert from "node:assert/strict";
 *
 * const engine = new Engine(engineOptions({ processes: 2 }));
 * engine.open((error) => assert.equal(error, null)); // no initializer: open at once
 * assert.equal(engine.stats.workers, 2);
 * engine.terminate();
 * ```
 */
export class Engine {
  readonly #options: EngineOptions;
  readonly #workers: PoolWorkers;
  readonly #chunks: ChunkBooks;
  readonly #admission: Admission;
  readonly #sizing: PoolSizing;
  readonly #recovery: WorkerRecovery;
  readonly #drainWaiters: Array<() => void> = [];
  #phase: Phase = "opening";
  /** Told once whether the pool opened (null once told): `open`'s callback. */
  #whenOpened: ((error: PoolError | null) => void) | null = null;
  #jobNumber = 0;
  #runNumber = 0;
  #pumpScheduled = false;
  /** When the first chunk queued in this turn was (see `submit`). */
  #turnStart = 0;
  /** How worker reports act on the pool (see `engine_reports.ts`). */
  readonly #actions: ReportActions = {
    ready: (slot) => this.#ready(slot),
    initFailed: (slot, error) => this.#recovery.initFailed(slot, error),
    answered: (slot, chunk, outcome, error) => this.#chunks.answered(slot, chunk, outcome, error),
    retry: (chunk) => this.#chunks.retry(chunk),
    violation: (slot, reason) => this.#recovery.violation(slot, reason),
    afterAnswers: (slot) => this.#afterAnswers(slot),
  };
  /** What `dispatch` works on. */
  readonly #dispatch: DispatchState;

  constructor(options: EngineOptions) {
    this.#options = options;
    this.#workers = new PoolWorkers(options, {
      message: (slot, message) => readMessage(slot, message, this.#actions),
      ended: (slot, end) => this.#recovery.crashed(slot, end, true),
    });
    this.#chunks = new ChunkBooks(options.observer);
    this.#admission = new Admission(options.maxQueue ?? Infinity);
    this.#recovery = new WorkerRecovery(this.#workers, this.#chunks, this.#admission, {
      terminated: () => this.#phase === "terminated",
      failOpening: (error) => this.#failOpening(error),
      pump: () => this.#pump(),
      checkDrained: () => this.#checkDrained(),
    });
    this.#sizing = new PoolSizing(options, this.#workers, (slot) => this.#retire(slot));
    this.#dispatch = {
      chunks: this.#chunks,
      workers: this.#workers,
      rules: options,
      nextRunId: () => ++this.#runNumber,
      unsendable: (chunk, error) => this.#chunks.fail(chunk, error),
      armDeadline: (slot) => this.#recovery.armDeadline(slot),
    };
  }

  /**
   * Starts the workers. With an initializer, `opened` is called once every worker ran it,
   * or with the first failure. Without one, at once, as Python's `Pool()` returns: work
   * is sent while the workers start, which saves a round trip on the first call.
   */
  open(opened: (error: PoolError | null) => void): void {
    this.#whenOpened = opened;
    for (let i = 0; i < this.#sizing.min; i++) this.#workers.start();
    if (this.#options.initializer === null) this.#maybeOpened();
  }

  /**
   * Adds an observer of every chunk's queueing, start and end (see `EngineObserver`);
   * returns a function that removes it.
   */
  observe(observer: EngineObserver): () => void {
    return this.#chunks.observe(observer);
  }

  /** Counters and summaries for monitoring. */
  get stats(): PoolStats {
    return {
      ...this.#workers.counts(),
      ...this.#chunks.counts(),
      waiting: this.#admission.waiting,
      replaced: this.#recovery.replaced,
    };
  }

  /** Dropped workers still busy in synchronous code (see `PoolStats.stuck`). */
  get stuck(): number {
    return this.#workers.stuck;
  }

  /** The pool-wide fault defaults, for calls that set none. */
  get faults(): JobFaults {
    return this.#options.faults;
  }

  /** Number of worker processes the pool keeps (an elastic pool: at most). */
  get processes(): number {
    return this.#options.processes;
  }

  /**
   * The error new work fails with now (the pool is closed, terminated, or broken: its
   * workers could not be started), or null while the pool takes work.
   */
  closedError(): PoolError | null {
    const broken = this.#recovery.broken;
    if (broken) return broken;
    if (this.#phase === "closed" || this.#phase === "terminated") {
      return new PoolClosed({
        message:
          `Pool '${this.#options.name}' is ${this.#phase}: it takes no new work; open a new pool`,
      });
    }
    return null;
  }

  /** Creates a job running `spec`, whose owner hears through `listener`; add chunks with `submit`. */
  createJob(spec: JobSpec, listener: JobListener): Job {
    const id = ++this.#jobNumber;
    this.#workers.flagCancelled(id, false);
    return {
      id,
      fnId: this.#workers.functionId(spec.ref),
      ref: spec.ref,
      task: spec.task,
      spread: spec.spread,
      settle: spec.settle ?? false,
      listener,
      faults: spec.faults,
      cancelled: false,
      trace: spec.trace,
    };
  }

  /**
   * Queues a chunk of a job and starts it as soon as a worker is free. While the queue is
   * full (`maxQueue`), the chunk waits for room first.
   */
  submit(chunk: Chunk): void {
    const refused = this.closedError();
    if (refused) {
      chunk.job.listener.failed(chunk, refused);
      return;
    }
    this.#schedulePump();
    this.#admission.enter(chunk, this.#chunks, this.#turnStart);
  }

  /**
   * Queues the chunks of a call as the queue has room for them: all at once without
   * `maxQueue`; else each is made only when it may join the queue.
   */
  feed(feed: ChunkFeed): void {
    const refused = this.closedError();
    if (refused) return failFeed(feed, refused);
    this.#schedulePump();
    this.#admission.enter(feed, this.#chunks, this.#turnStart);
  }

  /**
   * Whether a chunk submitted now would join the queue at once: no call waits for room
   * and the queue is below `maxQueue`; also true once the pool takes no work (a call
   * then fails at once).
   */
  hasRoom(): boolean {
    return this.#admission.hasRoom(this.#chunks.size) || this.closedError() !== null;
  }

  /**
   * Calls `wake` once a chunk may join the queue (at once if one may now; see `hasRoom`),
   * after the calls already waiting; returns a function that stops waiting.
   */
  whenRoom(wake: () => void): () => void {
    return this.#admission.whenRoom(this.hasRoom(), wake);
  }

  /**
   * Cancels a job: its queued chunks never run, its running chunks stop at their next
   * item, and a worker still busy with it after the grace period is replaced.
   */
  cancel(job: Job): void {
    if (job.cancelled) return;
    job.cancelled = true;
    this.#workers.flagCancelled(job.id, true);
    this.#admission.removeJob(job);
    this.#recovery.stopCancelled(job, this.#options.cancelGrace);
    this.#pump();
  }

  /** Python's `close()`: no new work; queued work still runs. */
  close(): void {
    if (this.#phase === "opening" || this.#phase === "open") this.#phase = "closed";
    this.#checkDrained();
  }

  /** Python's `terminate()`: stops every worker now; pending work fails with `PoolClosed`. */
  terminate(): void {
    if (this.#phase === "terminated") return;
    this.#phase = "terminated";
    const stopped = new PoolClosed({
      message: `Pool '${this.#options.name}' was terminated before the task finished`,
    });
    const pending: Chunk[] = this.#chunks.drain();
    for (const slot of this.#workers.removeAll()) pending.push(...slot.inflight);
    this.#workers.warnIfStuck();
    for (const chunk of pending) this.#chunks.fail(chunk, stopped);
    this.#admission.fail(stopped);
    this.#tellOpened(stopped);
    this.#checkDrained();
  }

  /** Calls `drained` once the pool is closed and every queued and running chunk ended. */
  whenDrained(drained: () => void): void {
    this.#drainWaiters.push(drained);
    this.#checkDrained();
  }

  #ready(slot: WorkerSlot): void {
    slot.ready = true;
    this.#recovery.ready();
    // Chunks sent while it started begin now: so does the first one's timeout.
    slot.since = performance.now();
    this.#chunks.headStarted(slot);
    this.#recovery.armDeadline(slot);
    if (this.#whenOpened) this.#maybeOpened();
    this.#pump();
  }

  #afterAnswers(slot: WorkerSlot): void {
    slot.endGraceUnlessCancelled();
    this.#recovery.armDeadline(slot);
    const max = this.#options.maxTasksPerChild;
    if (max !== null && slot.answered >= max && slot.inflight.length === 0) {
      this.#recovery.replace(slot, null);
    }
    this.#pump();
  }

  /**
   * While the pool opens, a worker that failed to start fails the opening as a whole: the
   * pool is terminated and the opener gets the error. False once the pool opened.
   */
  #failOpening(error: TaskError | WorkerCrashed): boolean {
    const opened = this.#whenOpened;
    if (opened === null) return false;
    this.#whenOpened = null;
    this.terminate();
    opened(error);
    return true;
  }

  /** Opens the pool once every worker is ready (at once when there is no initializer). */
  #maybeOpened(): void {
    if (this.#whenOpened === null) return;
    if (this.#options.initializer !== null) {
      for (const slot of this.#workers) if (!slot.ready) return;
    }
    if (this.#phase === "opening") this.#phase = "open";
    this.#tellOpened(null);
  }

  #tellOpened(error: PoolError | null): void {
    const opened = this.#whenOpened;
    this.#whenOpened = null;
    opened?.(error);
  }

  /**
   * Sends queued chunks to the workers that may take them (see `dispatch.ts`); an elastic
   * pool adds workers while chunks still wait; calls waiting for room join the queue as it
   * empties, and are sent in turn.
   */
  #pump(): void {
    for (;;) {
      dispatch(this.#dispatch);
      if (this.#chunks.size > 0 && this.#mayGrow()) {
        this.#workers.start();
        continue;
      }
      if (this.#admission.size === 0) break;
      const at = performance.now();
      const queued = this.#chunks.size;
      if (this.#admission.admit(queued, (chunk) => this.#chunks.push(chunk, at)) === 0) break;
    }
    this.#sizing.watchIdle();
    this.#checkDrained();
  }

  /** Whether an elastic pool may start another worker now. */
  #mayGrow(): boolean {
    return this.#sizing.mayGrow() && this.#phase !== "terminated" && !this.#recovery.givenUp;
  }

  /** Ends a worker of an elastic pool that stayed idle for `idleTimeout`. */
  #retire(slot: WorkerSlot): void {
    if (!this.#workers.has(slot) || slot.inflight.length > 0) return;
    this.#workers.remove(slot);
    this.#checkDrained();
  }

  /**
   * Calls made in the same turn (a loop of applyAsync, a map's chunks) go out together,
   * and count as queued when the first of them was: one clock read per turn.
   */
  #schedulePump(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    this.#turnStart = performance.now();
    queueMicrotask(() => {
      this.#pumpScheduled = false;
      this.#pump();
    });
  }

  #checkDrained(): void {
    if (this.#drainWaiters.length === 0) return;
    if (this.#phase !== "closed" && this.#phase !== "terminated") return;
    if (this.#chunks.size > 0 || this.#admission.size > 0) return;
    for (const slot of this.#workers) if (slot.inflight.length > 0) return;
    this.#workers.removeAll();
    if (this.#phase === "closed") this.#phase = "terminated";
    const waiters = this.#drainWaiters.splice(0);
    // Subprocesses count as gone once they exited: no child outlives the pool's join.
    this.#workers.whenExited(() => {
      for (const drained of waiters) drained();
    });
  }
}
