/**
 * The size of an elastic pool (`minProcesses`, `maxProcesses`, `idleTimeout`): whether it
 * may add a worker for waiting work, and the idle clocks of the workers it may end. The
 * engine adds a worker while chunks wait in its queue after every worker took what it
 * may (so none is idle), up to `maxProcesses`; a worker that holds no work starts its
 * idle clock while the pool has more than `minProcesses`, and is ended when the clock
 * runs out. A worker holding work (a chunk running, or sent to it) never has a clock
 * running. A fixed pool (`processes`) has neither: every check here is one comparison.
 *
 * @module
 */
import type { EngineOptions } from "./engine_types.ts";
import type { WorkerSlot } from "./worker_slot.ts";

/** The pool's live workers, as the sizing sees them. */
interface Workers extends Iterable<WorkerSlot> {
  readonly size: number;
}

/**
 * An elastic pool's bounds and its workers' idle clocks.
 *
 * @example
 * ```ts
 * import { PoolSizing } from "./engine_sizing.ts";
 * import type { WorkerSlot } from "./worker_slot.ts";
 * import assert from "node:assert/strict";
 *
 * const workers: WorkerSlot[] = [];
 * const live = { get size() { return workers.length; }, [Symbol.iterator]: () => workers.values() };
 * const sizing = new PoolSizing({ processes: 4, minProcesses: 1, idleTimeout: 1000 }, live, () => {});
 * assert.equal(sizing.min, 1);
 * assert.equal(sizing.mayGrow(), true); // no worker yet, up to 4
 * ```
 */
export class PoolSizing {
  /** Workers the pool starts with and never goes below. */
  readonly min: number;
  /** Workers the pool may have at most. */
  readonly max: number;
  /** How long a spare worker may stay idle, in ms; null for a fixed pool. */
  readonly idleTimeout: number | null;
  readonly #workers: Workers;
  readonly #retire: (slot: WorkerSlot) => void;

  /**
   * The sizing of a pool set up by `options`, over its live `workers`; `retire` ends a
   * worker whose idle clock ran out (it may still refuse, if the worker got work).
   */
  constructor(
    options: Pick<EngineOptions, "processes" | "minProcesses" | "idleTimeout">,
    workers: Workers,
    retire: (slot: WorkerSlot) => void,
  ) {
    this.max = options.processes;
    this.min = options.minProcesses ?? options.processes;
    this.idleTimeout = options.idleTimeout ?? null;
    this.#workers = workers;
    this.#retire = retire;
  }

  /** Whether the pool may add a worker: it is elastic and below `max`. */
  mayGrow(): boolean {
    return this.min < this.max && this.#workers.size < this.max;
  }

  /**
   * Starts the idle clock of each worker that holds no work while the pool has more than
   * `min`, and stops the others'. Called after every change of the workers' load.
   */
  watchIdle(): void {
    const timeout = this.idleTimeout;
    if (timeout === null) return;
    const spare = this.#workers.size > this.min;
    for (const slot of this.#workers) {
      if (!spare || slot.inflight.length > 0) slot.stopIdle();
      else slot.startIdle(timeout, () => this.#expired(slot));
    }
  }

  #expired(slot: WorkerSlot): void {
    // Another clock may have run out first: the pool never goes below `min`.
    if (this.#workers.size > this.min) this.#retire(slot);
  }
}
