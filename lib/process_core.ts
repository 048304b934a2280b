/**
 * One process's worker, owned from start to exit: the core both faces of `Process` use.
 * It starts the endpoint (`startEndpoint`, the backend seam), sends the target with the
 * protocol's builders, reads the answers, and keeps the exit code and the end. Its API
 * is callbacks, not Promises: the Promise face (`process.ts`) and the Effect face
 * (`process_effect.ts`) each wrap it their own way.
 *
 * @module
 */
import { loadLater } from "./load_later.ts";
import type { Endpoint, WorkerEnd } from "./backend/endpoint.ts";
import { SerializationError, type TaskError, type TaskNotFound, WorkerCrashed } from "./errors.ts";
import { fromWire } from "./errors_wire.ts";
import { callSite, type ProcessProbe, type ProcessStarter, trackProcess } from "./live_registry.ts";
import type { Permissions } from "./permissions.ts";
import { nextPid } from "./pids.ts";
import { encodeArgs, type ProcessTarget, SUBCLASS_RUNNER } from "./process_target.ts";
import { currentProcess } from "./shared/identity.ts";
import { isDaemonic, startDuringImport } from "./shared/process_flags.ts";
import {
  defineMessage,
  DONE,
  FAILED,
  type FromWorker,
  initMessage,
  READY,
  runMessage,
  type TaskRef,
} from "./shared/protocol.ts";

/** What ends a process's `join()` with an error. */
export type ProcessError = TaskError | TaskNotFound | SerializationError | WorkerCrashed;

/**
 * How a process ended: its target's value, its error, or `stopped` (terminated, killed,
 * or exited with code 0 without answering), for which `join()` gives `undefined`.
 */
export type ProcessEnd =
  | { readonly kind: "returned"; readonly value: unknown }
  | { readonly kind: "failed"; readonly error: ProcessError }
  | { readonly kind: "stopped" };

/** Exit code after `terminate()`, as Python reports SIGTERM. */
export const TERMINATED = -15;
/** Exit code after `kill()`, as Python reports SIGKILL. */
export const KILLED = -9;
/** The id of a process's one function, job and chunk in the protocol. */
const TARGET = 1;

/** How a process is started, fixed when it is made. */
export interface ProcessSpec extends ProcessTarget {
  readonly name: string;
  readonly permissions: Permissions;
  readonly backend: "worker" | "subprocess";
  readonly maxHeapMB: number | null;
}

type EndpointModule = typeof import("./backend/endpoint.ts");
/**
 * The backends load with the first start, not with `mod.ts`; once loaded, a start
 * launches the worker in the same turn.
 */
let endpointModule: EndpointModule | null = null;
let endpointLoading: Promise<EndpointModule> | undefined;
function loadEndpoint(): Promise<EndpointModule> {
  return endpointLoading ??= loadLater<EndpointModule>(
    new URL("./backend/endpoint.ts", import.meta.url),
  ).then((module) => {
    endpointModule = module;
    return module;
  });
}

/** Running processes, for `activeChildren()`. */
const active = new Set<ProcessCore>();
/** Running daemonic processes: terminated when the program exits. */
const daemons = new Set<ProcessCore>();
globalThis.addEventListener("unload", () => {
  for (const daemon of daemons) daemon.stop(TERMINATED);
});

/** The owners (`Process` objects) of the processes running now, oldest first. */
export function activeOwners(): ProcessProbe[] {
  return [...active].map((core) => core.owner);
}

/**
 * The life of one process: `new` → (`starting` while the backends load) → `running`
 * → `ending` (its end known, its OS process still exiting) → `gone`.
 */
export class ProcessCore {
  /** The `Process` this core belongs to: listed by `activeChildren()`. */
  readonly owner: ProcessProbe;
  /** Python's `daemon` flag, read at start. */
  daemon: boolean;
  readonly #spec: ProcessSpec;
  readonly #site = callSite();
  /** Which face started it, for the words of the unclosed-process warning. */
  #startedBy: ProcessStarter = "new Process";
  #phase: "new" | "starting" | "running" | "ending" | "gone" = "new";
  #closed = false;
  #pid: number | null = null;
  #exitCode: number | null = null;
  #channel: Endpoint | null = null;
  #ready = false;
  /** Handles the process holds (a pipe end): released when it ends. */
  #release: ReadonlyArray<() => void> = [];
  #end: ProcessEnd | null = null;
  /** Called once the process is gone, or with null when a pending start failed. */
  #waiters: Array<(end: ProcessEnd | null) => void> = [];

