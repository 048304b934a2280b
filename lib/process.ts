/**
 * `Process`: one function in its own worker, as Python's `multiprocessing.Process`.
 * The Promise face is the class; `Process.spawn` (the Effect face, scoped) extends it in
 * `process_effect.ts`, so that Promise programs never load Effect.
 *
 * @module
 */
import type { ResultOf, SendableArgs, TaskFunction } from "./types.ts";
import type { Endpoint, WorkerEnd } from "./backend/endpoint.ts";
import { checkBackend } from "./pool_options.ts";
import {
  fromWire,
  SerializationError,
  type TaskError,
  TaskNotFound,
  WorkerCrashed,
} from "./errors.ts";
import { nextPid } from "./pids.ts";
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
import { type Permissions, validatePermissions } from "./permissions.ts";
import { encodeItems } from "./comms/wire.ts";
import { callerModule, taskName, taskRef } from "./task.ts";
import { currentProcess } from "./shared/identity.ts";
import { registerErrors } from "./pool_options.ts";
import type { ErrorClass } from "./error_registry.ts";
import { constructingInChild, isDaemonic } from "./shared/process_flags.ts";
import { callSite, trackProcess } from "./live_registry.ts";

/** How a process is made, as Python's `Process(target=..., args=..., name=...)`. */
export interface ProcessOptions<F extends TaskFunction> extends ProcessBaseOptions {
  /** The function to run: exported from its module (or wrapped by `task`/`inline`). */
  readonly target: F;
  /** Its arguments. @default {[]} */
  readonly args?: SendableArgs<Parameters<F>>;
}

/**
 * The options of every process, also those of a `Process` subclass (which has `run()`
 * instead of a target): a subclass's constructor takes one options object and passes it
 * to `super()`; its child constructs the subclass again with a copy of that object.
 */
export interface ProcessBaseOptions {
  /** The process's name. @default {"Process-N"}, numbered from 1 as Python does. */
  readonly name?: string;
  /** What the process may do. @default {"inherit"} */
  readonly permissions?: Permissions;
  /**
   * What the process is: a Web Worker (`"worker"`), or a child `deno` process
   * (`"subprocess"`), which `terminate()` (SIGTERM) and `kill()` (SIGKILL) stop even
   * while it is busy, and whose `exitCode` is its own. @default {"worker"}
   */
  readonly backend?: "worker" | "subprocess";
  /**
   * Heap limit in MiB (V8's `--max-old-space-size`); exceeding it ends the process with
   * `WorkerCrashed`. Needs `backend: "subprocess"`. @default {undefined}
   */
  readonly maxHeapMB?: number;
  /**
   * A daemonic process, as Python's `daemon=True`: it may not start processes of its
   * own, and it is terminated when the program exits (`unload`), where a non-daemonic one
   * keeps the program running until it ends (see the README's "Daemons and exit").
   * @default {false}
   */
  readonly daemon?: boolean;
  /**
   * Error classes the target may throw, to come back as themselves from `join()`
   * (registered for the whole program, as `registerError` does). @default {[]}
   */
  readonly errors?: readonly ErrorClass[];
}

/** What ends a process's `join()` with an error. */
export type ProcessError = TaskError | TaskNotFound | SerializationError | WorkerCrashed;

/** Exit code after `terminate()`, as Python reports SIGTERM. */
const TERMINATED = -15;
/** Exit code after `kill()`, as Python reports SIGKILL. */
const KILLED = -9;
/** The id of a process's one function, job and chunk in the protocol. */
const TARGET = 1;

let created = 0;
const active = new Set<Process<TaskFunction>>();

type EndpointModule = typeof import("./backend/endpoint.ts");
type StartEndpoint = EndpointModule["startEndpoint"];
/**
 * The backends load with the first `start()`, not with `mod.ts`; once loaded, `start()`
 * starts the worker in the same turn, as before.
 */
let endpointModule: EndpointModule | null = null;
let endpointLoading: Promise<EndpointModule> | undefined;
function loadEndpoint(): Promise<EndpointModule> {
  return endpointLoading ??= import("./backend/endpoint.ts").then((module) => {
    endpointModule = module;
    return module;
  });
}

/**
 * One function running in its own worker (an isolate with its own memory).
 *
 * @typeParam F The target's type: `join()` gives its awaited result.
 *
 * @example Starting and joining a process
 * ```ts
 * import { inline, Process } from "../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const square = inline((x: number) => x * x);
 *
 * const p = new Process({ target: square, args: [12] });
 * await p.start();
 * assert.equal(await p.join(), 144);
 * assert.equal(p.exitCode, 0);
 * ```
 */
