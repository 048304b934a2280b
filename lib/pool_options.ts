/**
 * The options a pool opens with and each call takes, and their validation: misuse is
 * a `RangeError` or `TypeError` that names the option and quotes the value (the checks:
 * `pool_option_checks.ts`). How big a pool may be (`processes`, the elastic pool's
 * bounds, `maxQueue`) is checked in `pool_sizing_options.ts`; this module checks the
 * rest (backend, cluster, initializer, faults, chunk sizes) and fills in the engine's
 * settings.
 *
 * @module
 */
import { type Permissions, validatePermissions } from "./permissions.ts";
import { isBackendName, traitsOf } from "./backend_traits.ts";
import type { TaskFunction } from "./types.ts";
import type { EngineOptions, JobFaults } from "./engine.ts";
import { callerModule, taskRef } from "./task.ts";
import { containsPortable } from "./comms/wire.ts";
import type { ErrorClass } from "./error_registry.ts";
import { type ClusterOptions, clusterSettings } from "./cluster/options.ts";
import { ClusterLink } from "./cluster/connection.ts";
import {
  checkBackend,
  describe,
  nonNegativeInteger,
  positiveInteger,
  positiveNumber,
  registerErrors,
} from "./pool_option_checks.ts";
import { sizingOf } from "./pool_sizing_options.ts";
import { startDuringImport } from "./shared/process_flags.ts";

export { MAX_PROCESSES } from "./pool_sizing_options.ts";

/** How a pool is opened. */
export interface PoolOptions {
  /**
   * Number of worker processes, from 1 to `MAX_PROCESSES` (256): a fixed pool, as
   * Python's. For a pool that grows and shrinks with its work, give `maxProcesses`
   * instead.
   * @default {cpuCount()} (at most 256)
   */
  readonly processes?: number;
  /**
   * Makes the pool elastic: it adds workers while work waits for one (chunks queued and
   * no worker idle), up to this many (1 to 256), and ends workers that stayed idle for
   * `idleTimeout`, down to `minProcesses`. Not with `processes`, nor the "cluster"
   * backend. @default {undefined} (a fixed pool of `processes`)
   */
  readonly maxProcesses?: number;
  /**
   * The fewest workers an elastic pool keeps (0 to `maxProcesses`), started when it opens.
   * Needs `maxProcesses`. @default {0}
   */
  readonly minProcesses?: number;
  /**
   * Milliseconds a worker of an elastic pool may stay idle (holding no work) before it is
   * ended, while the pool has more than `minProcesses`. Needs `maxProcesses`.
   * @default {10000}
   */
  readonly idleTimeout?: number;
  /**
   * Chunks the queue may hold (waiting for a worker) before calls wait for room: `apply`,
   * `map` and their forms settle later, `applyAsync` and `submit` hold their task back
   * (pace them with `pool.room()`), and the lazy maps pull no more input. Bounds the
   * memory of a producer faster than the workers. @default {undefined} (no limit)
   */
  readonly maxQueue?: number;
  /** Run once in each new worker before any task (an exported function, like a task). */
  readonly initializer?: TaskFunction;
  /** Arguments for `initializer`. @default {[]} */
  readonly initargs?: readonly unknown[];
  /** Replace a worker after it has run this many chunks. @default {undefined} (never) */
  readonly maxTasksPerChild?: number;
  /** Prefix of the workers' names (`PoolWorker-1`, ...). @default {"PoolWorker"} */
  readonly name?: string;
  /** What the workers may do. @default {"inherit"} */
  readonly permissions?: Permissions;
  /** Default for every call's `timeout` (see `FaultOptions`). @default {undefined} (none) */
  readonly timeout?: number;
  /** Default for every call's `retries` (see `FaultOptions`). @default {0} */
  readonly retries?: number;
  /**
   * What each process is: a Web Worker (`"worker"`: fast to start and to message), or
   * a child `deno` process (`"subprocess"`: killable while busy, its own heap limit and
   * permission flags, no shared memory), or chunks sent to runners on other hosts
   * (`"cluster"`: needs `cluster`; see the README's "Beyond one machine").
   * @default {"worker"}
   */
  readonly backend?: "worker" | "subprocess" | "cluster";
  /** Where the cluster's runners meet (`backend: "cluster"`): its Postgres URL and timing. */
  readonly cluster?: ClusterOptions;
  /**
   * Heap limit of each process in MiB (V8's `--max-old-space-size`); a task that
   * exceeds it fails with `WorkerCrashed` and the process is replaced. Needs
   * `backend: "subprocess"`. @default {undefined} (V8's own limit)
   */
  readonly maxHeapMB?: number;
  /**
   * Error classes the tasks may throw, to come back as themselves (`instanceof`,
   * `Effect.catchTag`): registered for the whole program, as `registerError` does.
   * Built-in classes need no registration. @default {[]}
   */
  readonly errors?: readonly ErrorClass[];
}

