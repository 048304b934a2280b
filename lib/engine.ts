/**
 * The pool's engine: its workers, its queue of chunks, and what happens when a worker
 * answers, ends, or must be replaced. A plain state machine driven by worker messages:
 * it allocates nothing per item and runs no fiber per task, so the hot path stays
 * close to raw `postMessage`. The Effect and Promise faces own its lifetime.
 *
 * @module
 */
import {
  type BackendName,
  type Endpoint,
  startEndpoint,
  type WorkerEnd,
} from "./backend/endpoint.ts";
import { Deque } from "./deque.ts";
import {
  fromWire,
  PoolClosed,
  type PoolError,
  SerializationError,
  TaskError,
  TaskTimeout,
  WorkerCrashed,
} from "./errors.ts";
import type { Permissions } from "./permissions.ts";
import { encodeItems } from "./worker/ipc/wire.ts";
import { nextPid } from "./pids.ts";
import {
  BUSY_CELL,
  CANCEL,
  CANCEL_SLOTS,
  CANCELLED,
  DEFINE,
  DONE,
  DONE_MANY,
  type DoneMessage,
  DROPPED_CELL,
  FAILED,
  type FromWorker,
  INIT,
  INIT_FAILED,
  type InitData,
  READY,
  RUN_MANY,
  type RunMessage,
  runMessage,
  setCancelled,
  type TaskRef,
} from "./protocol.ts";
import { currentProcess } from "./worker/identity.ts";

/** What a job's owner hears about its chunks. Called at most once per chunk. */
export interface JobSink {
  /** The chunk ran; `errors` lists `[index, error]` of failed items, or is null. */
  done(
    chunk: Chunk,
    values: readonly unknown[],
    errors: ReadonlyArray<readonly [number, PoolError]> | null,
  ): void;
  /** The chunk as a whole failed (crash, unsendable arguments, task not found, pool stopped). */
  failed(chunk: Chunk, error: PoolError): void;
  /** The chunk was handed to a worker (`AsyncResult.running()`). */
  sent?(chunk: Chunk): void;
}

/** One call on the pool (`map`, `apply`, ...): its chunks share a function and a fate. */
export interface Job {
  readonly id: number;
  readonly fnId: number;
  readonly task: string;
  readonly spread: boolean;
  readonly settle: boolean;
  readonly sink: JobSink;
  readonly faults: JobFaults;
  cancelled: boolean;
}

/** How a job reacts to slow or failing chunks. */
export interface JobFaults {
  /** Milliseconds a chunk may run before it fails with `TaskTimeout`, or null. */
  readonly timeout: number | null;
  /** Times a chunk is run again after `WorkerCrashed` or `TaskTimeout`. */
  readonly retries: number;
  /** Also run a chunk again when its task threw. */
  readonly retryTaskErrors: boolean;
}

/** A slice of a job's input, sent to a worker as one message. */
export interface Chunk {
  readonly job: Job;
  /** Position of the chunk within its job. */
  readonly seq: number;
  readonly items: readonly unknown[];
  /** Runs so far that ended in a retryable failure. */
  attempts?: number;
  /** The id of its latest `RUN`: the only id a worker may answer it by. */
  runId?: number;
}

/** How the engine is configured. */
export interface EngineOptions {
  readonly processes: number;
  readonly name: string;
  readonly initializer: TaskRef | null;
  readonly initargs: readonly unknown[];
  readonly maxTasksPerChild: number | null;
  /** Chunks sent to a worker ahead of its answers, for chunks that take a while. */
  readonly depth: number;
  /** Chunks sent ahead when chunks are quick (under `quickChunkMs`): hides the round trip. */
  readonly quickDepth: number;
  /** A chunk this fast (moving average, ms) counts as quick. */
  readonly quickChunkMs: number;
  /** How long a cancelled chunk may keep running before its worker is replaced. */
  readonly cancelGrace: number;
  /** What the workers may do. */
  readonly permissions: Permissions;
  /** What a process is: a Web Worker, or a child `deno` process. */
  readonly backend: Backend;
  /** Heap limit of each subprocess in MiB, or null. */
  readonly maxHeapMB: number | null;
  /** Defaults for each call's fault handling. */
  readonly faults: JobFaults;
  /** Starts a worker: the backends' own factory unless a test gives another. */
  readonly start?: typeof startEndpoint;
}

/** What a process is: a Web Worker (`"worker"`) or a child `deno` (`"subprocess"`). */
export type Backend = BackendName;

/**
 * Replacement workers that may fail to start in a row before a place in the pool is
 * given up. A replacement is started after every crash; one whose initializer keeps
 * failing would otherwise be restarted for ever, while the work queued for it waits.
 */
