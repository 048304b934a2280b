/**
 * `Barrier` over shared memory, as Python's `multiprocessing.Barrier` (from
 * `threading`): `parties` processes wait until all have arrived, then all go on; an
 * optional `action` runs once per generation, in the last party to arrive.
 *
 * @module
 */
import type { TaskRef } from "../shared/protocol.ts";
import { loadFunction } from "./_action.ts";
import {
  cellsOf,
  deadlineOf,
  locked,
  remaining,
  sharedCells,
  sharedField,
  waitAsync,
  waitSync,
} from "./_wait.ts";
import type { WaitOptions } from "./wait_options.ts";
import { BrokenBarrierError } from "./errors.ts";
import {
  type CarriedFunction,
  type EncodedPortable,
  nameFunction,
  registerPortable,
} from "./wire.ts";

const MUTEX = 0, COUNT = 1, GEN = 2, BROKEN = 3, PARTIES = 4, TIMEOUT = 5, RESULTS = 6;
/** How a generation ended, kept for the last few: 1 passed, 2 broken. */
const HISTORY = 16;
const PASSED = 1, BROKE = 2;

/** Options of `new Barrier()`. */
export interface BarrierOptions {
  /** The default timeout of `wait`, in milliseconds. @default Infinity */
  readonly timeout?: number;
  /**
   * Called with no arguments once per generation by the last party to arrive, before
   * any party is released (Python's `action`). If it throws, the barrier breaks: that
   * party gets the error, the others `BrokenBarrierError`. It crosses into workers by
   * reference, as a task function does (export it, or use `inline()`/`task()`), and
   * must not call this barrier's own methods. @default {undefined}
   */
  readonly action?: () => unknown;
}

/** The action of a barrier being revived in this isolate (see `registerPortable` below). */
let revivingAction: TaskRef | null = null;

/**
 * A barrier for `parties` processes. `wait()` blocks until all parties called it, then
 * returns each a distinct index from 0 to `parties - 1` (arrival order). A timeout, an
 * `abort()` or a `reset()` breaks the barrier: waiters get `BrokenBarrierError`.
 *
 * @example One party
 * ```ts
 * import { Barrier } from "./barrier.ts";
 * import assert from "node:assert/strict";
 *
 * const barrier = new Barrier(1);
 * assert.equal(barrier.wait(), 0);
 * assert.equal(await barrier.waitAsync(), 0);
 * assert.equal(barrier.broken, false);
 * ```
 */
export class Barrier {
  /** Names the reviver of this class in a worker. */
  static readonly portableKind: string = "multiprocessing.Barrier";
  readonly #cells: Int32Array;
  /** The action, once it can be called in this process. */
  #action: CarriedFunction | null = null;
  /** The action's reference for other processes, or why it has none. */
  #actionRef: TaskRef | null = null;
  #actionRefError: unknown = null;
  /** In a worker: the action's module being imported, or why it could not be. */
  #actionLoading: Promise<unknown> | null = null;
  #actionLoadError: unknown = null;
  #actionName = "";

