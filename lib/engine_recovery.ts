/**
 * Replacing a pool's workers: what happens when one crashes, overruns its call's timeout,
 * breaks the protocol or fails to start, and when the engine ends one on purpose (a
 * cancelled chunk past its grace, `maxTasksPerChild`). The worker is dropped and another
 * started in its place; the chunk it was running fails, or runs again while its call has
 * retries left; the chunks sent to it but not started go back to the queue's front.
 * A failed start is different: while the pool opens it fails the opening; later another
 * worker is started, unless replacements keep failing (`MAX_START_FAILURES` in a row).
 * Then that place is given up, and once no worker is left the pool is broken: it fails
 * what waits and refuses new work. Nothing a worker does can break a pool that has one.
 *
 * @module
 */
import type { WorkerEnd } from "./backend/endpoint.ts";
import type { Admission } from "./engine_admission.ts";
import type { ChunkBooks } from "./engine_chunks.ts";
import { crashOf } from "./engine_reports.ts";
import type { Job } from "./engine_types.ts";
import type { PoolWorkers } from "./engine_workers.ts";
import { type PoolError, TaskError, TaskTimeout, WorkerCrashed } from "./errors.ts";
import { CANCEL } from "./shared/protocol.ts";
import type { WorkerSlot } from "./worker_slot.ts";

/**
 * Replacement workers that may fail to start in a row before a place in the pool is
 * given up. A replacement is started after every crash; one whose initializer keeps
 * failing would otherwise be restarted for ever, while the work queued for it waits.
 */
const MAX_START_FAILURES = 3;

/**
 * What recovery needs of the engine: the pool's phase, and its next steps.
 *
 * @example
 * ```ts
 * import type { RecoveryHost } from "./engine_recovery.ts";
 *
 * const open: RecoveryHost = {
 *   terminated: () => false,
 *   failOpening: () => false,
 *   pump() {},
 *   checkDrained() {},
 * };
 * void open;
 * ```
 */
export interface RecoveryHost {
  /** Whether the pool was terminated: a dropped worker is then not replaced. */
  terminated(): boolean;
  /**
   * Fails the pool's opening with `error` while it is opening: the pool is terminated and
   * the opener hears `error`; true then. False once the pool opened.
   */
  failOpening(error: TaskError | WorkerCrashed): boolean;
  /** Sends queued work to the workers (a worker left, another may be starting). */
  pump(): void;
  /** Finishes a closed pool's drain if its last work just ended. */
  checkDrained(): void;
}

/**
 * Drops and replaces the workers of one pool, and keeps the give-up rule.
 *
 * @example
 * ```ts
 * import { Admission } from "./engine_admission.ts";
 * import { ChunkBooks } from "./engine_chunks.ts";
 * import { WorkerRecovery } from "./engine_recovery.ts";
 * import { PoolWorkers } from "./engine_workers.ts";
 * import { engineOptions } from "./pool_options.ts";
 * import assert from "node:assert/strict";
 *
 * const workers = new PoolWorkers(engineOptions({ processes: 1 }), {
 *   message() {},
 *   ended() {},
 * });
 * workers.start();
 * const recovery = new WorkerRecovery(workers, new ChunkBooks(), new Admission(Infinity), {
 *   terminated: () => false,
 *   failOpening: () => false,
 *   pump() {},
 *   checkDrained() {},
 * });
 * // A worker that keeps dying before it is ready is replaced three times, then given up.
 * const end = { exitCode: 1, error: null, reason: "exited with code 1" };
 * for (let i = 0; i < 4; i++) recovery.crashed([...workers][0]!, end);
 * assert.equal(recovery.replaced, 3);
 * assert.equal(workers.size, 0);
 * assert.equal(recovery.broken?.message, "Worker PoolWorker-4 exited with code 1 while starting");
 * await new Promise<void>((resolve) => workers.whenExited(resolve));
 * ```
 */
export class WorkerRecovery {
  readonly #workers: PoolWorkers;
  readonly #chunks: ChunkBooks;
  readonly #admission: Admission;
  readonly #host: RecoveryHost;
  /** Replacements that failed to start since a worker last became ready. */
  #startFailures = 0;
  #replaced = 0;
  #broken: PoolError | null = null;

  /** Recovery of the pool made of `workers`, `chunks` and `admission`, run by `host`. */
  constructor(
    workers: PoolWorkers,
    chunks: ChunkBooks,
    admission: Admission,
    host: RecoveryHost,
  ) {
    this.#workers = workers;
    this.#chunks = chunks;
    this.#admission = admission;
    this.#host = host;
  }

