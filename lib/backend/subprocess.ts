/**
 * The subprocess backend: each process is a child `deno` (`Deno.execPath()`) running
 * the same worker runtime (`subprocess_child.ts`), speaking the same protocol over a
 * private Unix socket (`subprocess_spawn.ts`), values encoded with `node:v8`
 * (structured-clone semantics).
 *
 * What differs from a Web Worker, and why one would choose it:
 * - `terminate()` sends SIGTERM, `kill()` SIGKILL: they stop a child busy in
 *   synchronous code. A child that does not exit within `KILL_AFTER_MS` of SIGTERM
 *   (it trapped the signal) gets SIGKILL.
 * - Its end is noticed when its socket and pipes close and its status arrives; the exit code is
 *   its own, or minus the signal number (-9 for SIGKILL), as Python reports. A V8
 *   heap-limit breach (`maxHeapMB`, passed as `--max-old-space-size`) ends the child
 *   with SIGTRAP and "out of memory" on stderr: reported as "ran out of memory".
 * - Permissions are Deno's own `--allow-*` flags: no unstable option needed. As a
 *   sandboxed Web Worker does, a sandboxed child starts from a generated `data:` module
 *   that imports only the library's own modules (what a start-up graph imports is read
 *   unchecked), loads task modules by the runtime's computed `import()`, which Deno
 *   checks, and may read exactly the code files of their static graphs
 *   (`sandbox_graph.ts`); a module first seen later restarts the child once it is idle,
 *   with that module's files added. Every child gets the program's configuration
 *   (`--config`, so its import map resolves the task modules' bare specifiers): a child
 *   started from `data:` would discover none.
 * - Nothing is shared: the cancel bitmap and busy flag stay on the parent's side (the
 *   child keeps its own bitmap, set by `CANCEL`); communication objects (`Queue`,
 *   `Lock`, ...) cannot be sent; `transfer()` degrades to a copy.
 * - Console output of the child reaches the parent's stdout and stderr line by line.
 *
 * This file is the endpoint (`Channel`): what is posted, when a child (re)starts, how its
 * end is reported. Its command line and signals are in `subprocess_command.ts`, its
 * encoding in `subprocess_codec.ts`, one child and its socket in `subprocess_spawn.ts`.
 *
 * @module
 */
import { checkEscalation, type Permissions, validatePermissions } from "../permissions.ts";
import { type FromWorker, INIT, type ToWorker } from "../shared/protocol.ts";
import type { Endpoint, WorkerEnd, WorkerListener } from "./endpoint.ts";
import { type Launcher, Relaunch } from "./relaunch.ts";
import { checkSocketAccess, type Child } from "./subprocess_spawn.ts";
import { encodeForChild } from "./subprocess_codec.ts";
import { permissionFlags, signalChild, startChild } from "./subprocess_command.ts";

/** How a subprocess is started. */
export interface SubprocessOptions {
  /** What the child may do, as `--allow-*` flags. @default {"inherit"} */
  readonly permissions?: Permissions;
  /** The child's V8 heap limit in MiB (`--max-old-space-size`), or null for V8's own. */
  readonly maxHeapMB?: number | null;
  /** Task modules a sandboxed child should import from the start. */
  readonly modules?: Iterable<string>;
}

/** A started subprocess, as its owner speaks to it. */
export interface SubprocessChannel extends Endpoint {
  /** Ends the child's channel: it exits with code 0 once it has read what was sent. */
  close(): void;
  /** Settles once the channel was stopped and its last child exited: its exit code. */
  readonly exited: Promise<number>;
}

let live = 0;
const exits = new Set<Promise<void>>();

/** How many child processes this program started that have not exited yet. */
export function liveSubprocesses(): number {
  return live;
}

/** Settles once every child process started so far has exited. */
export async function subprocessesExited(): Promise<void> {
  while (exits.size > 0) await Promise.all(exits);
}

/**
 * Starts a child `deno` named `name` that reports to `listener`.
 *
 * @param name The process's name (`currentProcess().name` inside it).
 * @param listener Hears its messages and, once, its end (never after `terminate()`).
 * @param options Permissions, heap limit, task modules known in advance.
 * @throws {TypeError} `permissions` or `maxHeapMB` is not valid.
 * @throws {Deno.errors.NotCapable} A sandbox asks for more than this program has, or
 *   this program may not run `deno` (`--allow-run`).
 */
export function startSubprocess(
  name: string,
  listener: WorkerListener,
  options: SubprocessOptions = {},
): SubprocessChannel {
  const permissions = validatePermissions(options.permissions ?? "inherit", "start a subprocess");
  if (permissions !== "inherit") checkEscalation(permissions, "start a subprocess");
  const heap = options.maxHeapMB ?? null;
  if (heap !== null && (!Number.isInteger(heap) || heap < 1)) {
    throw new RangeError(
      `Cannot start a subprocess as 'maxHeapMB' must be a positive integer: current value is ${heap}`,
    );
  }
  const run = Deno.permissions.querySync({ name: "run", command: Deno.execPath() });
  if (run.state !== "granted") {
    throw new Deno.errors.NotCapable(
      `Cannot start a subprocess as this program may not run ${Deno.execPath()} (${run.state}): ` +
        `run it with --allow-run, or use the "worker" backend`,
    );
  }
  checkSocketAccess();
  return new Channel(name, listener, permissions, heap, options.modules ?? []);
}

type Held = readonly [ToWorker, Uint8Array];

const NO_GRANTS = { files: [], hosts: [] } as const;