export class Process<F extends TaskFunction = TaskFunction> implements AsyncDisposable {
  /** The process's name: `Process-1`, `Process-2`, ... unless one was given. */
  readonly name: string;
  /** Python's `daemon` flag: settable until `start()` (see `ProcessBaseOptions.daemon`). */
  #daemon: boolean;
  readonly #target: F | null;
  #closed = false;
  /** A `start()` waiting for the backends to load (the program's first processes only). */
  #starting: Promise<void> | null = null;
  readonly #ref: TaskRef | TaskNotFound;
  readonly #task: string;
  readonly #args: readonly unknown[];
  readonly #permissions: Permissions;
  readonly #backend: "worker" | "subprocess";
  readonly #maxHeapMB: number | null;
  readonly #site = callSite();
  /** Modules a sandboxed process loads from the start, beside its target's. */
  #modules: readonly string[] = [];
  #pid: number | null = null;
  #exitCode: number | null = null;
  #channel: Endpoint | null = null;
  #ready = false;
  #outcome: Promise<ResultOf<F> | undefined> | null = null;
  #finish:
    | ((outcome: { ok: true; value: unknown } | { ok: false; error: ProcessError } | null) => void)
    | null = null;

  /**
   * Makes a process; nothing runs until `start()`. A subclass that overrides `run()`
   * needs no `target` (see `ProcessBaseOptions`).
   *
   * @throws {TypeError} `target` is not a function, or `args` not an array.
   */
  constructor(options: ProcessOptions<F> | ProcessBaseOptions = {}) {
    this.#daemon = options?.daemon === true;
    if (constructingInChild()) {
      // The child rebuilding this subclass: only `run()` will be called here.
      this.name = options?.name ?? currentProcess().name;
      this.#target = null;
      this.#task = this.constructor.name;
      this.#args = [];
      this.#permissions = "inherit";
      this.#backend = "worker";
      this.#maxHeapMB = null;
      this.#ref = new TaskNotFound({ message: "a rebuilt process", task: this.#task });
      return;
    }
    registerErrors("create process", options?.errors);
    if (options?.daemon !== undefined && typeof options.daemon !== "boolean") {
      throw new TypeError(
        `Cannot create process as 'daemon' must be a boolean: received ${typeof options.daemon}`,
      );
    }
    if (this.run !== Process.prototype.run) {
      // A subclass with its own run(): the class itself crosses, found by reference.
      created++;
      this.name = options.name ?? `Process-${created}`;
      this.#target = null;
      const found = subclassTarget(this.constructor as TaskFunction, options);
      this.#task = found.task;
      this.#args = found.args;
      this.#ref = found.ref;
      this.#modules = found.modules;
      this.#permissions = validatePermissions(options.permissions ?? "inherit", "create process");
      const { backend, maxHeapMB } = checkBackend("create process", options);
      this.#backend = backend;
      this.#maxHeapMB = maxHeapMB;
      return;
    }
    if (!("target" in options) || typeof options.target !== "function") {
      throw new TypeError(
        `Cannot create process as 'target' must be a function (or subclass Process and ` +
          `override run()): received ${typeof (options as { target?: unknown }).target}`,
      );
    }
    if (options.args !== undefined && !Array.isArray(options.args)) {
      throw new TypeError(
        `Cannot create process as 'args' must be an array: received ${typeof options.args}`,
      );
    }
    created++;
    this.name = options.name ?? `Process-${created}`;
    this.#target = options.target;
    this.#task = taskName(options.target);
    this.#args = options.args ?? [];
    this.#permissions = validatePermissions(options.permissions ?? "inherit", "create process");
    const { backend, maxHeapMB } = checkBackend("create process", options);
    this.#backend = backend;
    this.#maxHeapMB = maxHeapMB;
    try {
      // Found now, while the caller's module is on the stack.
      this.#ref = taskRef(options.target, callerModule);
    } catch (error) {
      this.#ref = error as TaskNotFound;
    }
  }

  /**
   * The process id: the OS pid of a subprocess; for a worker, an id unique in this
   * program. `null` before `start()`.
   */
  get pid(): number | null {
    const channel = this.#channel;
    if (channel !== null && channel.pid !== null) return channel.pid;
    return this.#pid;
  }

  /**
   * `null` while running (or before start); then 0 on success, 1 when the target
   * threw, the code given to `Deno.exit()`, -15 after `terminate()`, -9 after `kill()`.
   * A subprocess reports its own exit: its code, or minus the signal that ended it.
   */
  get exitCode(): number | null {
    return this.#exitCode;
  }