  /** Workers started in place of others (`PoolStats.replaced`). */
  get replaced(): number {
    return this.#replaced;
  }

  /**
   * Why the pool takes no work: no worker is left and replacements were given up; null
   * while it has a worker, or may start one.
   */
  get broken(): PoolError | null {
    return this.#broken;
  }

  /** Whether starting workers was given up: an elastic pool then adds none. */
  get givenUp(): boolean {
    return this.#broken !== null || this.#startFailures > MAX_START_FAILURES;
  }

  /** A worker became ready: replacements that failed before count no more. */
  ready(): void {
    this.#startFailures = 0;
  }

  /**
   * A worker is gone (`ended`) or must go: its work fails or moves, as for any crash. A
   * worker already dropped is not the pool's any more: its late reports change nothing.
   */
  crashed(slot: WorkerSlot, end: WorkerEnd, ended = false): void {
    if (!this.#workers.has(slot)) return;
    const { whileStarting, error } = crashOf(slot, end);
    if (whileStarting) this.initFailed(slot, error, ended);
    else this.replace(slot, error, ended);
  }

  /**
   * A worker said what it may not: it is stopped and counts as crashed, so the chunk it
   * was running fails with `WorkerCrashed` (or runs again, with retries left) and the
   * chunks queued behind it run elsewhere.
   */
  violation(slot: WorkerSlot, reason: string): void {
    this.crashed(slot, { exitCode: null, error: null, reason: `broke the protocol: ${reason}` });
  }

  /**
   * Drops a worker and starts another in its place. The chunk it was running fails with
   * `failure` (when given, and unless it has retries left); chunks sent to it but not
   * started go back to the queue's front.
   */
  replace(slot: WorkerSlot, failure: WorkerCrashed | TaskTimeout | null, ended = false): void {
    this.#workers.remove(slot, ended);
    const [running, ...waiting] = slot.inflight;
    this.#chunks.putBack(waiting);
    if (running) {
      if (running.job.cancelled) this.#chunks.fail(running, null);
      else if (failure === null) this.#chunks.putBack([running]);
      else {
        this.#chunks.runFailed(running, failure);
        if (!this.#chunks.retry(running)) running.job.listener.failed(running, failure);
      }
    }
    if (!this.#host.terminated()) {
      this.#replaced++;
      this.#workers.start();
    }
    this.#host.pump();
  }

  /**
   * Tells each worker running chunks of the cancelled call `job` to stop them at their
   * next item (`CANCEL`); one still running such a chunk `grace` ms later is replaced.
   */
  stopCancelled(job: Job, grace: number): void {
    for (const slot of this.#workers) {
      if (!slot.inflight.some((chunk) => chunk.job === job)) continue;
      slot.endpoint.post([CANCEL, job.id]);
      slot.startGrace(grace, () => {
        if (slot.running?.job.cancelled) this.replace(slot, null);
      });
    }
  }

  /** Starts the timeout of the chunk now running on `slot`, if its call has one. */
  armDeadline(slot: WorkerSlot): void {
    slot.armDeadline((running, timeout) => {
      if (!this.#workers.has(slot)) return;
      this.replace(
        slot,
        new TaskTimeout({
          message: `'${running.job.task}' did not finish within ${timeout} ms; ` +
            `worker ${slot.name} was replaced`,
          timeout,
        }),
      );
    });
  }

  /** A worker failed to start: its initializer failed, or it ended before READY. */
  initFailed(slot: WorkerSlot, error: PoolError, ended = false): void {
    this.#workers.remove(slot, ended);
    // Chunks sent while it started share the fate of the queue.
    this.#chunks.putBack(slot.inflight);
    const initError = error instanceof TaskError || error instanceof WorkerCrashed
      ? error
      : new TaskError({ message: error.message, remoteName: error._tag, isError: true });
    // Opening fails as a whole: the caller gets the initializer's error.
    if (this.#host.failOpening(initError)) return;
    // A replacement failed to start. What a worker says cannot break the pool: another
    // is started in its place, unless replacements keep failing. Then that place is given
    // up, and only once no worker is left does the pool refuse work.
    if (!this.#host.terminated() && ++this.#startFailures <= MAX_START_FAILURES) {
      this.#replaced++;
      this.#workers.start();
    } else if (this.#workers.size === 0) {
      this.#broken = initError;
      for (const chunk of this.#chunks.drain()) this.#chunks.fail(chunk, initError);
      this.#admission.fail(initError);
    }
    this.#host.pump();
    this.#host.checkDrained();
  }
}