  constructor(owner: ProcessProbe, spec: ProcessSpec, daemon: boolean) {
    this.owner = owner;
    this.#spec = spec;
    this.daemon = daemon;
  }

  /** The OS pid of a subprocess; for a worker, an id unique in this program. */
  get pid(): number | null {
    return this.#channel?.pid ?? this.#pid;
  }

  /** `null` until the process ended; see `Process.exitCode`. */
  get exitCode(): number | null {
    return this.#exitCode;
  }

  /** Whether the process was started and has not ended. */
  get alive(): boolean {
    return this.#channel !== null && this.#exitCode === null;
  }

  /** Whether its end is known and its OS process is still exiting. */
  get exiting(): boolean {
    return this.#phase === "ending";
  }

  /** Whether `start` was called and did not fail. */
  get started(): boolean {
    return this.#phase !== "new";
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Python's `close()`: afterwards start and join are refused. */
  close(): void {
    if (this.alive) {
      throw new TypeError(
        `Cannot close process '${this.#spec.name}' as it is still running: join() or ` +
          `terminate() it first`,
      );
    }
    this.#closed = true;
  }

  /**
   * Starts the target in a new worker and calls `done(null)`, or `done(error)` when
   * nothing started: `TaskNotFound` or `SerializationError` (typed), anything else is
   * misuse. Once the backends are loaded, `done` is called in the same turn.
   */
  start(done: (error: unknown) => void, startedBy: ProcessStarter = "new Process"): void {
    this.#startedBy = startedBy;
    const refused = this.#refusal();
    if (refused !== null) return done(refused);
    const ref = this.#spec.ref as TaskRef;
    if (endpointModule !== null) return done(this.#launch(ref, endpointModule));
    this.#phase = "starting";
    loadEndpoint().then(
      (module) => this.#launch(ref, module),
      (error: unknown) => error,
    ).then((error) => {
      if (error !== null) this.#notStarted();
      done(error);
    });
  }

  /**
   * Calls `fn` once the process is gone, with how it ended (at once when it is), or
   * with null when it was never started (a start still loading is waited for).
   *
   * @returns A function that takes `fn` back (an interrupted join).
   */
  whenGone(fn: (end: ProcessEnd | null) => void): () => void {
    if (this.#phase === "gone" || this.#phase === "new") {
      fn(this.#end);
      return () => {};
    }
    this.#waiters.push(fn);
    return () => {
      const index = this.#waiters.indexOf(fn);
      if (index >= 0) this.#waiters.splice(index, 1);
    };
  }

  /**
   * Stops the process with `code` (`TERMINATED` or `KILLED`). A subprocess is signalled
   * and reports the exit it actually makes; a worker counts as ended at once.
   */
  stop(code: number): void {
    if (!this.alive) return;
    const channel = this.#channel!;
    if (channel.exited) {
      if (code === KILLED) channel.kill();
      else channel.terminate();
      channel.exited.then((exitCode) => {
        if (this.#exitCode === null) this.#exitCode = exitCode;
        this.#finish({ kind: "stopped" });
      });
      return;
    }
    this.#exitCode = code;
    this.#finish({ kind: "stopped" });
  }

  /** Why `start` must not run now, or null. */
  #refusal(): unknown {
    const name = this.#spec.name;
    if (this.#closed) return closedError(name, "start");
    const duringImport = startDuringImport(`start process '${name}'`);
    if (duringImport !== null) return duringImport;
    if (isDaemonic()) {
      return new TypeError(
        `Cannot start process '${name}' as daemonic processes may not have children ` +
          `(Python's rule): make the parent non-daemonic, or start it from the main program`,
      );
    }
    if (this.#phase !== "new") {
      return new Error(`Cannot start process '${name}' twice: make a new Process`);
    }
    const ref = this.#spec.ref;
    return "kind" in ref ? null : ref;
  }

  /** A pending start failed: back to `new`, and waiting joins learn it. */
  #notStarted(): void {
    this.#phase = "new";
    for (const fn of this.#waiters.splice(0)) fn(null);
  }

  /** Starts the worker and sends it the target: the rest of `start`, in one turn. */
  #launch(ref: TaskRef, { startEndpoint }: EndpointModule): unknown {
    const spec = this.#spec;
    if (this.#closed) return closedError(spec.name, "start");
    const encoded = encodeArgs(spec, spec.backend);
    if (encoded instanceof SerializationError) {
      this.#phase = "new";
      return encoded;
    }
    let channel: Endpoint;
    try {
      channel = startEndpoint(spec.name, {
        message: (message: FromWorker) => this.#receive(message),
        ended: (end: WorkerEnd) => this.#ended(end),
      }, {
        backend: spec.backend,
        permissions: spec.permissions,
        maxHeapMB: spec.maxHeapMB,
        modules: [
          ...(ref.kind === "export" ? [ref.module] : []),
          ...spec.modules,
          ...(this.daemon ? [SUBCLASS_RUNNER] : []),
        ],
      });
    } catch (error) {
      this.#phase = "new";
      return error;
    }
    const pid = channel.pid ?? nextPid();
    this.#pid = pid;
    this.#phase = "running";
    this.#release = encoded?.release ?? [];
    this.#channel = channel;
    active.add(this);
    if (this.daemon) daemons.add(this);
    // A daemon is meant to be running when the program exits: no warning for it.
    else trackProcess(this.owner, spec.backend, this.#site, this.#startedBy);
    channel.post(initMessage({
      self: { name: spec.name, pid },
      parent: { name: currentProcess().name, pid: currentProcess().pid },
      cancelBits: null,
      busy: null,
      // A daemon learns it is one before its target runs, so it refuses to start children.
      initializer: this.daemon
        ? { kind: "export", module: SUBCLASS_RUNNER, export: "markDaemonic", source: "" }
        : null,
      initargs: [],
      encoded: false,
    }));
    channel.post(defineMessage(TARGET, ref));
    channel.post(
      runMessage({
        chunkId: TARGET,
        fnId: TARGET,
        jobId: TARGET,
        items: encoded?.items ?? [spec.args],
        spread: true,
        settle: false,
        encoded: encoded !== null,
        timed: false,
      }),
      encoded?.transfer,
    );
    return null;
  }

  /** The end is known: the worker is closed, and waiters hear once its OS process is gone. */
  #finish(end: ProcessEnd): void {
    if (this.#phase !== "running") return;
    this.#phase = "ending";
    active.delete(this);
    daemons.delete(this);
    const channel = this.#channel;
    // A subprocess that answered ends on its own (code 0) once its channel closes.
    channel?.close();
    // Handles the process held (a pipe end) close with it, as an OS process's would.
    for (const release of this.#release) release();
    const gone = (): void => {
      this.#phase = "gone";
      this.#end = end;
      for (const fn of this.#waiters.splice(0)) fn(end);
    };
    if (channel?.exited) channel.exited.then(gone);
    else gone();
  }

  /**
   * Acts on a message whose shape the backend checked. A process says READY once, then
   * answers its one call once, with one value; anything else breaks the protocol and
   * ends it as a crash.
   */
  #receive(message: FromWorker): void {
    if (this.#exitCode !== null) return;
    const task = this.#spec.task;
    const [kind] = message;
    switch (kind) {
      case READY:
        if (this.#ready) break;
        this.#ready = true;
        return;
      case DONE: {
        const [, chunkId, results, errors] = message;
        if (!this.#ready || chunkId !== TARGET || results.length > 1) break;
        if (errors !== null) {
          this.#exitCode = 1;
          this.#finish({ kind: "failed", error: fromWire(errors[0]![1], task) });
        } else if (results.length === 1) {
          this.#exitCode = 0;
          this.#finish({ kind: "returned", value: results[0] });
        } else {
          this.#broke("answered its call with no value");
        }
        return;
      }
      case FAILED: {
        const [, chunkId, error] = message;
        if (!this.#ready || chunkId !== TARGET) break;
        this.#exitCode = 1;
        this.#finish({ kind: "failed", error: fromWire(error, task) });
        return;
      }
    }
    this.#broke(`sent a message of kind ${kind} it may not send now`);
  }

  /** The process said what it may not: it is stopped, and counts as crashed. */
  #broke(reason: string): void {
    this.#channel?.kill();
    this.#ended({ exitCode: null, error: null, reason: `broke the protocol: ${reason}` });
  }

  #ended(end: WorkerEnd): void {
    if (this.#exitCode !== null) return;
    this.#exitCode = end.exitCode ?? 1;
    if (end.exitCode === 0) return this.#finish({ kind: "stopped" });
    const { name, task } = this.#spec;
    this.#finish({
      kind: "failed",
      error: new WorkerCrashed({
        message: `Process '${name}' ${end.reason} while running '${task}'`,
        worker: name,
        exitCode: end.exitCode,
        ...(end.error ? { cause: fromWire(end.error, task) } : {}),
      }),
    });
  }
}

/** The error for using a closed process. */
export function closedError(name: string, action: string): TypeError {
  return new TypeError(`Cannot ${action} process '${name}' as it is closed: make a new Process`);
}