/** How a call reacts to slow or failing work: on the pool as defaults, or per call. */
export interface FaultOptions {
  /**
   * Milliseconds a chunk may run (for `apply`, the call; with `chunksize: 1`, each
   * item). Past it the chunk fails with `TaskTimeout` and its worker is replaced.
   */
  readonly timeout?: number;
  /** Times a chunk that failed with `WorkerCrashed` or `TaskTimeout` is run again. */
  readonly retries?: number;
  /** Also retry chunks whose task threw (`TaskError`). @default {false} */
  readonly retryTaskErrors?: boolean;
}

/** Options of `map`, `starmap`, `imap` and their variants. */
export interface MapOptions extends FaultOptions {
  /**
   * Items per message to a worker. `map` defaults to Python's
   * `ceil(n / (4 * processes))`; `imap` defaults to 1, as Python's does.
   */
  readonly chunksize?: number;
  /** Cancels the call (Promise face): queued chunks never run, running ones stop. */
  readonly signal?: AbortSignal;
}

/** Options of the lazy maps: `imap`, `imapUnordered`, `istarmap`, `istarmapUnordered`. */
export interface LazyMapOptions extends MapOptions {
  /**
   * Yield every item's outcome (a `Settled`) and go on past failures, as `mapSettled`
   * does, instead of values ending at the first failure. @default {false}
   */
  readonly settled?: boolean;
}

/** Options of `apply`. */
export interface ApplyOptions extends FaultOptions {
  /** Cancels the call (Promise face). */
  readonly signal?: AbortSignal;
}

/** Chunks an `imap` keeps submitted and unread, per worker. */
const IMAP_CHUNKS_PER_WORKER = 4;
/** Chunks sent to a worker before it answers: keeps it busy between messages. */
const PIPELINE_DEPTH = 2;
/** Chunks sent ahead to a worker while chunks take under `QUICK_CHUNK_MS`. */
const QUICK_PIPELINE_DEPTH = 32;
/** A chunk this quick, on average, is dominated by the message round trip. */
const QUICK_CHUNK_MS = 0.5;
/** How long a cancelled chunk may run on before its worker is replaced, in ms. */
const CANCEL_GRACE_MS = 250;

/**
 * Checks `options` and fills in the defaults: the settings the engine opens with.
 * `caller` gives the calling program's module, where an `initializer` is looked up
 * (read from the stack unless given).
 *
 * @example
 * ```ts
 * import { engineOptions } from "./pool_options.ts";
 * import assert from "node:assert/strict";
 *
 * const settings = engineOptions({ processes: 2, name: "Hasher" });
 * assert.deepEqual([settings.processes, settings.name, settings.backend], [2, "Hasher", "worker"]);
 * assert.throws(() => engineOptions({ processes: 0 }), RangeError);
 * ```
 */
