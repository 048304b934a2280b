/**
 * The types the engine shares with the pool's faces: calls (jobs), their chunks, what
 * their owners hear, the engine's settings and its counters.
 *
 * @module
 */
import type { BackendName, startEndpoint } from "./backend/endpoint.ts";
import type { ClusterLink } from "./cluster/connection.ts";
import type { EngineObserver } from "./engine_observer.ts";
import type { DurationSummary } from "./engine_stats.ts";
import type { PoolError } from "./errors.ts";
import type { Permissions } from "./permissions.ts";
import type { TaskRef } from "./shared/protocol.ts";
import type { WireSpan } from "./shared/tracing_wire.ts";
import type { CallTrace, ChunkSpan } from "./tracing.ts";

/** What a job's owner hears about its chunks. Called at most once per chunk. */
export interface JobListener {
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

/** The function a job runs, already resolved to a reference, and how it runs it. */
export interface JobSpec {
  readonly ref: TaskRef;
  /** The function's name, for messages. */
  readonly task: string;
  /** Each item is an argument list (`starmap`, `apply`) rather than one argument. */
  readonly spread: boolean;
  /** Every item's outcome is wanted (`mapSettled`): item errors do not fail the chunk. */
  readonly settle?: boolean;
  /** Timeout and retries of the call. */
  readonly faults: JobFaults;
  /** The caller's tracer and span, when an Effect tracer traces the call (`tracing.ts`). */
  readonly trace?: CallTrace | undefined;
}

/** One call on the pool (`map`, `apply`, ...): its chunks share a function and a fate. */
export interface Job {
  readonly id: number;
  readonly fnId: number;
  readonly ref: TaskRef;
  readonly task: string;
  readonly spread: boolean;
  readonly settle: boolean;
  readonly listener: JobListener;
  readonly faults: JobFaults;
  cancelled: boolean;
  /** The caller's tracer and span, when the call is traced (`tracing.ts`). */
  readonly trace?: CallTrace | undefined;
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
  /**
   * When it joined the queue, and when its current run started (`performance.now()`;
   * undefined before it starts). Stamped only while the engine has observers.
   */
  queuedAt?: number;
  startedAt?: number | undefined;
  /** Its current run's span, when its call is traced (`tracing.ts`)... */
  span?: ChunkSpan | undefined;
  /** ...and that span's ids, sent with its `RUN`. */
  trace?: string | undefined;
  /** The spans its worker recorded under it, from its answer, until its span ends. */
  spans?: readonly WireSpan[] | undefined;
}

/** How the engine is configured. */
export interface EngineOptions {
  /** Workers the pool keeps: for an elastic pool, the most it may have (`maxProcesses`). */
  readonly processes: number;
  /**
   * Workers an elastic pool never shrinks below, started when it opens (`minProcesses`).
   * Absent: `processes` (a fixed pool).
   */
  readonly minProcesses?: number;
  /**
   * Milliseconds a worker beyond `minProcesses` may stay idle before it is ended; null or
   * absent: never (a fixed pool).
   */
  readonly idleTimeout?: number | null;
  /**
   * Chunks the queue may hold before calls wait for room (`maxQueue`); null or absent:
   * no limit.
   */
  readonly maxQueue?: number | null;
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
  /** The pool's link to its cluster (`"cluster"` backend), given to each endpoint. */
  readonly cluster?: ClusterLink;
  /**
   * Hears every chunk queued, started and ended (stats, metrics, tracing); more can be
   * attached later with `Engine.observe`.
   */
  readonly observer?: EngineObserver;
}

/** What a process is: a Web Worker (`"worker"`) or a child `deno` (`"subprocess"`). */
export type Backend = BackendName;

/** Counters a user may read at any time. */
export interface PoolStats {
  /** Workers alive now. */
  readonly workers: number;
  /** Workers holding work now: a chunk running, or sent to them and waiting there. */
  readonly busy: number;
  /** Workers holding no work now (`busy + idle === workers`). */
  readonly idle: number;
  /** Chunks waiting for a worker. */
  readonly queued: number;
  /**
   * Calls waiting for room in the queue (`maxQueue`) with work not queued yet: each such
   * `apply`, `applyAsync` or `submit`, and each map with chunks left to queue. Always 0
   * without `maxQueue`.
   */
  readonly waiting: number;
  /** Chunks sent to workers and not answered yet. */
  readonly running: number;
  /** Chunks answered since the pool opened. */
  readonly completed: number;
  /** Chunks that ran and whose every item succeeded. */
  readonly done: number;
  /**
   * Runs of chunks that failed: a task threw for one of their items, or the chunk as a
   * whole failed (its worker crashed, it timed out, its arguments could not be sent, the
   * pool stopped). A chunk run again (`retries`) counts once per failed run.
   */
  readonly failed: number;
  /** Chunks that ended because their call was cancelled. */
  readonly cancelled: number;
  /** How long chunks waited between their call and the start of their run, in ms. */
  readonly timeQueued: DurationSummary;
  /** How long chunks ran (on a worker, as this program saw it), in ms. */
  readonly timeRunning: DurationSummary;
  /** Workers replaced after a crash, a timeout, a cancellation or `maxTasksPerChild`. */
  readonly replaced: number;
  /**
   * Workers dropped from the pool (timed out, cancelled, terminated) whose thread is
   * still busy in synchronous code: Deno cannot stop them, so they run until that code
   * returns, and the program cannot exit before.
   */
  readonly stuck: number;
  /**
   * The cluster backend's view (`backend: "cluster"` only): `runners` (the runners alive
   * now, `host:port`) and `inflight` (chunks sent to the cluster and not answered yet).
   */
  readonly cluster?: Readonly<Record<string, unknown>>;
}