  /**
   * Makes a barrier for `parties` processes.
   *
   * @throws {RangeError} `parties` is not a positive integer, or `timeout` is negative.
   * @throws {TypeError} `action` is not a function.
   */
  constructor(parties: number, options: BarrierOptions = {}, shared?: SharedArrayBuffer) {
    if (shared !== undefined) {
      this.#cells = cellsOf("make a barrier", shared, RESULTS + HISTORY);
      const ref = revivingAction;
      revivingAction = null;
      if (ref !== null) this.#receiveAction(ref);
      return;
    }
    if (!Number.isInteger(parties) || parties < 1 || parties > 0x7fffffff) {
      throw new RangeError(
        `Cannot make a barrier as 'parties' must be a positive integer: current value is ${parties}`,
      );
    }
    deadlineOf("make a barrier", options.timeout);
    const action = options.action;
    if (action !== undefined && typeof action !== "function") {
      throw new TypeError(
        `Cannot make a barrier as 'action' must be a function: received ${typeof action}`,
      );
    }
    this.#cells = sharedCells(RESULTS + HISTORY);
    Atomics.store(this.#cells, PARTIES, parties);
    const timeout = options.timeout ?? Infinity;
    Atomics.store(this.#cells, TIMEOUT, timeout === Infinity ? -1 : Math.ceil(timeout));
    if (action !== undefined) {
      this.#action = action;
      this.#actionName = action.name || "anonymous function";
      try {
        // Named now, while the caller's module is on the stack; needed only to cross.
        this.#actionRef = nameFunction(action, `the barrier's action '${this.#actionName}'`);
      } catch (error) {
        this.#actionRefError = error;
      }
    }
  }

  /** How many parties must arrive. */
  get parties(): number {
    return Atomics.load(this.#cells, PARTIES);
  }

  /** How many parties are waiting now (Python's `n_waiting`). */
  get nWaiting(): number {
    return Atomics.load(this.#cells, COUNT);
  }

  /** True when the barrier is broken (until `reset()`). */
  get broken(): boolean {
    return Atomics.load(this.#cells, BROKEN) === 1;
  }

  /**
   * Arrives and blocks until every party arrived (or `timeout` ms pass, which breaks
   * the barrier).
   *
   * @returns This party's index, 0 to `parties - 1`.
   * @throws {BrokenBarrierError} The barrier is or got broken.
   */
  wait(timeout?: number): number {
    const deadline = deadlineOf("wait on the barrier", timeout ?? this.#defaultTimeout());
    const [index, gen] = this.#arrive();
    if (gen < 0) return index;
    for (;;) {
      const outcome = this.#outcome(gen);
      if (outcome !== 0) return this.#finish(outcome, index);
      if (remaining(deadline) === 0) {
        this.abort();
        return this.#finish(this.#outcome(gen), index);
      }
      waitSync(this.#cells, GEN, gen, deadline);
    }
  }

  /**
   * `wait` without blocking the event loop.
   *
   * @returns This party's index, 0 to `parties - 1`.
   * @throws {BrokenBarrierError} The barrier is or got broken (an abort breaks it too).
   */
  async waitAsync(options: WaitOptions = {}): Promise<number> {
    const deadline = deadlineOf(
      "wait on the barrier",
      options.timeout ?? this.#defaultTimeout(),
    );
    if (options.signal?.aborted) throw options.signal.reason;
    // In a worker the action may still be loading: it must be ready if this party is last.
    if (this.#actionLoading !== null) await this.#actionLoading;
    const [index, gen] = this.#arrive();
    if (gen < 0) return index;
    for (;;) {
      const outcome = this.#outcome(gen);
      if (outcome !== 0) return this.#finish(outcome, index);
      if (remaining(deadline) === 0) {
        this.abort();
        return this.#finish(this.#outcome(gen), index);
      }
      try {
        await waitAsync(this.#cells, GEN, gen, deadline, options.signal);
      } catch (error) {
        // A party that leaves breaks the barrier for the others, as a timeout does.
        if (this.#outcome(gen) === 0) this.abort();
        throw error;
      }
    }
  }

  /** Breaks the barrier: current and later waiters get `BrokenBarrierError` until `reset()`. */
  abort(): void {
    locked(this.#cells, MUTEX, () => {
      Atomics.store(this.#cells, BROKEN, 1);
      this.#endGeneration(BROKE);
    });
  }

  /** Returns the barrier to empty; parties waiting now get `BrokenBarrierError`. */
  reset(): void {
    locked(this.#cells, MUTEX, () => {
      if (Atomics.load(this.#cells, COUNT) > 0) this.#endGeneration(BROKE);
      Atomics.store(this.#cells, BROKEN, 0);
    });
  }

  /**
   * Plain data for another isolate (the shared memory), for the worker wire.
   *
   * @ignore
   */
  encode(): { readonly data: EncodedPortable; readonly transfer: readonly Transferable[] } {
    if (this.#actionName !== "" && this.#actionRef === null) throw this.#actionRefError;
    return {
      data: {
        __portable: Barrier.portableKind,
        cells: this.#cells.buffer,
        action: this.#actionRef,
      },
      transfer: [],
    };
  }

  /** In a revived copy: starts loading the action this process may have to run. */
  #receiveAction(ref: TaskRef): void {
    this.#actionRef = ref;
    this.#actionName = ref.kind === "inline" ? ref.name : ref.export;
    const loading = loadFunction(ref);
    if ("ready" in loading) {
      this.#action = loading.ready;
      return;
    }
    this.#actionLoading = loading.pending.then(
      (action) => {
        this.#action = action;
        this.#actionLoading = null;
      },
      (error) => {
        this.#actionLoadError = error;
        this.#actionLoading = null;
      },
    );
  }

  /** Under the mutex, in the last party: runs the action; on failure breaks and throws. */
  #runAction(): void {
    const action = this.#action;
    try {
      if (action === null) {
        throw this.#actionLoadError ?? new TypeError(
          `Cannot run the barrier's action '${this.#actionName}' in this worker yet: its ` +
            `module is still being imported. Export the action from the task's own module ` +
            `(it is then loaded with the task), pass it with inline(), or use waitAsync()`,
        );
      }
      action();
    } catch (error) {
      Atomics.store(this.#cells, BROKEN, 1);
      this.#endGeneration(BROKE);
      throw error;
    }
  }

  #defaultTimeout(): number | undefined {
    const ms = Atomics.load(this.#cells, TIMEOUT);
    return ms < 0 ? undefined : ms;
  }

  /** Registers an arrival: `[index, generation]`, generation -1 when this one released all. */
  #arrive(): [number, number] {
    return locked(this.#cells, MUTEX, () => {
      const cells = this.#cells;
      if (Atomics.load(cells, BROKEN) === 1) {
        throw new BrokenBarrierError("Cannot wait on a broken barrier: reset() it first");
      }
      const index = Atomics.add(cells, COUNT, 1);
      if (index + 1 === Atomics.load(cells, PARTIES)) {
        if (this.#actionName !== "") this.#runAction();
        this.#endGeneration(PASSED);
        return [index, -1];
      }
      return [index, Atomics.load(cells, GEN)];
    });
  }

  /** Under the mutex: ends the current generation and wakes its waiters. */
  #endGeneration(outcome: number): void {
    const cells = this.#cells;
    const gen = Atomics.load(cells, GEN);
    Atomics.store(cells, RESULTS + (gen & (HISTORY - 1)), outcome);
    Atomics.store(cells, RESULTS + ((gen + 1) & (HISTORY - 1)), 0);
    Atomics.store(cells, COUNT, 0);
    Atomics.store(cells, GEN, (gen + 1) | 0);
    Atomics.notify(cells, GEN);
  }

  #outcome(gen: number): number {
    if (Atomics.load(this.#cells, GEN) === gen) return 0;
    return Atomics.load(this.#cells, RESULTS + (gen & (HISTORY - 1)));
  }

  #finish(outcome: number, index: number): number {
    if (outcome === PASSED) return index;
    throw new BrokenBarrierError("Cannot pass the barrier as it was broken while waiting");
  }
}

registerPortable(Barrier.portableKind, (data) => {
  revivingAction = (data.action as TaskRef | null | undefined) ?? null;
  return new Barrier(1, {}, sharedField(data, "cells"));
});
