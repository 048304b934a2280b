/**
 * The seam every backend implements: how the engine and `Process` start a process of
 * either kind and speak to it, without knowing which kind it is. `startEndpoint` is the
 * one place that chooses a backend by name.
 *
 * @module
 */
import type { Permissions } from "../permissions.ts";
import type { FromWorker, ToWorker } from "../shared/protocol.ts";
import type { WireError } from "../shared/wire_error.ts";
import { startWebWorker } from "./web_worker.ts";
import { startSubprocess } from "./subprocess.ts";
import type { ClusterLink } from "../cluster/connection.ts";
import { startClusterEndpoint } from "../cluster/endpoint.ts";

import type { BackendName } from "../backend_traits.ts";

export type { BackendName } from "../backend_traits.ts";

/** Why a process is gone. */
export interface WorkerEnd {
  /** The code it passed to `Deno.exit()` (0 for `self.close()`), or null for an error. */
  readonly exitCode: number | null;
  /** The uncaught error that ended it, when one did. */
  readonly error: WireError | null;
  /** A sentence for messages: "exited with code 3", "crashed: Uncaught Error: boom". */
  readonly reason: string;
}

/** What the owner of a process hears from it. */
export interface WorkerListener {
  /** A message, already checked for its shape (`protocol_check.ts`). */
  message(message: FromWorker): void;
  /**
   * Called once, when the process ended on its own or broke the protocol (then it was
   * stopped, and `reason` says how it broke it); never after `terminate()`.
   */
  ended(end: WorkerEnd): void;
}

/** A started process, as its owner speaks to it. */
export interface Endpoint {
  /** Sends a message; throws a `DataCloneError` when a value cannot be cloned. */
  post(message: ToWorker, transfer?: Transferable[]): void;
  /** Stops the process now (SIGTERM for a subprocess). Safe to call twice. */
  terminate(): void;
  /** Stops the process now (SIGKILL for a subprocess; `terminate` for a worker). */
  kill(): void;
  /**
   * Ends the process once it has read what was sent: a subprocess then exits with code
   * 0; a worker, which cannot be asked, is terminated.
   */
  close(): void;
  /** False once the process ended or was stopped. */
  readonly alive: boolean;
  /** True when the process takes `RUN_MANY` (several runs in one message). */
  readonly batches: boolean;
  /** Whether it shares this program's memory (communication objects can reach it). */
  readonly sharesMemory: boolean;
  /** Its OS pid, or null when it has none of its own (a worker). */
  readonly pid: number | null;
  /**
   * Settles once the process was stopped and has really exited, with its exit code; null
   * for a worker, which is gone as soon as it is stopped.
   */
  readonly exited: Promise<number> | null;
  /** Extra figures for `PoolStats.cluster` (the cluster backend: runners, chunks in flight). */
  stats?(): Readonly<Record<string, unknown>>;
}

/** How a process is started. */
export interface EndpointOptions {
  readonly backend: BackendName;
  readonly permissions: Permissions;
  /** Heap limit of a subprocess in MiB, or null. */
  readonly maxHeapMB: number | null;
  /** Task modules a sandboxed process should import from the start. */
  readonly modules?: Iterable<string>;
  /** The pool's link to its cluster (`"cluster"` backend). */
  readonly cluster?: ClusterLink;
}

/**
 * Starts a process named `name` of the chosen backend, reporting to `listener`.
 *
 * @throws {TypeError} `permissions` or `maxHeapMB` is not valid.
 * @throws {Deno.errors.NotSupported} A worker sandbox without `--unstable-worker-options`.
 * @throws {Deno.errors.NotCapable} A sandbox asks for more than the program has.
 */
export function startEndpoint(
  name: string,
  listener: WorkerListener,
  options: EndpointOptions,
): Endpoint {
  if (options.backend === "cluster") return startClusterEndpoint(listener, options.cluster);
  return options.backend === "subprocess"
    ? startSubprocess(name, listener, options)
    : startWebWorker(name, listener, options.permissions, options.modules ?? []);
}
