/**
 * The pool's engine: its workers, its queue of chunks, and what happens when a worker
 * answers, ends, or must be replaced. A plain state machine driven by worker messages:
 * it allocates nothing per item and runs no fiber per task, so the hot path stays
 * close to raw `postMessage`. The Effect and Promise faces own its lifetime.
 *
 * @module
 */
import { startEndpoint, type WorkerEnd } from "./backend/endpoint.ts";
import { Deque } from "./deque.ts";
import {
  batchable,
  chooseWorker,
  type Outgoing,
  postRun,
  postRuns,
  prepareRun,
} from "./dispatch.ts";
import type { Chunk, EngineOptions, Job, JobFaults, JobSink, PoolStats } from "./engine_types.ts";
import {
  fromWire,
  PoolClosed,
  type PoolError,
  TaskError,
  TaskTimeout,
  WorkerCrashed,
} from "./errors.ts";
import { encodeItems } from "./comms/wire.ts";
import { nextPid } from "./pids.ts";
import {
  BUSY_CELL,
  CANCEL,
  CANCEL_SLOTS,
  CANCELLED,
  DONE,
  DONE_MANY,
  type DoneMessage,
  FAILED,
  type FromWorker,
  INIT_FAILED,
  type InitData,
  initMessage,
  READY,
  setCancelled,
  type TaskRef,
} from "./shared/protocol.ts";
import { currentProcess } from "./shared/identity.ts";
import { WorkerSlot } from "./worker_slot.ts";

export type {
  Backend,
  Chunk,
  EngineOptions,
  Job,
  JobFaults,
  JobSink,
  PoolStats,
} from "./engine_types.ts";

/**
 * Replacement workers that may fail to start in a row before a place in the pool is
 * given up. A replacement is started after every crash; one whose initializer keeps
 * failing would otherwise be restarted for ever, while the work queued for it waits.
 */
const MAX_START_FAILURES = 3;

type Phase = "opening" | "open" | "closed" | "terminated";
type Slot = WorkerSlot;

/** The pool's state machine. */
export class Engine {
  readonly #options: EngineOptions;
  readonly #slots = new Set<Slot>();
  readonly #queue = new Deque<Chunk>();
  readonly #fnIds = new Map<TaskRef, number>();
  readonly #fnRefs = new Map<number, TaskRef>();
  readonly #cancelBits = new SharedArrayBuffer(CANCEL_SLOTS / 8);
  readonly #cancelView = new Int32Array(this.#cancelBits);
  readonly #drainWaiters: Array<() => void> = [];
  /** Dropped workers that may still be running synchronous code. */
  readonly #dropped = new Set<Int32Array>();
  /** Stopped subprocesses that have not exited yet: `whenDrained` waits for them. */
  readonly #exiting = new Set<Promise<unknown>>();
  #phase: Phase = "opening";
  #opened: ((error: PoolError | null) => void) | null = null;
  #broken: PoolError | null = null;
  #workerNumber = 0;
  /** Replacements that failed to start since a worker last became ready. */
  #startFailures = 0;
  #jobNumber = 0;
  #chunkNumber = 0;
  #completed = 0;
  #replaced = 0;
  #pumpScheduled = false;
  /** Moving average of how long a chunk keeps a worker busy, in ms. */
  #chunkMs = Infinity;

  constructor(options: EngineOptions) {
    this.#options = options;
  }

