/**
 * What each backend is, as data: the one place besides `startEndpoint`'s factory that
 * knows the backends by name. Checks made before any process starts (can this argument
 * cross? which word names a process?) read these traits instead of comparing names.
 * Loads nothing: the Promise face imports it before any backend is loaded.
 *
 * @module
 */

/** What a process is: a Web Worker (`"worker"`), a child `deno` (`"subprocess"`) or a cluster runner's worker (`"cluster"`). */
export type BackendName = "worker" | "subprocess" | "cluster";

/** What a backend's processes can do, known before one starts. */
export interface BackendTraits {
  /** Its processes share memory with this program (`SharedArrayBuffer`, the communication objects). */
  readonly sharesMemory: boolean;
  /** Its sandboxes are Deno's worker permissions (which need `--unstable-worker-options`). */
  readonly workerPermissions: boolean;
  /** Its processes' heap can be limited (`maxHeapMB`). */
  readonly heapLimit: boolean;
  /** Its processes are gone the moment they are terminated (no exit to wait for). */
  readonly endsAtOnce: boolean;
  /** Its processes run on other hosts (the pool's options are the runners' business). */
  readonly remote: boolean;
  /** What one of its processes is called in messages, singular and plural. */
  readonly noun: readonly [string, string];
}

const TRAITS: Readonly<Record<BackendName, BackendTraits>> = {
  worker: {
    sharesMemory: true,
    workerPermissions: true,
    heapLimit: false,
    endsAtOnce: true,
    remote: false,
    noun: ["worker", "workers"],
  },
  subprocess: {
    sharesMemory: false,
    workerPermissions: false,
    heapLimit: true,
    endsAtOnce: false,
    remote: false,
    noun: ["child process", "child processes"],
  },
  cluster: {
    sharesMemory: false,
    workerPermissions: false,
    heapLimit: false,
    endsAtOnce: false,
    remote: true,
    noun: ["worker", "workers"],
  },
};

/** The backends that run on this host: what a `Process` and a context may use. */
export type LocalBackend = "worker" | "subprocess";

/** Whether `value` names a backend. */
export function isBackendName(value: unknown): value is BackendName {
  return typeof value === "string" && Object.hasOwn(TRAITS, value);
}

/** Whether `value` names a backend that runs on this host. */
export function isLocalBackend(value: unknown): value is LocalBackend {
  return isBackendName(value) && !TRAITS[value].remote;
}

/** The traits of `backend`. */
export function traitsOf(backend: BackendName): BackendTraits {
  return TRAITS[backend];
}