export function engineOptions(
  options: PoolOptions,
  caller: () => string | undefined = callerModule,
): EngineOptions {
  const duringImport = startDuringImport("open pool");
  if (duringImport !== null) throw duringImport;
  if (typeof options !== "object" || options === null) {
    throw new TypeError(
      `Cannot open pool as its options must be an object (or left out): current value is ${
        describe(options)
      }`,
    );
  }
  const { processes, minProcesses, idleTimeout, maxQueue } = sizingOf(options);
  if (options.maxTasksPerChild !== undefined) {
    positiveInteger("open pool", "maxTasksPerChild", options.maxTasksPerChild);
  }
  if (options.initializer !== undefined && typeof options.initializer !== "function") {
    throw new TypeError(
      `Cannot open pool as 'initializer' must be a function: current value is ${
        describe(options.initializer)
      }`,
    );
  }
  if (options.initargs !== undefined && !Array.isArray(options.initargs)) {
    throw new TypeError(
      `Cannot open pool as 'initargs' must be an array: current value is ${
        describe(options.initargs)
      }`,
    );
  }
  const name = options.name ?? "PoolWorker";
  if (typeof name !== "string" || name === "") {
    throw new TypeError(
      `Cannot open pool as 'name' must be a non-empty string: current value is ${describe(name)}`,
    );
  }
  const cluster = clusterOf(options);
  const { backend, maxHeapMB } = cluster ? cluster.backend : checkBackend("open pool", options);
  registerErrors("open pool", options.errors);
  const initargs = options.initargs ?? [];
  const shared = initargs.find((arg) => containsPortable([arg], false));
  if (!traitsOf(backend).sharesMemory && shared !== undefined) {
    throw new TypeError(
      `Cannot open pool as 'initargs' holds a ${
        (shared as object).constructor.name
      }, which shares memory with this program and a process of the "${backend}" backend ` +
        `cannot: use the "worker" backend to pass communication objects`,
    );
  }
  return {
    processes,
    minProcesses,
    idleTimeout,
    maxQueue,
    name,
    backend,
    maxHeapMB,
    initializer: options.initializer ? taskRef(options.initializer, caller) : null,
    initargs,
    maxTasksPerChild: options.maxTasksPerChild ?? null,
    permissions: validatePermissions(options.permissions ?? "inherit", "open pool"),
    faults: faultsOf("open pool", options, NO_FAULT_HANDLING),
    depth: PIPELINE_DEPTH,
    quickDepth: QUICK_PIPELINE_DEPTH,
    quickChunkMs: QUICK_CHUNK_MS,
    cancelGrace: CANCEL_GRACE_MS,
    ...(cluster ? { cluster: cluster.link } : {}),
  };
}

/** The cluster backend's options: every virtual worker of the pool shares one link. */
function clusterOf(options: PoolOptions) {
  if (!isBackendName(options.backend) || !traitsOf(options.backend).remote) return null;
  if (
    options.maxProcesses !== undefined || options.minProcesses !== undefined ||
    options.idleTimeout !== undefined
  ) {
    throw new TypeError(
      `Cannot open pool as 'minProcesses', 'maxProcesses' and 'idleTimeout' are not supported ` +
        `by the "cluster" backend (its runners keep their own local pools, sized with ` +
        `\`runner --processes\`): pass 'processes' instead`,
    );
  }
  if (options.initializer !== undefined || options.maxHeapMB !== undefined) {
    throw new TypeError(
      `Cannot open pool as 'initializer' and 'maxHeapMB' are not supported by the "cluster" ` +
        `backend (runners run their own local pools): remove them`,
    );
  }
  // The engine hands the link to each endpoint it starts (no backend loads here).
  const link = new ClusterLink(clusterSettings("open pool", options.cluster));
  return { backend: { backend: "cluster" as const, maxHeapMB: null }, link };
}

const NO_FAULT_HANDLING: JobFaults = { timeout: null, retries: 0, retryTaskErrors: false };

/**
 * Checks a call's fault options and fills the rest from the pool's defaults.
 *
 * @example
 * ```ts
 * import { faultsOf } from "./pool_options.ts";
 * import assert from "node:assert/strict";
 *
 * const pool = { timeout: 1000, retries: 0, retryTaskErrors: false };
 * assert.deepEqual(faultsOf("call map()", { retries: 2 }, pool), { ...pool, retries: 2 });
 * ```
 */
export function faultsOf(action: string, options: FaultOptions, defaults: JobFaults): JobFaults {
  if (options.timeout !== undefined) positiveNumber(action, "timeout", options.timeout);
  if (options.retries !== undefined) nonNegativeInteger(action, "retries", options.retries);
  if (
    options.timeout === undefined && options.retries === undefined &&
    options.retryTaskErrors === undefined
  ) {
    return defaults;
  }
  return {
    timeout: options.timeout ?? defaults.timeout,
    retries: options.retries ?? defaults.retries,
    retryTaskErrors: options.retryTaskErrors ?? defaults.retryTaskErrors,
  };
}

/**
 * Checks a `chunksize` option; `undefined` passes.
 *
 * @example
 * ```ts
 * import { checkChunksize } from "./pool_options.ts";
 * import assert from "node:assert/strict";
 *
 * checkChunksize("call map()", undefined);
 * assert.throws(() => checkChunksize("call map()", 0.5), RangeError);
 * ```
 */
export function checkChunksize(action: string, chunksize: number | undefined): void {
  if (chunksize !== undefined) positiveInteger(action, "chunksize", chunksize);
}

/**
 * How many chunks an `imap` on `processes` workers keeps in flight.
 *
 * @example
 * ```ts
 * import { imapInFlight } from "./pool_options.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(imapInFlight(2), 8);
 * ```
 */
export function imapInFlight(processes: number): number {
  return processes * IMAP_CHUNKS_PER_WORKER;
}