  /**
   * Starts the workers. With an initializer, `opened` is called once every worker ran it,
   * or with the first failure. Without one, at once, as Python's `Pool()` returns: work
   * is sent while the workers start, which saves a round trip on the first call.
   */
  open(opened: (error: PoolError | null) => void): void {
    this.#opened = opened;
    for (let i = 0; i < this.#options.processes; i++) this.#spawn();
    if (this.#options.initializer === null && this.#opened !== null) {
      this.#opened = null;
      if (this.#phase === "opening") this.#phase = "open";
      opened(null);
    }
  }

  /** Counters for monitoring. */
  get stats(): PoolStats {
    let running = 0;
    let extra: Readonly<Record<string, unknown>> | undefined;
    for (const slot of this.#slots) {
      running += slot.inflight.length;
      extra ??= slot.endpoint.stats?.(); // shared by a pool's endpoints: the first says it
    }
    return {
      workers: this.#slots.size,
      queued: this.#queue.size,
      running,
      completed: this.#completed,
      replaced: this.#replaced,
      stuck: this.stuck,
      ...(extra === undefined ? {} : { cluster: extra }),
    };
  }

  /** Dropped workers still busy in synchronous code (see `PoolStats.stuck`). */
  get stuck(): number {
    for (const busy of this.#dropped) {
      if (Atomics.load(busy, BUSY_CELL) === 0) this.#dropped.delete(busy);
    }
    return this.#dropped.size;
  }

  /** The pool-wide fault defaults, for calls that set none. */
  get faults(): JobFaults {
    return this.#options.faults;
  }

  /** Number of worker processes the pool keeps. */
  get processes(): number {
    return this.#options.processes;
  }

  /** Why new work is refused, or null while the pool takes work. */
  refusal(): PoolError | null {
    if (this.#broken) return this.#broken;
    if (this.#phase === "closed" || this.#phase === "terminated") {
      return new PoolClosed({
        message:
          `Pool '${this.#options.name}' is ${this.#phase}: it takes no new work; open a new pool`,
      });
    }
    return null;
  }

  /** Creates a job; its chunks are added with `submit`. */
  createJob(
    ref: TaskRef,
    task: string,
    spread: boolean,
    settle: boolean,
    sink: JobSink,
    faults: JobFaults = this.#options.faults,
  ): Job {
    const id = ++this.#jobNumber;
    setCancelled(this.#cancelView, id, false);
    return { id, fnId: this.#fnId(ref), task, spread, settle, sink, faults, cancelled: false };
  }

  /** Queues a chunk of a job and starts it as soon as a worker is free. */
  submit(chunk: Chunk): void {
    const refused = this.refusal();
    if (refused) {
      chunk.job.sink.failed(chunk, refused);
      return;
    }
    this.#queue.push(chunk);
    // Calls made in the same turn (a loop of applyAsync, a map's chunks) go out together.
    if (!this.#pumpScheduled) {
      this.#pumpScheduled = true;
      queueMicrotask(() => {
        this.#pumpScheduled = false;
        this.#pump();
      });
    }
  }

  /**
   * Cancels a job: its queued chunks never run, its running chunks stop at their next
   * item, and a worker still busy with it after the grace period is replaced.
   */
  cancel(job: Job): void {
    if (job.cancelled) return;
    job.cancelled = true;
    setCancelled(this.#cancelView, job.id, true);
    for (const slot of this.#slots) {
      if (!slot.inflight.some((chunk) => chunk.job === job)) continue;
      slot.endpoint.post([CANCEL, job.id]);
      slot.startGrace(this.#options.cancelGrace, () => {
        if (slot.running?.job.cancelled) this.#replace(slot, null);
      });
    }
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
    const pending: Chunk[] = this.#queue.drain();
    for (const slot of this.#slots) {
      this.#drop(slot);
      pending.push(...slot.inflight);
    }
    this.#slots.clear();
    const stuck = this.stuck;
    if (stuck > 0) {
      // Nothing hangs, but the program cannot exit until those threads return: say why.
      console.warn(
        `Pool '${this.#options.name}': ${stuck} terminated worker(s) still busy in synchronous ` +
          `code; Deno cannot stop them, so they run until that code returns`,
      );
    }
    for (const chunk of pending) {
      if (!chunk.job.cancelled) chunk.job.sink.failed(chunk, stopped);
    }
    this.#opened?.(stopped);
    this.#opened = null;
    this.#checkDrained();
  }

  /** Calls `drained` once the pool is closed and every queued and running chunk ended. */
  whenDrained(drained: () => void): void {
    this.#drainWaiters.push(drained);
    this.#checkDrained();
  }

  #fnId(ref: TaskRef): number {
    // References are cached per function, so the same object comes back on every call.
    let id = this.#fnIds.get(ref);
    if (id === undefined) {
      id = this.#fnIds.size + 1;
      this.#fnIds.set(ref, id);
      this.#fnRefs.set(id, ref);
    }
    return id;
  }

  #spawn(): void {
    const name = `${this.#options.name}-${++this.#workerNumber}`;
    const slot = new WorkerSlot(name, nextPid());
    const listener = {
      message: (message: FromWorker) => this.#receive(slot, message),
      ended: (end: WorkerEnd) => this.#ended(slot, end),
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
  }

  /**
   * Acts on a message whose shape the backend checked. What it says must also fit this
   * worker's state: one READY, an initializer's failure only before it, and answers
   * only for the chunk running there (a worker runs its chunks in the order sent, so an
   * answer always names the oldest one in flight), each with one value per item.
   * Anything else is a protocol violation, and the worker is treated as crashed.
   */
  #receive(slot: Slot, message: FromWorker): void {
    switch (message[0]) {
      case READY:
        if (slot.ready) return this.#violation(slot, "sent READY twice");
        slot.ready = true;
        this.#startFailures = 0;
        // Chunks sent while it started begin now: so does the first one's timeout.
        slot.since = performance.now();
        this.#armDeadline(slot);
        if (this.#opened) this.#maybeOpened();
        this.#pump();
        return;
      case INIT_FAILED: {
        if (slot.ready) return this.#violation(slot, "sent INIT_FAILED after READY");
        const [, error] = message;
        this.#initFailed(slot, fromWire(error, "initializer"));
        return;
      }
      case DONE:
        if (!this.#done(slot, message)) return;
        break;
      case DONE_MANY: {
        // One pass over the batch, then one look for more work.
        const [, answers] = message;
        for (let i = 0; i < answers.length; i++) if (!this.#done(slot, answers[i]!)) return;
        break;
      }
      case FAILED: {
        const [, chunkId, error] = message;
        const chunk = this.#running(slot, chunkId);
        if (chunk === undefined) return;
        this.#answered(slot);
        if (!chunk.job.cancelled) {
          chunk.job.sink.failed(chunk, fromWire(error, chunk.job.task));
        }
        break;
      }
      case CANCELLED: {
        const [, chunkId] = message;
        const chunk = this.#running(slot, chunkId);
        if (chunk === undefined) return;
        // Only a cancelled call may end this way: no chunk vanishes from the accounts.
        if (!chunk.job.cancelled) {
          return this.#violation(slot, `said chunk ${chunkId} was cancelled, which it was not`);
        }
        this.#answered(slot);
        break;
      }
      default:
        return this.#violation(slot, `sent a message of kind ${message[0]} to the pool`);
    }
    this.#afterAnswer(slot);
  }

  /** Takes one chunk's answer; false when it broke the protocol (the worker is gone). */
  #done(slot: Slot, answer: DoneMessage): boolean {
    const [, chunkId, values, wireErrors] = answer;
    const chunk = this.#running(slot, chunkId);
    if (chunk === undefined) return false;
    const n = chunk.items.length;
    const lastError = wireErrors === null ? -1 : wireErrors[wireErrors.length - 1]![0];
    const counted = wireErrors === null || chunk.job.settle
      ? values.length === n
      : values.length <= n;
    if (!counted || lastError >= n) {
      this.#violation(
        slot,
        `answered chunk ${chunkId} with ${values.length} value(s) for its ${n} item(s)`,
      );
      return false;
    }
    this.#answered(slot);
    if (chunk.job.cancelled) return true;
    if (wireErrors !== null && chunk.job.faults.retryTaskErrors && this.#retry(chunk)) return true;
    const errors = wireErrors === null
      ? null
      : wireErrors.map(([index, wire]) => [index, fromWire(wire, chunk.job.task)] as const);
    chunk.job.sink.done(chunk, values, errors);
    return true;
  }

  /**
   * The chunk an answer names, which must be the one running on the worker; undefined,
   * and the worker treated as crashed, when it names any other.
   */
  #running(slot: Slot, chunkId: number): Chunk | undefined {
    if (slot.answers(chunkId)) return slot.running;
    this.#violation(slot, `answered chunk ${chunkId}, which is not the one running there`);
    return undefined;
  }

  /** Takes the running chunk, answered, off the worker's books. */
  #answered(slot: Slot): void {
    const took = slot.take();
    this.#completed++;
    this.#chunkMs = this.#chunkMs === Infinity ? took : 0.9 * this.#chunkMs + 0.1 * took;
  }

  /**
   * A worker said what it may not: it is stopped and counts as crashed, so the chunk it
   * was running fails with `WorkerCrashed` (or runs again, with retries left) and the
   * chunks queued behind it run elsewhere.
   */
  #violation(slot: Slot, reason: string): void {
    if (!this.#slots.has(slot)) return;
    this.#crashed(slot, { exitCode: null, error: null, reason: `broke the protocol: ${reason}` });
  }

  #afterAnswer(slot: Slot): void {
    slot.endGraceUnlessCancelled();
    this.#armDeadline(slot);
    const max = this.#options.maxTasksPerChild;
    if (max !== null && slot.answered >= max && slot.inflight.length === 0) {
      this.#replace(slot, null);
    }
    this.#pump();
  }

  #ended(slot: Slot, end: WorkerEnd): void {
    if (!this.#slots.has(slot)) return;
    this.#crashed(slot, end, true);
  }

  /** A worker is gone (`ended`) or must go: its work fails or moves, as for any crash. */
  #crashed(slot: Slot, end: WorkerEnd, ended = false): void {
    // A sandboxed worker whose task module cannot load ends before its READY when it
    // was sent work while starting: that fails the task, as it would once ready.
    const taskNotLoaded = end.error?.tag === "TaskNotFound" && slot.inflight.length > 0;
    if (!slot.ready && !taskNotLoaded) {
      const cause = end.error ? fromWire(end.error, "initializer") : undefined;
      this.#initFailed(
        slot,
        new WorkerCrashed({
          message: `Worker ${slot.name} ${end.reason} while starting`,
          worker: slot.name,
          exitCode: end.exitCode,
          ...(cause ? { cause } : {}),
        }),
        ended,
      );
      return;
    }
    const running = slot.inflight[0];
    const crash = new WorkerCrashed({
      message: `Worker ${slot.name} ${end.reason} while running '${
        running?.job.task ?? "no task"
      }'`,
      worker: slot.name,
      exitCode: end.exitCode,
      ...(end.error ? { cause: fromWire(end.error, running?.job.task ?? "") } : {}),
    });
    this.#replace(slot, crash, ended);
  }