const MAX_START_FAILURES = 3;

/** Counters a user may read at any time. */
export interface PoolStats {
  /** Workers alive now. */
  readonly workers: number;
  /** Chunks waiting for a worker. */
  readonly queued: number;
  /** Chunks sent to workers and not answered yet. */
  readonly running: number;
  /** Chunks answered since the pool opened. */
  readonly completed: number;
  /** Workers replaced after a crash, a timeout, a cancellation or `maxTasksPerChild`. */
  readonly replaced: number;
  /**
   * Workers dropped from the pool (timed out, cancelled, terminated) whose thread is
   * still busy in synchronous code: Deno cannot stop them, so they run until that code
   * returns, and the program cannot exit before.
   */
  readonly stuck: number;
}

interface Slot {
  readonly channel: Endpoint;
  readonly name: string;
  readonly pid: number;
  readonly known: Set<number>;
  /** Chunks sent and not answered, oldest (the running one) first. */
  readonly inflight: Chunk[];
  /** Shared with the worker: [0] is 1 while a task runs synchronously. */
  readonly busy: Int32Array;
  ready: boolean;
  /** When the worker last answered (or was sent work while idle): the running chunk's start. */
  since: number;
  sent: number;
  answered: number;
  graceTimer: ReturnType<typeof setTimeout> | undefined;
  deadlineTimer: ReturnType<typeof setTimeout> | undefined;
}

