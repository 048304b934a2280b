/**
 * The pool's workers as the engine keeps them: starting one (its endpoint and its INIT),
 * dropping one (and remembering it while its thread is still busy in synchronous code,
 * or while its process has not exited), counting them, and what they all share: the
 * calls' cancellation flags and the ids of the functions sent to them. The engine decides
 * when a worker starts or goes; this module does it.
 *
 * @module
 */
import { startEndpoint, type WorkerEnd } from "./backend/endpoint.ts";
import { encodeItems } from "./comms/wire.ts";
import type { EngineOptions, PoolStats } from "./engine_types.ts";
import { nextPid } from "./pids.ts";
import {
  BUSY_CELL,
  CANCEL_SLOTS,
  type FromWorker,
  type InitData,
  initMessage,
  setCancelled,
  type TaskRef,
} from "./shared/protocol.ts";
import { currentProcess } from "./shared/identity.ts";
import { WorkerSlot } from "./worker_slot.ts";

/** Where a worker's reports go: the engine, told which worker spoke. */
export interface WorkerReports {
  /** A message from the worker of `slot`, its shape already checked by the backend. */
  message(slot: WorkerSlot, message: FromWorker): void;
  /** The worker of `slot` ended (on its own, or as it was stopped). */
  ended(slot: WorkerSlot, end: WorkerEnd): void;
}

/**
 * The live workers of one pool, and those dropped but not gone yet.
 *
 * @example
 * ```ts
 * import { PoolWorkers } from "./engine_workers.ts";
 * import { engineOptions } from "./pool_options.ts";
 * import assert from "node:assert/strict";
 *
 * const reports = { message() {}, ended() {} };
 * const workers = new PoolWorkers(engineOptions({ processes: 1 }), reports);
 * const slot = workers.start();
 * assert.equal(slot.name, "PoolWorker-1");
 * assert.equal(workers.size, 1);
 * workers.removeAll();
 * await new Promise<void>((resolve) => workers.whenExited(resolve));
 * ```
 */
export class PoolWorkers implements Iterable<WorkerSlot> {
  readonly #options: EngineOptions;
  readonly #reports: WorkerReports;
  /** One bit per call, read by the workers between items (`taskSignal()`, `cancelled()`). */
  readonly #cancelBits = new SharedArrayBuffer(CANCEL_SLOTS / 8);
  readonly #cancelView = new Int32Array(this.#cancelBits);
  /** Functions by reference (one object per function, cached): their ids in every worker. */
  readonly #functionIds = new Map<TaskRef, number>();
  readonly #slots = new Set<WorkerSlot>();
  /** Dropped workers that may still be running synchronous code. */
  readonly #dropped = new Set<Int32Array>();
  /** Stopped subprocesses that have not exited yet: `whenExited` waits for them. */
  readonly #exiting = new Set<Promise<unknown>>();
  #started = 0;

  /** Workers of a pool set up by `options`, whose reports go to `reports`. */
  constructor(options: EngineOptions, reports: WorkerReports) {
    this.#options = options;
    this.#reports = reports;
  }

