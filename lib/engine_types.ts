/**
 * The types the engine shares with the pool's faces: calls (jobs), their chunks, what
 * their owners hear, the engine's settings and its counters.
 *
 * @module
 */
import type { BackendName, startEndpoint } from "./backend/endpoint.ts";
import type { ClusterLink } from "./cluster/connection.ts";
import type { PoolError } from "./errors.ts";
import type { Permissions } from "./permissions.ts";
import type { TaskRef } from "./shared/protocol.ts";

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
  /** The pool's link to its cluster (`"cluster"` backend), given to each endpoint. */
  readonly cluster?: ClusterLink;
}

/** What a process is: a Web Worker (`"worker"`) or a child `deno` (`"subprocess"`). */
export type Backend = BackendName;

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
  /**
   * The cluster backend's view (`backend: "cluster"` only): `runners` (the runners alive
   * now, `host:port`) and `inflight` (chunks sent to the cluster and not answered yet).
   */
  readonly cluster?: Readonly<Record<string, unknown>>;
}