class Channel implements SubprocessChannel, Launcher<Held> {
  readonly #name: string;
  readonly #listener: WorkerListener;
  readonly #deliver = (message: FromWorker): void => this.#listener.message(message);
  readonly #flags: readonly string[];
  readonly #sandboxed: boolean;
  /** The sandbox must be granted its task modules' code graphs (it may not read them all). */
  readonly #needsGraphs: boolean;
  readonly #heap: number | null;
  readonly #books: Relaunch<Held>;
  #child: Child | null = null;
  #alive = true;
  #lastCode = 0;
  readonly #pending = new Set<Promise<unknown>>();
  readonly #exited: Promise<number>;
  #settleExited!: (code: number) => void;

  constructor(
    name: string,
    listener: WorkerListener,
    permissions: Permissions,
    heap: number | null,
    modules: Iterable<string>,
  ) {
    this.#name = name;
    this.#listener = listener;
    this.#sandboxed = permissions !== "inherit";
    this.#flags = permissionFlags(permissions);
    this.#needsGraphs = permissions === "none" ||
      (permissions !== "inherit" && permissions.read !== true);
    this.#heap = heap;
    this.#books = new Relaunch(this, modules, this.#needsGraphs, this.#sandboxed);
    this.#exited = new Promise((resolve) => (this.#settleExited = resolve));
    if (this.#sandboxed) queueMicrotask(() => this.#books.launch());
    else this.#books.launch();
  }

  /** Runs travel together (`RUN_MANY`): a frame and a write each is what a child costs. */
  readonly batches = true;
  /** A child shares no memory with this program. */
  readonly sharesMemory = false;

  get alive(): boolean {
    return this.#alive;
  }

  get started(): boolean {
    return this.#child !== null;
  }

  get pid(): number | null {
    return this.#child?.process.pid ?? null;
  }

  get exited(): Promise<number> {
    return this.#exited;
  }

  post(message: ToWorker): void {
    if (!this.#alive) return;
    const bytes = encodeForChild(message);
    if (this.#books.route(message, () => [message, bytes])) this.#send(message, bytes);
  }

  terminate(): void {
    this.#stop("SIGTERM");
  }

  kill(): void {
    this.#stop("SIGKILL");
  }

  close(): void {
    if (!this.#alive) return;
    this.#alive = false;
    this.#books.drop();
    const child = this.#child;
    if (child !== null) {
      child.stopped = true;
      child.end();
    }
    this.#settleWhenGone();
  }

  #stop(signal: Deno.Signal): void {
    const child = this.#child;
    if (this.#alive) {
      this.#alive = false;
      this.#books.drop();
      this.#settleWhenGone();
    }
    if (child !== null) signalChild(child, signal);
  }

  #settleWhenGone(): void {
    Promise.all(this.#pending).then(() => this.#settleExited(this.#lastCode));
  }

  #send(message: ToWorker, bytes: Uint8Array): void {
    const child = this.#child;
    if (child === null || child.stopped) return;
    // Identity inside the child is the OS pid, as Python's `current_process().pid`.
    const [kind, data] = message;
    if (kind === INIT) {
      bytes = encodeForChild([INIT, { ...data, self: { ...data.self, pid: child.process.pid } }]);
    }
    child.send(bytes);
    this.#books.sent(message);
  }

  start(held: Held[]): void {
    const books = this.#books;
    const previous = this.#child;
    if (previous !== null) signalChild(previous, "SIGTERM");
    let child: Child;
    try {
      child = startChild({
        name: this.#name,
        flags: this.#flags,
        sandboxed: this.#sandboxed,
        grants: this.#needsGraphs ? books.grants() : NO_GRANTS,
        heap: this.#heap,
      }, {
        message: (message) => {
          if (this.#child === child) books.answered(message, this.#deliver);
        },
        violation: (reason) => {
          if (this.#child === child) this.#broke(reason);
        },
      });
    } catch (error) {
      this.#alive = false;
      this.#child = null;
      this.#settleWhenGone();
      const message = error instanceof Error ? error.message : String(error);
      this.#listener.ended({
        exitCode: null,
        error: {
          tag: "TaskError",
          name: error instanceof Error ? error.name : "Error",
          message,
          isError: true,
        },
        reason: `failed to start: ${message}`,
      });
      return;
    }
    this.#child = child;
    live++;
    const gone = child.done.then((end) => {
      live--;
      this.#lastCode = end.exitCode ?? 1;
      if (child.stopped || this.#child !== child || !this.#alive) return;
      this.#alive = false;
      this.#books.drop();
      this.#settleWhenGone();
      this.#listener.ended(this.#explain(end));
    });
    const tracked = gone.finally(() => {
      this.#pending.delete(tracked);
      exits.delete(tracked);
    });
    this.#pending.add(tracked);
    exits.add(tracked);
    for (const message of books.history) this.#send(message, encodeForChild(message));
    for (const [message, bytes] of held) this.#send(message, bytes);
  }

  /** The child broke the protocol and was killed: its owner hears it as its end. */
  #broke(reason: string): void {
    if (!this.#alive) return;
    this.#alive = false;
    this.#books.drop();
    this.#settleWhenGone();
    this.#listener.ended({ exitCode: null, error: null, reason: `broke the protocol: ${reason}` });
  }

  /** Adds what only the owner's side knows: the heap limit, the modules it loads. */
  #explain(end: WorkerEnd): WorkerEnd {
    if (end.reason.startsWith("ran out of memory") && this.#heap !== null) {
      return { ...end, reason: `ran out of memory (maxHeapMB: ${this.#heap})` };
    }
    return end;
  }
}