  /** Whether the process was started and has not ended. */
  isAlive(): boolean {
    return this.#channel !== null && this.#exitCode === null;
  }

  /**
   * Starts the target in a new worker.
   *
   * @throws {TaskNotFound} The target cannot be sent to a worker (nothing started).
   * @throws {SerializationError} An argument cannot be cloned (nothing started).
   * @throws {Error} The process was already started.
   */
  start(): Promise<void> {
    if (this.#closed) return Promise.reject(closedError(this.name, "start"));
    if (isDaemonic()) {
      return Promise.reject(
        new TypeError(
          `Cannot start process '${this.name}' as daemonic processes may not have children ` +
            `(Python's rule): make the parent non-daemonic, or start it from the main program`,
        ),
      );
    }
    if (this.#outcome !== null) {
      return Promise.reject(
        new Error(`Cannot start process '${this.name}' twice: make a new Process`),
      );
    }
    const ref = this.#ref;
    if (!("kind" in ref)) return Promise.reject(ref);
    if (endpointModule !== null) return this.#launch(ref, endpointModule.startEndpoint);
    // The first process of the program loads the backends; a second start() meanwhile
    // is refused as "twice", as it is once the worker runs.
    if (this.#starting !== null) {
      return Promise.reject(
        new Error(`Cannot start process '${this.name}' twice: make a new Process`),
      );
    }
    const starting = loadEndpoint().then(({ startEndpoint }) => {
      if (this.#closed) throw closedError(this.name, "start");
      return this.#launch(ref, startEndpoint);
    }).finally(() => {
      this.#starting = null;
    });
    this.#starting = starting;
    return starting;
  }

  /** Starts the worker and sends it the target: the rest of `start()`, in one turn. */
  #launch(ref: TaskRef, startEndpoint: StartEndpoint): Promise<void> {
    // Communication objects cross by transfer, checked when posted; the rest is checked
    // here, before any worker starts.
    const encoded = encodeItems([this.#args], true);
    try {
      if (encoded === null) structuredClone(this.#args);
      else if (this.#backend === "subprocess") refuseShared(encoded.items);
    } catch (error) {
      return Promise.reject(
        new SerializationError({
          message: `Cannot send the arguments of '${this.#task}' to process '${this.name}': ${
            error instanceof Error ? error.message : String(error)
          }; pass plain data (no functions or symbols)`,
          cause: error,
        }),
      );
    }
    let channel: Endpoint;
    const listener = {
      message: (message: FromWorker) => this.#receive(message),
      ended: (end: WorkerEnd) => this.#ended(end),
    };
    try {
      channel = startEndpoint(this.name, listener, {
        backend: this.#backend,
        permissions: this.#permissions,
        maxHeapMB: this.#maxHeapMB,
        modules: [
          ...(ref.kind === "export" ? [ref.module] : []),
          ...this.#modules,
          ...(this.#daemon ? [SUBCLASS_RUNNER] : []),
        ],
      });
    } catch (error) {
      return Promise.reject(error);
    }
    const pid = channel.pid ?? nextPid();
    this.#pid = pid;
    this.#outcome = new Promise((resolve, reject) => {
      this.#finish = (outcome) => {
        this.#finish = null;
        active.delete(this as unknown as Process<TaskFunction>);
        daemons.delete(this as unknown as Process<TaskFunction>);
        const current = this.#channel;
        // A subprocess that answered ends on its own (code 0) once its channel closes.
        current?.close();
        // Handles the process held (a pipe end) close with it, as an OS process's would.
        for (const release of encoded?.release ?? []) release();
        const settle = (): void => {
          if (outcome === null) resolve(undefined);
          else if (outcome.ok) resolve(outcome.value as ResultOf<F>);
          else reject(outcome.error);
        };
        // `join()` returns once the OS process is gone.
        if (current?.exited) current.exited.then(settle);
        else settle();
      };
    });
    this.#outcome.catch(() => {});
    this.#channel = channel;
    active.add(this as unknown as Process<TaskFunction>);
    if (this.#daemon) daemons.add(this as unknown as Process<TaskFunction>);
    // A daemon is meant to be running when the program exits: no warning for it.
    if (!this.#daemon) trackProcess(this, this.#backend, this.#site);
    channel.post(initMessage({
      self: { name: this.name, pid },
      parent: { name: currentProcess().name, pid: currentProcess().pid },
      cancelBits: null,
      busy: null,
      // A daemon learns it is one before its target runs, so it refuses to start children.
      initializer: this.#daemon
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
        items: encoded?.items ?? [this.#args],
        spread: true,
        settle: false,
        encoded: encoded !== null,
        timed: false,
      }),
      encoded?.transfer,
    );
    return Promise.resolve();
  }

  /**
   * Waits for the process to end and gives the target's return value (which Python's
   * `join` cannot). With `timeout` (ms), gives up waiting after it and returns
   * `undefined`: check `isAlive()`, as in Python.
   *
   * @throws {TaskError} The target threw.
   * @throws {WorkerCrashed} The worker ended on its own (`Deno.exit(n)` with n > 0, an
   *   error escaping every handler).
   */
  async join(
    options: { readonly timeout?: number } = {},
  ): Promise<ResultOf<F> | undefined> {
    if (this.#closed) throw closedError(this.name, "join");
    // Called right after a first start() that is still loading the backends.
    if (this.#outcome === null && this.#starting !== null) await this.#starting.catch(() => {});
    if (this.#outcome === null) {
      throw new Error(`Cannot join process '${this.name}' before start()`);
    }
    if (options.timeout === undefined) return await this.#outcome;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<undefined>((
      resolve,
    ) => (timer = setTimeout(() => resolve(undefined), options.timeout)));
    try {
      return await Promise.race([this.#outcome, expired]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Stops the process (exit code -15). A worker busy in synchronous code keeps its
   * thread until that code returns (a Deno limit); the process counts as ended at once.
   */
  terminate(): void {
    this.#stop(TERMINATED);
  }

  /**
   * Stops the process (exit code -9): SIGKILL for a subprocess; on workers the same as
   * `terminate()`.
   */
  kill(): void {
    this.#stop(KILLED);
  }

  /**
   * What the process does, as Python's `run()`: calls the target with its arguments, in
   * the process that calls it (`start()` runs it in a new one). A subclass overrides it
   * (sync or async) and needs no target; its child then constructs the subclass with a
   * copy of its options and calls this method there.
   *
   * @example A subclass with state from its constructor
   * ```ts
   * import { Process, type ProcessBaseOptions } from "../mod.ts";
   * import assert from "node:assert/strict";
   *
   * // In a real program the class is exported from its module: the child imports it.
   * class Counter extends Process<() => number> {
   *   readonly upTo: number;
   *   constructor(options: ProcessBaseOptions & { upTo: number }) {
   *     super(options);
   *     this.upTo = options.upTo;
   *   }
   *   override run(): number {
   *     let total = 0;
   *     for (let i = 1; i <= this.upTo; i++) total += i;
   *     return total;
   *   }
   * }
   * assert.equal(new Counter({ upTo: 4 }).run(), 10); // here, in this process
   * ```
   */
  run(): unknown {
    if (this.#target === null) {
      throw new TypeError(`Cannot run process '${this.name}' as it has no target`);
    }
    return Reflect.apply(this.#target, undefined, this.#args);
  }

  /** Whether the process is daemonic (Python's `daemon`). */
  get daemon(): boolean {
    return this.#daemon;
  }

  /**
   * Sets the daemon flag, before `start()` only.
   *
   * @throws {TypeError} The process was started, or the value is not a boolean.
   */
  set daemon(value: boolean) {
    if (this.#outcome !== null) {
      throw new TypeError(`Cannot set 'daemon' of process '${this.name}' after start()`);
    }
    if (typeof value !== "boolean") {
      throw new TypeError(`Cannot set 'daemon' as it must be a boolean: received ${typeof value}`);
    }
    this.#daemon = value;
  }

  /**
   * Releases the process, as Python's `close()`: afterwards `start()` and `join()` throw.
   * Closing twice does nothing.
   *
   * @throws {TypeError} The process is still running: join or terminate it first.
   */
  close(): void {
    if (this.isAlive()) {
      throw new TypeError(
        `Cannot close process '${this.name}' as it is still running: join() or terminate() it first`,
      );
    }
    this.#closed = true;
  }

  /** `await using` terminates a process still running when the block ends. */
  [Symbol.asyncDispose](): Promise<void> {
    if (this.isAlive()) this.terminate();
    return Promise.resolve();
  }

  #stop(code: number): void {
    if (!this.isAlive()) return;
    const channel = this.#channel;
    if (channel?.exited) {
      // A real process: signal it, and report the exit it actually makes.
      if (code === KILLED) channel.kill();
      else channel.terminate();
      channel.exited.then((exitCode) => {
        if (this.#exitCode === null) this.#exitCode = exitCode;
        this.#finish?.(null);
      });
      return;
    }
    this.#exitCode = code;
    this.#finish?.(null);
  }

  /**
   * Acts on a message whose shape the backend checked. A process says READY once, then
   * answers its one call once, with one value; anything else breaks the protocol and
   * ends it as a crash.
   */
  #receive(message: FromWorker): void {
    if (this.#exitCode !== null) return;
    const kind = message[0];
    if (kind === READY && !this.#ready) {
      this.#ready = true;
    } else if (kind === DONE && this.#ready && message[1] === TARGET && message[2].length <= 1) {
      const errors = message[3];
      if (errors !== null) {
        this.#exitCode = 1;
        this.#finish?.({ ok: false, error: fromWire(errors[0]![1], this.#task) });
      } else if (message[2].length === 1) {
        this.#exitCode = 0;
        this.#finish?.({ ok: true, value: message[2][0] });
      } else {
        this.#broke(`answered its call with no value`);
      }
    } else if (kind === FAILED && this.#ready && message[1] === TARGET) {
      this.#exitCode = 1;
      this.#finish?.({ ok: false, error: fromWire(message[2], this.#task) });
    } else {
      this.#broke(`sent a message of kind ${kind} it may not send now`);
    }
  }

  /** The process said what it may not: it is stopped, and counts as crashed. */
  #broke(reason: string): void {
    this.#channel?.kill();
    this.#ended({ exitCode: null, error: null, reason: `broke the protocol: ${reason}` });
  }

  #ended(end: WorkerEnd): void {
    if (this.#exitCode !== null) return;
    this.#exitCode = end.exitCode ?? 1;
    if (end.exitCode === 0) return this.#finish?.(null);
    this.#finish?.({
      ok: false,
      error: new WorkerCrashed({
        message: `Process '${this.name}' ${end.reason} while running '${this.#task}'`,
        worker: this.name,
        exitCode: end.exitCode,
        ...(end.error ? { cause: fromWire(end.error, this.#task) } : {}),
      }),
    });
  }
}

/** The worker-side module that runs a subclass in its child and marks daemons. */
const SUBCLASS_RUNNER = new URL("./worker/process_subclass.ts", import.meta.url).href;

/** Running daemonic processes: terminated when the program exits. */
const daemons = new Set<Process<TaskFunction>>();
globalThis.addEventListener("unload", () => {
  for (const daemon of daemons) daemon.terminate();
});

function closedError(name: string, action: string): TypeError {
  return new TypeError(`Cannot ${action} process '${name}' as it is closed: make a new Process`);
}

/**
 * A subclass's target: `runProcessSubclass` in the child, given where the class is
 * exported and its options (without what cannot cross: the `errors` classes).
 */
function subclassTarget(
  type: TaskFunction,
  options: ProcessBaseOptions,
): { ref: TaskRef | TaskNotFound; task: string; args: unknown[]; modules: string[] } {
  const task = type.name || "anonymous class";
  const { errors: _errors, ...sendable } = options as ProcessBaseOptions & { target?: unknown };
  let found: TaskRef;
  try {
    found = taskRef(type, callerModule);
  } catch (error) {
    return { ref: error as TaskNotFound, task, args: [], modules: [] };
  }
  if (found.kind !== "export") {
    return {
      ref: new TaskNotFound({
        message: `Cannot start process class '${task}' as it is not exported from its module: ` +
          `export it, so its child can import it`,
        task,
      }),
      task,
      args: [],
      modules: [],
    };
  }
  return {
    ref: { kind: "export", module: SUBCLASS_RUNNER, export: "runProcessSubclass", source: "" },
    task,
    args: [found.module, found.export, found.source, [sendable]],
    modules: [found.module],
  };
}

/** Communication objects share memory, which a subprocess cannot: refused up front. */
function refuseShared(items: readonly unknown[]): void {
  for (const args of items) {
    for (const value of args as unknown[]) {
      const kind = (value as { __portable?: unknown } | null)?.__portable;
      if (typeof kind === "string" && kind !== "transfer") {
        throw new TypeError(
          `a '${kind}' shares memory with this program, which a process of the ` +
            `"subprocess" backend cannot: use the "worker" backend to pass communication objects`,
        );
      }
    }
  }
}

/**
 * The processes started by this program that are still running, as Python's
 * `multiprocessing.active_children()`. Pool workers are not listed.
 *
 * @example
 * ```ts
 * import { activeChildren } from "../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(activeChildren(), []);
 * ```
 */
export function activeChildren(): Process<TaskFunction>[] {
  return [...active];
}

/**
 * The number of CPU cores, as Python's `multiprocessing.cpu_count()`: the default size
 * of a pool.
 *
 * @example
 * ```ts
 * import { cpuCount } from "../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(cpuCount() >= 1);
 * ```
 */
export function cpuCount(): number {
  return navigator.hardwareConcurrency;
}
