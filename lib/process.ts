/**
 * `Process`: one function in its own worker, as Python's `multiprocessing.Process`: the
 * Promise face. The worker itself is owned by `ProcessCore` (`process_core.ts`), which
 * the Effect face (`ProcessEffect` in `process_effect.ts`) drives too, so that Promise
 * programs never load Effect.
 *
 * @module
 */
import type { ResultOf, SendableArgs, TaskFunction } from "./types.ts";
import { checkBackend, describe, registerErrors } from "./pool_option_checks.ts";
import { TaskNotFound } from "./errors.ts";
import { type Permissions, validatePermissions } from "./permissions.ts";
import { currentProcess } from "./shared/identity.ts";
import type { ErrorClass } from "./error_registry.ts";
import { constructingInChild } from "./shared/process_flags.ts";
import {
  activeOwners,
  closedError,
  KILLED,
  ProcessCore,
  type ProcessError,
  TERMINATED,
} from "./process_core.ts";
import { functionTarget, type ProcessTarget, subclassTarget } from "./process_target.ts";

export type { ProcessError };

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

/**
 * Reaches a process's core from the library's Effect face; set once by the class's
 * static block, the one place that can read `#` fields.
 */
let coreOf: (process: Process<TaskFunction>) => ProcessCore | undefined;

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
  readonly #target: F | null;
  readonly #args: readonly unknown[];
  readonly #core: ProcessCore;

  static {
    coreOf = (process) =>
      typeof process === "object" && process !== null && #core in process
        ? process.#core
        : undefined;
  }

  /**
   * Makes a process; nothing runs until `start()`. A subclass that overrides `run()`
   * needs no `target` (see `ProcessBaseOptions`).
   *
   * @throws {TypeError} `options` is not an object, `target` is not a function, or `args` not an array.
   */
  constructor(options: ProcessOptions<F> | ProcessBaseOptions = {}) {
    if (typeof options !== "object" || options === null) {
      throw new TypeError(
        `Cannot create process as its options must be an object ({ target, args }): ` +
          `current value is ${describe(options)}`,
      );
    }
    const daemon = options.daemon === true;
    if (constructingInChild()) {
      // The child rebuilding this subclass: only `run()` will be called here.
      this.name = options?.name ?? currentProcess().name;
      this.#target = null;
      this.#args = [];
      const task = this.constructor.name;
      this.#core = this.#makeCore(
        {
          ref: new TaskNotFound({ message: "a rebuilt process", task }),
          task,
          args: [],
          modules: [],
        },
        { backend: "worker", maxHeapMB: null },
        "inherit",
        daemon,
      );
      return;
    }
    registerErrors("create process", options?.errors);
    if (options?.daemon !== undefined && typeof options.daemon !== "boolean") {
      throw new TypeError(
        `Cannot create process as 'daemon' must be a boolean: received ${typeof options.daemon}`,
      );
    }
    let target: ProcessTarget;
    if (this.run !== Process.prototype.run) {
      // A subclass with its own run(): the class itself crosses, found by reference.
      this.#target = null;
      this.#args = [];
      target = subclassTarget(this.constructor as TaskFunction, options);
    } else {
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
      this.#target = options.target;
      this.#args = options.args ?? [];
      // Found now, while the caller's module is on the stack.
      target = functionTarget(options.target, this.#args);
    }
    const permissions = validatePermissions(options.permissions ?? "inherit", "create process");
    const backend = checkBackend("create process", options);
    created++;
    this.name = options.name ?? `Process-${created}`;
    this.#core = this.#makeCore(target, backend, permissions, daemon);
  }

  #makeCore(
    target: ProcessTarget,
    { backend, maxHeapMB }: { backend: "worker" | "subprocess"; maxHeapMB: number | null },
    permissions: Permissions,
    daemon: boolean,
  ): ProcessCore {
    const spec = { ...target, name: this.name, permissions, backend, maxHeapMB };
    return new ProcessCore(this, spec, daemon);
  }

  /**
   * The process id: the OS pid of a subprocess; for a worker, an id unique in this
   * program. `null` before `start()`.
   */
  get pid(): number | null {
    return this.#core.pid;
  }

  /**
   * `null` while running (or before start); then 0 on success, 1 when the target
   * threw, the code given to `Deno.exit()`, -15 after `terminate()`, -9 after `kill()`.
   * A subprocess reports its own exit: its code, or minus the signal that ended it.
   */
  get exitCode(): number | null {
    return this.#core.exitCode;
  }

  /** Whether the process was started and has not ended. */
  isAlive(): boolean {
    return this.#core.alive;
  }

  /**
   * Starts the target in a new worker.
   *
   * @throws {TaskNotFound} The target cannot be sent to a worker (nothing started).
   * @throws {SerializationError} An argument cannot be cloned (nothing started).
   * @throws {Error} The process was already started.
   */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#core.start((error) => error === null ? resolve() : reject(error));
    });
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
  join(options: { readonly timeout?: number } = {}): Promise<ResultOf<F> | undefined> {
    const core = this.#core;
    if (core.closed) return Promise.reject(closedError(this.name, "join"));
    return new Promise((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const stop = core.whenGone((end) => {
        clearTimeout(timer);
        if (end === null) reject(new Error(`Cannot join process '${this.name}' before start()`));
        else if (end.kind === "failed") reject(end.error);
        else resolve(end.kind === "returned" ? end.value as ResultOf<F> : undefined);
      });
      if (options.timeout !== undefined && core.started) {
        timer = setTimeout(() => {
          stop();
          resolve(undefined);
        }, options.timeout);
      }
    });
  }

  /**
   * Stops the process (exit code -15). A worker busy in synchronous code keeps its
   * thread until that code returns (a Deno limit); the process counts as ended at once.
   */
  terminate(): void {
    this.#core.stop(TERMINATED);
  }

  /**
   * Stops the process (exit code -9): SIGKILL for a subprocess; on workers the same as
   * `terminate()`.
   */
  kill(): void {
    this.#core.stop(KILLED);
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
    return this.#core.daemon;
  }

  /**
   * Sets the daemon flag, before `start()` only.
   *
   * @throws {TypeError} The process was started, or the value is not a boolean.
   */
  set daemon(value: boolean) {
    if (this.#core.started) {
      throw new TypeError(`Cannot set 'daemon' of process '${this.name}' after start()`);
    }
    if (typeof value !== "boolean") {
      throw new TypeError(`Cannot set 'daemon' as it must be a boolean: received ${typeof value}`);
    }
    this.#core.daemon = value;
  }

  /**
   * Releases the process, as Python's `close()`: afterwards `start()` and `join()` throw.
   * Closing twice does nothing.
   *
   * @throws {TypeError} The process is still running: join or terminate it first.
   */
  close(): void {
    this.#core.close();
  }

  /** `await using` terminates a process still running when the block ends. */
  [Symbol.asyncDispose](): Promise<void> {
    if (this.isAlive()) this.terminate();
    return Promise.resolve();
  }
}

let created = 0;

/**
 * The core of `process`, for the library's Effect face; undefined when `process` is not
 * a `Process`.
 *
 * @internal
 */
export function processCore(process: Process<TaskFunction>): ProcessCore | undefined {
  return coreOf(process);
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
  return activeOwners() as Process<TaskFunction>[];
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