  /** Sets or clears the flag that tells the workers call `jobId` was cancelled. */
  flagCancelled(jobId: number, cancelled: boolean): void {
    setCancelled(this.#cancelView, jobId, cancelled);
  }

  /** The id under which workers know the function `ref`. */
  functionId(ref: TaskRef): number {
    let id = this.#functionIds.get(ref);
    if (id === undefined) this.#functionIds.set(ref, id = this.#functionIds.size + 1);
    return id;
  }

  /** Workers alive now. */
  get size(): number {
    return this.#slots.size;
  }

  /** Whether `slot` is one of the live workers (a dropped worker's late reports are not). */
  has(slot: WorkerSlot): boolean {
    return this.#slots.has(slot);
  }

  /** The live workers. */
  [Symbol.iterator](): Iterator<WorkerSlot> {
    return this.#slots[Symbol.iterator]();
  }

  /** Dropped workers still busy in synchronous code (see `PoolStats.stuck`). */
  get stuck(): number {
    for (const busy of this.#dropped) {
      if (Atomics.load(busy, BUSY_CELL) === 0) this.#dropped.delete(busy);
    }
    return this.#dropped.size;
  }

  /**
   * Warns when dropped workers are still busy in synchronous code: nothing hangs, but the
   * program cannot exit until those threads return, so say why.
   */
  warnIfStuck(): void {
    const stuck = this.stuck;
    if (stuck === 0) return;
    console.warn(
      `Pool '${this.#options.name}': ${stuck} terminated worker(s) still busy in synchronous ` +
        `code; Deno cannot stop them, so they run until that code returns`,
    );
  }

  /** The part of `PoolStats` the workers know. */
  counts(): Pick<PoolStats, "workers" | "busy" | "idle" | "running" | "stuck" | "cluster"> {
    let running = 0;
    let busy = 0;
    let cluster: Readonly<Record<string, unknown>> | undefined;
    for (const slot of this.#slots) {
      running += slot.inflight.length;
      if (slot.inflight.length > 0) busy++;
      cluster ??= slot.endpoint.stats?.(); // shared by a pool's endpoints: the first says it
    }
    const workers = this.#slots.size;
    const counts = { workers, busy, idle: workers - busy, running, stuck: this.stuck };
    return cluster === undefined ? counts : { ...counts, cluster };
  }

  /** Starts a worker, named after the pool (`PoolWorker-3`), and sends it its INIT. */
  start(): WorkerSlot {
    const name = `${this.#options.name}-${++this.#started}`;
    const slot = new WorkerSlot(name, nextPid());
    const reports = this.#reports;
    const listener = {
      message: (message: FromWorker) => reports.message(slot, message),
      ended: (end: WorkerEnd) => reports.ended(slot, end),
    };
    const { permissions, maxHeapMB, backend, cluster } = this.#options;
    const start = this.#options.start ?? startEndpoint;
    slot.endpoint = start(name, listener, {
      backend,
      permissions,
      maxHeapMB,
      ...(cluster ? { cluster } : {}),
    });
    // A subprocess is known by its OS pid (its own `currentProcess().pid`).
    if (slot.endpoint.pid !== null) slot.pid = slot.endpoint.pid;
    this.#slots.add(slot);
    slot.endpoint.post(initMessage({
      self: { name, pid: slot.pid },
      parent: { name: currentProcess().name, pid: currentProcess().pid },
      cancelBits: this.#cancelBits,
      busy: slot.busy.buffer as SharedArrayBuffer,
      ...initArguments(this.#options.initargs),
      initializer: this.#options.initializer,
    }));
    return slot;
  }

  /**
   * Takes a worker out of the pool and stops it (see `WorkerSlot.drop`); one that
   * `ended` on its own is simply gone. Its chunks stay on its books for the caller.
   */
  remove(slot: WorkerSlot, ended = false): void {
    this.#slots.delete(slot);
    this.#drop(slot, ended);
  }

  /** Takes every worker out and stops it; returns them, their chunks still on their books. */
  removeAll(): WorkerSlot[] {
    const removed = [...this.#slots];
    this.#slots.clear();
    for (const slot of removed) this.#drop(slot, false);
    return removed;
  }

  /**
   * Calls `exited` once every stopped subprocess has exited: at once for workers, whose
   * end cannot be awaited, and for a pool that stopped no subprocess.
   */
  whenExited(exited: () => void): void {
    if (this.#exiting.size === 0) exited();
    else Promise.all(this.#exiting).then(exited);
  }

  /** Remembers a stopped worker while its thread is busy, and a subprocess until it exited. */
  #drop(slot: WorkerSlot, ended: boolean): void {
    const busy = slot.drop();
    const exited = slot.endpoint.exited;
    if (exited !== null && !this.#exiting.has(exited)) {
      this.#exiting.add(exited);
      exited.then(() => this.#exiting.delete(exited));
    }
    if (!ended && busy) this.#dropped.add(slot.busy);
  }
}

/** The initializer's arguments as INIT carries them: communication objects encoded. */
function initArguments(initargs: readonly unknown[]): Pick<InitData, "initargs" | "encoded"> {
  const encoded = encodeItems([initargs], true);
  return encoded === null
    ? { initargs, encoded: false }
    : { initargs: encoded.items[0] as unknown[], encoded: true };
}