type Phase = "opening" | "open" | "closed" | "terminated";

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
    for (const slot of this.#slots) running += slot.inflight.length;
    return {
      workers: this.#slots.size,
      queued: this.#queue.size,
      running,
      completed: this.#completed,
      replaced: this.#replaced,
      stuck: this.stuck,
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
      slot.channel.post([CANCEL, job.id]);
      if (slot.graceTimer === undefined) {
        slot.graceTimer = setTimeout(() => {
          slot.graceTimer = undefined;
          const head = slot.inflight[0];
          if (head?.job.cancelled) this.#replace(slot, null);
        }, this.#options.cancelGrace);
      }
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
    const number = ++this.#workerNumber;
    const name = `${this.#options.name}-${number}`;
    const pid = nextPid();
    const slot: Slot = {
      // Assigned right below: the listener needs the slot, the slot needs the channel.
      channel: undefined as unknown as Endpoint,
      name,
      pid,
      known: new Set(),
      inflight: [],
      busy: new Int32Array(new SharedArrayBuffer(8)),
      ready: false,
      since: 0,
      sent: 0,
      answered: 0,
      graceTimer: undefined,
      deadlineTimer: undefined,
    };
    const listener = {
      message: (message: FromWorker) => this.#receive(slot, message),
      ended: (end: WorkerEnd) => this.#ended(slot, end),
    };
    const { permissions, maxHeapMB, backend } = this.#options;
    const start = this.#options.start ?? startEndpoint;
    const channel = start(name, listener, { backend, permissions, maxHeapMB });
    (slot as { channel: Endpoint }).channel = channel;
    // A subprocess is known by its OS pid (its own `currentProcess().pid`).
    if (channel.pid != null) (slot as { pid: number }).pid = channel.pid;
    this.#slots.add(slot);
    slot.channel.post([INIT, {
      self: { name, pid: slot.pid },
      parent: { name: currentProcess().name, pid: currentProcess().pid },
      cancelBits: this.#cancelBits,
      busy: slot.busy.buffer as SharedArrayBuffer,
      ...initArguments(this.#options.initargs),
      initializer: this.#options.initializer,
    }]);
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
      case INIT_FAILED:
        if (slot.ready) return this.#violation(slot, "sent INIT_FAILED after READY");
        this.#initFailed(slot, fromWire(message[1], "initializer"));
        return;
      case DONE:
        if (!this.#done(slot, message)) return;
        break;
      case DONE_MANY: {
        // One pass over the batch, then one look for more work.
        const answers = message[1];
        for (let i = 0; i < answers.length; i++) if (!this.#done(slot, answers[i]!)) return;
        break;
      }
      case FAILED: {
        const chunk = this.#running(slot, message[1]);
        if (chunk === undefined) return;
        this.#answered(slot);
        if (!chunk.job.cancelled) {
          chunk.job.sink.failed(chunk, fromWire(message[2], chunk.job.task));
        }
        break;
      }
      case CANCELLED: {
        const chunk = this.#running(slot, message[1]);
        if (chunk === undefined) return;
        // Only a cancelled call may end this way: no chunk vanishes from the accounts.
        if (!chunk.job.cancelled) {
          return this.#violation(slot, `said chunk ${message[1]} was cancelled, which it was not`);
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
    const chunkId = answer[1], values = answer[2], wireErrors = answer[3];
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
    const head = slot.inflight[0];
    if (!slot.ready || head === undefined || head.runId !== chunkId) {
      this.#violation(slot, `answered chunk ${chunkId}, which is not the one running there`);
      return undefined;
    }
    return head;
  }

  /** Takes the running chunk, answered, off the worker's in-flight list. */
  #answered(slot: Slot): void {
    slot.inflight.shift();
    slot.answered++;
    this.#completed++;
    const now = performance.now();
    const took = now - slot.since;
    slot.since = now;
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
    if (slot.graceTimer !== undefined && !slot.inflight[0]?.job.cancelled) {
      clearTimeout(slot.graceTimer);
      slot.graceTimer = undefined;
    }
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
   * Stops a worker's timers and the worker; remembers it if it is still busy. The
   * worker is told it was dropped (cell 1), so that once its synchronous code returns it
   * starts nothing more: Deno's termination then lands while it is idle, never inside a
   * later task with its busy flag set. A worker that `ended` on its own is simply gone.
   */
  #drop(slot: Slot, ended = false): void {
    clearTimeout(slot.graceTimer);
    clearTimeout(slot.deadlineTimer);
    Atomics.store(slot.busy, DROPPED_CELL, 1);
    slot.channel.terminate();
    const exited = slot.channel.exited;
    if (exited !== null && !this.#exiting.has(exited)) {
      this.#exiting.add(exited);
      exited.then(() => this.#exiting.delete(exited));
    }
    if (!ended && Atomics.load(slot.busy, BUSY_CELL) === 1) this.#dropped.add(slot.busy);
  }

  /** Starts the timeout of the chunk now running on `slot`, if its job has one. */
  #armDeadline(slot: Slot): void {
    clearTimeout(slot.deadlineTimer);
    slot.deadlineTimer = undefined;
    // A worker still starting runs nothing yet: its READY arms the clock.
    if (!slot.ready) return;
    const running = slot.inflight[0];
    const timeout = running?.job.faults.timeout ?? null;
    if (running === undefined || timeout === null) return;
    slot.deadlineTimer = setTimeout(() => {
      slot.deadlineTimer = undefined;
      if (slot.inflight[0] !== running || !this.#slots.has(slot)) return;
      this.#replace(
        slot,
        new TaskTimeout({
          message: `'${running.job.task}' did not finish within ${timeout} ms; ` +
            `worker ${slot.name} was replaced`,
          timeout,
        }),
      );
    }, timeout);
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

  #pump(): void {
    // Runs for the same worker go out together, as one message, when its channel can.
    let outgoing: Map<Slot, Outgoing[]> | null = null;
    while (this.#queue.size > 0) {
      const slot = this.#freeSlot(outgoing, this.#queue.peek()!.job.faults.timeout !== null);
      if (slot === undefined) break;
      const chunk = this.#queue.shift()!;
      if (chunk.job.cancelled) continue;
      if (slot.channel.batches && chunk.items.length <= BATCH_MAX_ITEMS) {
        const run = this.#prepare(slot, chunk);
        if (run === null) continue;
        outgoing ??= new Map();
        const list = outgoing.get(slot);
        if (list) list.push(run);
        else outgoing.set(slot, [run]);
        this.#track(slot, chunk);
      } else {
        this.#send(slot, chunk);
      }
    }
    if (outgoing !== null) {
      for (const [slot, runs] of outgoing) this.#postRuns(slot, runs);
    }
    this.#checkDrained();
  }

  /** Builds a chunk's RUN (defining its function first); null if it cannot be sent. */
  #prepare(slot: Slot, chunk: Chunk): Outgoing | null {
    const { job } = chunk;
    if (!slot.known.has(job.fnId)) {
      slot.channel.post([DEFINE, job.fnId, this.#fnRefs.get(job.fnId)!]);
      slot.known.add(job.fnId);
    }
    const chunkId = ++this.#chunkNumber;
    try {
      const encoded = encodeItems(chunk.items, job.spread);
      const items = encoded?.items ?? (chunk.items as unknown[]);
      const message = runMessage({
        chunkId,
        fnId: job.fnId,
        jobId: job.id,
        items,
        spread: job.spread,
        settle: job.settle,
        encoded: encoded !== null,
        timed: job.faults.timeout !== null,
      });
      chunk.runId = chunkId;
      return { chunk, message, transfer: encoded?.transfer ?? [] };
    } catch (error) {
      job.sink.failed(chunk, unsendable(chunk, error));
      return null;
    }
  }

  /** Records a chunk as sent to `slot`. */
  #track(slot: Slot, chunk: Chunk): void {
    slot.inflight.push(chunk);
    slot.sent++;
    chunk.job.sink.sent?.(chunk);
    if (slot.inflight.length === 1) {
      slot.since = performance.now();
      this.#armDeadline(slot);
    }
  }

  /**
   * Posts prepared runs to one worker: together when there are several; one by one when
   * that fails, so that only the chunk whose arguments cannot be cloned fails.
   */
  #postRuns(slot: Slot, runs: Outgoing[]): void {
    if (runs.length > 1) {
      try {
        slot.channel.post(
          [RUN_MANY, runs.map((run) => run.message)],
          runs.flatMap((run) => run.transfer),
        );
        return;
      } catch {
        // One of them cannot be cloned: find out which, below.
      }
    }
    for (const run of runs) {
      try {
        slot.channel.post(run.message, run.transfer);
      } catch (error) {
        const at = slot.inflight.indexOf(run.chunk);
        if (at >= 0) {
          slot.inflight.splice(at, 1);
          slot.sent--;
        }
        run.chunk.job.sink.failed(run.chunk, unsendable(run.chunk, error));
      }
    }
    if (slot.inflight.length === 0) {
      clearTimeout(slot.deadlineTimer);
      slot.deadlineTimer = undefined;
    } else if (runs.some((run) => run.chunk === slot.inflight[0])) {
      this.#armDeadline(slot);
    }
  }

  /**
   * The least loaded worker with room. `filling` holds the workers already given runs in
   * this pass: while chunks are quick, a worker is topped up only once it has drained to
   * half its depth, so its runs leave in batches rather than one per answer.
   */
  #freeSlot(filling: Map<Slot, unknown> | null = null, timed = false): Slot | undefined {
    const max = this.#options.maxTasksPerChild;
    // Quick chunks pipeline deeply (the round trip dominates); slow ones stay shallow so
    // work is not promised to a busy worker while another could take it.
    const quick = this.#chunkMs < this.#options.quickChunkMs;
    const depth = quick ? this.#options.quickDepth : this.#options.depth;
    const lowWater = quick ? depth / 2 : depth;
    let best: Slot | undefined;
    for (const slot of this.#slots) {
      // A worker still starting takes a shallow pipeline: the others may be free sooner.
      if (slot.inflight.length >= (slot.ready ? depth : this.#options.depth)) continue;
      if (
        slot.inflight.length >= lowWater && slot.channel.batches && !filling?.has(slot)
      ) continue;
      if (max !== null && slot.sent >= max) continue;
      if (slot.inflight[0]?.job.cancelled) continue;
      // A chunk with a timeout goes only to an idle worker: its clock then starts when it
      // is sent, and no chunk ahead of it on that worker can hold it past its timeout.
      if (timed && slot.inflight.length > 0) continue;
      if (best === undefined || slot.inflight.length < best.inflight.length) best = slot;
    }
    return best;
  }

  /** Sends one chunk on its own (channels that take no `RUN_MANY`). */
  #send(slot: Slot, chunk: Chunk): void {
    const run = this.#prepare(slot, chunk);
    if (run === null) return;
    try {
      slot.channel.post(run.message, run.transfer);
    } catch (error) {
      chunk.job.sink.failed(chunk, unsendable(chunk, error));
      return;
    }
    this.#track(slot, chunk);
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

/**
 * Chunks of at most this many items share a message with the other runs for their
 * worker. A bigger one goes alone: the worker can start it as soon as it arrives, while
 * the next is still being copied.
 */
const BATCH_MAX_ITEMS = 64;

/** A chunk's RUN, built and ready to post. */
interface Outgoing {
  readonly chunk: Chunk;
  readonly message: RunMessage;
  readonly transfer: Transferable[];
}

/** The initializer's arguments as INIT carries them: communication objects encoded. */
function initArguments(initargs: readonly unknown[]): Pick<InitData, "initargs" | "encoded"> {
  const encoded = encodeItems([initargs], true);
  return encoded === null
    ? { initargs, encoded: false }
    : { initargs: encoded.items[0] as unknown[], encoded: true };
}

function unsendable(chunk: Chunk, error: unknown): SerializationError {
  let index = -1;
  for (let i = 0; i < chunk.items.length && index < 0; i++) {
    try {
      structuredClone(chunk.items[i]);
    } catch {
      index = i;
    }
  }
  const reason = error instanceof Error ? error.message : String(error);
  const which = index < 0 ? "the arguments" : `the arguments of item ${index}`;
  return new SerializationError({
    message: `Cannot send ${which} of '${chunk.job.task}' to a worker: ${reason}; ` +
      `pass plain data (no functions, symbols or class instances with methods)`,
    cause: error,
  });
}