  /**
   * Drops a worker and starts another in its place. The chunk it was running fails with
   * `failure` (when given, and unless it has retries left); chunks sent to it but not
   * started go back to the queue's front.
   */
  #replace(slot: Slot, failure: WorkerCrashed | TaskTimeout | null, ended = false): void {
    this.#slots.delete(slot);
    this.#drop(slot, ended);
    const [running, ...waiting] = slot.inflight;
    for (let i = waiting.length - 1; i >= 0; i--) this.#queue.unshift(waiting[i]!);
    if (running && !running.job.cancelled) {
      if (failure === null) this.#queue.unshift(running);
      else if (!this.#retry(running)) running.job.sink.failed(running, failure);
    }
    if (this.#phase !== "terminated") {
      this.#replaced++;
      this.#spawn();
    }
    this.#pump();
  }

  /** Puts a failed chunk back at the queue's front if its job allows another run. */
  #retry(chunk: Chunk): boolean {
    const attempts = chunk.attempts ?? 0;
    if (chunk.job.cancelled || attempts >= chunk.job.faults.retries) return false;
    chunk.attempts = attempts + 1;
    this.#queue.unshift(chunk);
    return true;
  }

  /**
   * Stops a worker (see `WorkerSlot.drop`) and remembers it while its thread is still
   * busy; a subprocess is waited for until it exited. A worker that `ended` on its own
   * is simply gone.
   */
  #drop(slot: Slot, ended = false): void {
    const busy = slot.drop();
    const exited = slot.endpoint.exited;
    if (exited !== null && !this.#exiting.has(exited)) {
      this.#exiting.add(exited);
      exited.then(() => this.#exiting.delete(exited));
    }
    if (!ended && busy) this.#dropped.add(slot.busy);
  }

  /** Starts the timeout of the chunk now running on `slot`, if its call has one. */
  #armDeadline(slot: Slot): void {
    slot.armDeadline((running, timeout) => {
      if (!this.#slots.has(slot)) return;
      this.#replace(
        slot,
        new TaskTimeout({
          message: `'${running.job.task}' did not finish within ${timeout} ms; ` +
            `worker ${slot.name} was replaced`,
          timeout,
        }),
      );
    });
  }

  #initFailed(slot: Slot, error: PoolError, ended = false): void {
    this.#slots.delete(slot);
    this.#drop(slot, ended);
    // Chunks sent while it started share the fate of the queue.
    for (let i = slot.inflight.length - 1; i >= 0; i--) this.#queue.unshift(slot.inflight[i]!);
    const initError = error instanceof TaskError || error instanceof WorkerCrashed
      ? error
      : new TaskError({ message: error.message, remoteName: error._tag, isError: true });
    if (this.#opened) {
      // Opening fails as a whole: the caller gets the initializer's error.
      const opened = this.#opened;
      this.#opened = null;
      this.terminate();
      opened(initError);
      return;
    }
    // A replacement failed to start. What a worker says cannot break the pool: another
    // is started in its place, unless replacements keep failing. Then that place is given
    // up, and only once no worker is left does the pool refuse work.
    if (this.#phase !== "terminated" && ++this.#startFailures <= MAX_START_FAILURES) {
      this.#replaced++;
      this.#spawn();
    } else if (this.#slots.size === 0) {
      this.#broken = initError;
      for (const chunk of this.#queue.drain()) {
        if (!chunk.job.cancelled) chunk.job.sink.failed(chunk, initError);
      }
    }
    this.#pump();
    this.#checkDrained();
  }

  #maybeOpened(): void {
    if (this.#opened === null) return;
    for (const slot of this.#slots) if (!slot.ready) return;
    const opened = this.#opened;
    this.#opened = null;
    if (this.#phase === "opening") this.#phase = "open";
    opened(null);
  }

  /** Sends queued chunks to the workers that may take them (see `dispatch.ts`). */
  #pump(): void {
    // Runs for the same worker go out together, as one message, when it takes them.
    let outgoing: Map<Slot, Outgoing[]> | null = null;
    while (this.#queue.size > 0) {
      const next = this.#queue.peek()!;
      const slot = chooseWorker(this.#slots, next, this.#options, this.#chunkMs, outgoing);
      if (slot === undefined) break;
      const chunk = this.#queue.shift()!;
      if (chunk.job.cancelled) continue;
      const run = prepareRun(slot, chunk, ++this.#chunkNumber, this.#fnRefs.get(chunk.job.fnId)!);
      if (run === null) continue;
      const started = slot.track(chunk);
      chunk.job.sink.sent?.(chunk);
      if (batchable(slot, chunk)) {
        outgoing ??= new Map();
        const list = outgoing.get(slot);
        if (list) list.push(run);
        else outgoing.set(slot, [run]);
        if (started) this.#armDeadline(slot);
      } else {
        postRun(slot, run);
        if (started) this.#armDeadline(slot);
      }
    }
    if (outgoing !== null) {
      for (const [slot, runs] of outgoing) {
        postRuns(slot, runs);
        // A run that could not be posted left the books: the clock follows the head.
        if (slot.inflight.length === 0 || runs.some((run) => run.chunk === slot.running)) {
          this.#armDeadline(slot);
        }
      }
    }
    this.#checkDrained();
  }

  #checkDrained(): void {
    if (this.#drainWaiters.length === 0) return;
    if (this.#phase !== "closed" && this.#phase !== "terminated") return;
    if (this.#queue.size > 0) return;
    for (const slot of this.#slots) if (slot.inflight.length > 0) return;
    for (const slot of this.#slots) this.#drop(slot);
    this.#slots.clear();
    if (this.#phase === "closed") this.#phase = "terminated";
    const waiters = this.#drainWaiters.splice(0);
    const wake = (): void => {
      for (const drained of waiters) drained();
    };
    // Subprocesses count as gone once they exited: no child outlives the pool's join.
    if (this.#exiting.size === 0) wake();
    else Promise.all(this.#exiting).then(wake);
  }
}

/** The initializer's arguments as INIT carries them: communication objects encoded. */
function initArguments(initargs: readonly unknown[]): Pick<InitData, "initargs" | "encoded"> {
  const encoded = encodeItems([initargs], true);
  return encoded === null
    ? { initargs, encoded: false }
    : { initargs: encoded.items[0] as unknown[], encoded: true };
}
