/**
 * One worker of a pool, as the engine keeps it: its endpoint, the chunks sent to it and
 * not answered (oldest, the running one, first), its timers, and the cells it shares
 * with the worker. The engine decides what happens to a slot; the slot keeps its own
 * books straight.
 *
 * @module
 */
import type { Endpoint } from "./backend/endpoint.ts";
import type { Chunk } from "./engine_types.ts";
import { BUSY_CELL, DROPPED_CELL } from "./shared/protocol.ts";

/** A pool's worker, its chunks in flight and its timers. */
export class WorkerSlot {
  /** Its endpoint; set once, right after the slot is made (the listener needs the slot). */
  endpoint!: Endpoint;
  readonly name: string;
  /** Its pid: the OS pid of a subprocess, else one unique in this program. */
  pid: number;
  /** Function ids already defined in this worker. */
  readonly known = new Set<number>();
  /** Chunks sent and not answered, oldest (the running one) first. */
  readonly inflight: Chunk[] = [];
  /** Shared with the worker: `BUSY_CELL` while a task runs synchronously, `DROPPED_CELL`. */
  readonly busy = new Int32Array(new SharedArrayBuffer(8));
  /** It said READY. */
  ready = false;
  /** When the running chunk started (its answer, or the worker's READY, came then). */
  since = 0;
  /** Chunks sent to it so far, and answered. */
  sent = 0;
  answered = 0;
  #grace: ReturnType<typeof setTimeout> | undefined;
  #deadline: ReturnType<typeof setTimeout> | undefined;
  /** Ends it once idle for the pool's `idleTimeout` (elastic pools only). */
  #idle: ReturnType<typeof setTimeout> | undefined;

  constructor(name: string, pid: number) {
    this.name = name;
    this.pid = pid;
  }

  /** The chunk running on it now, if any. */
  get running(): Chunk | undefined {
    return this.inflight[0];
  }

  /**
   * Whether an answer naming `chunkId` may be taken: only once the worker is ready, and
   * only for the chunk running there (a worker runs its chunks in the order sent).
   */
  answers(chunkId: number): boolean {
    const head = this.inflight[0];
    return this.ready && head !== undefined && head.runId === chunkId;
  }

  /** Takes the running chunk off the books, answered; returns how long it ran (ms). */
  take(): number {
    this.inflight.shift();
    this.answered++;
    const now = performance.now();
    const took = now - this.since;
    this.since = now;
    return took;
  }

  /** Records a chunk as sent; true when it is the one running now (its clock starts). */
  track(chunk: Chunk): boolean {
    this.inflight.push(chunk);
    this.sent++;
    if (this.inflight.length > 1) return false;
    this.since = performance.now();
    return true;
  }

  /** Takes a chunk that could not be posted back off the books. */
  untrack(chunk: Chunk): void {
    const at = this.inflight.indexOf(chunk);
    if (at < 0) return;
    this.inflight.splice(at, 1);
    this.sent--;
  }

  /**
   * Starts the running chunk's timeout, if its call has one (and the worker is ready: a
   * worker still starting runs nothing, and its READY arms the clock). `expired` is
   * called with that chunk if it is still running when the time is up.
   */
  armDeadline(expired: (chunk: Chunk, timeout: number) => void): void {
    // Timer globals only when a timer runs: the first use starts Deno's Node layer.
    if (this.#deadline !== undefined) clearTimeout(this.#deadline);
    this.#deadline = undefined;
    const running = this.inflight[0];
    const timeout = running?.job.faults.timeout ?? null;
    if (!this.ready || running === undefined || timeout === null) return;
    this.#deadline = setTimeout(() => {
      this.#deadline = undefined;
      if (this.inflight[0] === running) expired(running, timeout);
    }, timeout);
  }

  /** Starts the grace period of a cancelled chunk, unless one runs already. */
  startGrace(ms: number, expired: () => void): void {
    if (this.#grace !== undefined) return;
    this.#grace = setTimeout(() => {
      this.#grace = undefined;
      expired();
    }, ms);
  }

  /** Ends the grace period once the running chunk is no longer a cancelled one. */
  endGraceUnlessCancelled(): void {
    if (this.#grace === undefined || this.inflight[0]?.job.cancelled) return;
    clearTimeout(this.#grace);
    this.#grace = undefined;
  }

  /**
   * Starts the idle clock of a worker that holds no work, unless it runs already:
   * `expired` is called once it stayed idle for `ms`. The timer does not keep the program
   * alive on its own.
   */
  startIdle(ms: number, expired: () => void): void {
    if (this.#idle !== undefined) return;
    this.#idle = setTimeout(() => {
      this.#idle = undefined;
      expired();
    }, ms);
    Deno.unrefTimer(this.#idle);
  }

  /** Stops the idle clock (the worker got work, or the pool is at its minimum). */
  stopIdle(): void {
    if (this.#idle === undefined) return;
    clearTimeout(this.#idle);
    this.#idle = undefined;
  }

  /**
   * Stops its timers and the worker. The worker is told it was dropped (`DROPPED_CELL`),
   * so that once its synchronous code returns it starts nothing more: Deno's termination
   * then lands while it is idle, never inside a later task with its busy flag set.
   *
   * @returns Whether its thread is still busy in synchronous code.
   */
  drop(): boolean {
    if (this.#grace !== undefined) clearTimeout(this.#grace);
    if (this.#deadline !== undefined) clearTimeout(this.#deadline);
    this.stopIdle();
    this.#grace = this.#deadline = undefined;
    Atomics.store(this.busy, DROPPED_CELL, 1);
    this.endpoint.terminate();
    return Atomics.load(this.busy, BUSY_CELL) === 1;
  }
}
