/**
 * The Web Worker backend: starts a worker on the runtime's entry module and reports
 * everything that comes out of it, including every way it can end, to one listener.
 *
 * A sandboxed worker (any `permissions` but `"inherit"`) cannot import the task module
 * itself: inside it, a dynamic `import()` of a local file needs read permission. A
 * static import does not (it is checked against the parent's permissions), and a
 * module already loaded is not checked again. So a sandboxed worker starts from a
 * small generated `data:` module that statically imports the runtime's entry and every
 * task module it was asked to run; the runtime's own `import()` then finds them
 * loaded. The task modules are learnt from the messages posted to the worker (the
 * initializer in `INIT`, each function in `DEFINE`): the worker is started one
 * microtask after `startWebWorker` returns, so what is posted at once (a `Process`
 * posts its target right away) is imported from the start. A module first seen later
 * (a pool's next function) restarts the worker once it is idle: the new one imports
 * that module too, receives `INIT` and every `DEFINE` again (its initializer runs
 * again), then the messages held meanwhile. The owner sees one worker throughout.
 *
 * @module
 */
import { prepareSandbox } from "../permissions.ts";
import type { Permissions } from "../permissions.ts";
import {
  CANCELLED,
  CRASHED,
  DEFINE,
  DONE,
  DONE_MANY,
  EXITING,
  FAILED,
  type FromWorker,
  INIT,
  READY,
  RUN,
  type ToWorker,
  type WireError,
} from "../protocol.ts";

const ENTRY = new URL("../worker/entry.ts", import.meta.url).href;
const KINDS = new URL("../worker/ipc/kinds.ts", import.meta.url).href;

/** Why a worker is gone. */
export interface WorkerEnd {
  /** The code it passed to `Deno.exit()` (0 for `self.close()`), or null for an error. */
  readonly exitCode: number | null;
  /** The uncaught error that ended it, when one did. */
  readonly error: WireError | null;
  /** A sentence for messages: "exited with code 3", "crashed: Uncaught Error: boom". */
  readonly reason: string;
}

/** What the owner of a worker hears from it. */
export interface WorkerListener {
  message(message: FromWorker): void;
  /** Called once, when the worker ended on its own (never after `terminate()`). */
  ended(end: WorkerEnd): void;
}

/** A started worker, as its owner speaks to it. */
export interface WorkerChannel {
  /** Sends a message; throws a `DataCloneError` when a value cannot be cloned. */
  post(message: ToWorker, transfer?: Transferable[]): void;
  /** Stops the worker now. Safe to call twice. */
  terminate(): void;
  /** False once the worker ended or was terminated. */
  readonly alive: boolean;
  /** True when the channel takes `RUN_MANY` (several runs in one message). */
  readonly batches?: boolean;
}

/** Number of workers started by this program and not yet ended: tests count them. */
let live = 0;

/** How many workers are alive right now in this program. */
export function liveWorkers(): number {
  return live;
}

/**
 * Starts a worker named `name` that reports to `listener`, with `permissions`.
 *
 * @param name The worker's name (`self.name` inside it).
 * @param listener Hears its messages and its end.
 * @param permissions What it may do; anything but `"inherit"` makes a sandbox.
 * @param modules Task modules a sandboxed worker should import from the start (an
 *   owner that knows them saves a restart; the rest are learnt from the messages).
 * @throws {TypeError} `permissions` is not valid.
 * @throws {Deno.errors.NotSupported} A sandbox without `--unstable-worker-options`.
 * @throws {Deno.errors.NotCapable} A sandbox asking for more than the program has.
 */
export function startWebWorker(
  name: string,
  listener: WorkerListener,
  permissions: Permissions = "inherit",
  modules: Iterable<string> = [],
): WorkerChannel {
  const sandbox = prepareSandbox(permissions);
  if (sandbox !== null) return new SandboxChannel(name, listener, sandbox, modules);
  let alive = true;
  const worker = launch(ENTRY, name, null, {
    message: (message) => {
      if (alive) listener.message(message);
    },
    ended: (end) => {
      if (!alive) return;
      stop();
      listener.ended(end);
    },
  });
  live++;
  const stop = (): void => {
    if (!alive) return;
    alive = false;
    live--;
    worker.terminate();
  };
  return {
    post(message, transfer) {
      if (alive) send(worker, message, transfer);
    },
    terminate: stop,
    get alive() {
      return alive;
    },
    batches: true,
  };
}

/**
 * Posts to a worker, with a transfer list only when there is something to move: the
 * first post given one, even empty, loads Deno's transfer code (about 1.5 ms).
 */
function send(worker: Worker, message: ToWorker, transfer: Transferable[] | undefined): void {
  if (transfer !== undefined && transfer.length > 0) worker.postMessage(message, transfer);
  else worker.postMessage(message);
}

/** Creates a worker on `url` and routes what comes out of it to `events`. */
function launch(
  url: string,
  name: string,
  permissions: Deno.PermissionOptions | null,
  events: WorkerListener,
): Worker {
  // No `deno` option at all unless sandboxed: even `deno: {}` may need the unstable flag.
  const worker = permissions === null
    ? new Worker(url, { type: "module", name })
    : new Worker(url, { type: "module", name, deno: { permissions } });
  worker.onmessage = (event: MessageEvent<FromWorker>) => {
    const message = event.data;
    if (message[0] === EXITING) {
      events.ended({ exitCode: message[1], error: null, reason: `exited with code ${message[1]}` });
    } else if (message[0] === CRASHED) {
      events.ended({ exitCode: null, error: message[1], reason: `crashed: ${message[1].message}` });
    } else {
      events.message(message);
    }
  };
  worker.onerror = (event: ErrorEvent) => {
    // Without this the error would end the main program too.
    event.preventDefault();
    events.ended({
      exitCode: null,
      error: { tag: "TaskError", name: "Error", message: event.message, isError: true },
      reason: `crashed: ${event.message}`,
    });
  };
  worker.onmessageerror = () => {
    events.ended({
      exitCode: null,
      error: null,
      reason: "sent a message that could not be deserialized",
    });
  };
  return worker;
}

/** The generated module a sandboxed worker starts from: static imports only. */
function bootstrap(modules: Iterable<string>): string {
  // The kinds of communication objects load lazily in other workers; a sandboxed one
  // cannot import them later, so it loads them up front.
  const lines = [ENTRY, KINDS, ...modules].map((url) => `import ${JSON.stringify(url)};`);
  return `data:text/javascript,${encodeURIComponent(lines.join("\n"))}`;
}

/** The module a message asks the worker to import, if any. */
function moduleOf(message: ToWorker): string | null {
  const ref = message[0] === INIT
    ? message[1].initializer
    : message[0] === DEFINE
    ? message[2]
    : null;
  return ref?.kind === "export" ? ref.module : null;
}

type Held = readonly [ToWorker, Transferable[] | undefined];

/** A sandboxed worker that imports its task modules statically (see the module doc). */
class SandboxChannel implements WorkerChannel {
  readonly #name: string;
  readonly #listener: WorkerListener;
  readonly #permissions: Deno.PermissionOptions;
  /** Task modules the next worker imports. */
  readonly #modules: Set<string>;
  /** `INIT` and every `DEFINE`, sent again to a restarted worker. */
  readonly #history: ToWorker[] = [];
  /** Messages waiting for a worker that imports a new module; null: none waiting. */
  #held: Held[] | null = [];
  #worker: Worker | null = null;
  /** Modules the current worker imported that no earlier worker had loaded. */
  #fresh: readonly string[] = [];
  /** `RUN`s posted to the current worker and not answered yet. */
  #running = 0;
  /** The current worker said something: its modules loaded. */
  #heard = false;
  #readySent = false;
  /** Modules the current worker imported. */
  #lastLoaded: readonly string[] = [];
  #alive = true;

  constructor(
    name: string,
    listener: WorkerListener,
    permissions: Deno.PermissionOptions,
    modules: Iterable<string>,
  ) {
    this.#name = name;
    this.#listener = listener;
    this.#permissions = permissions;
    this.#modules = new Set(modules);
    live++;
    // Started once the owner's first messages are in: their modules are imported too.
    queueMicrotask(() => this.#launch());
  }

  get alive(): boolean {
    return this.#alive;
  }

  post(message: ToWorker, transfer?: Transferable[]): void {
    if (!this.#alive) return;
    if (message[0] === INIT || message[0] === DEFINE) {
      if (message[0] === INIT) this.#history.length = 0;
      this.#history.push(message);
      const module = moduleOf(message);
      if (module !== null && !this.#modules.has(module)) {
        this.#modules.add(module);
        this.#held ??= [];
      }
      // While messages are held, the history reaches the next worker on its own.
      if (this.#held === null) this.#worker!.postMessage(message);
      else this.#relaunchWhenIdle();
      return;
    }
    if (this.#held !== null) {
      this.#held.push([message, transfer]);
      return;
    }
    send(this.#worker!, message, transfer);
    if (message[0] === RUN) this.#running++;
  }

  terminate(): void {
    if (!this.#alive) return;
    this.#alive = false;
    live--;
    this.#held = null;
    this.#worker?.terminate();
    this.#worker = null;
  }

  #relaunchWhenIdle(): void {
    // Before the first launch the microtask does it; a busy worker finishes first.
    if (this.#worker !== null && this.#running === 0) this.#launch();
  }

  #launch(): void {
    if (!this.#alive || this.#held === null) return;
    this.#worker?.terminate();
    this.#worker = null;
    const held = this.#held;
    this.#held = null;
    const previous = this.#readySent ? this.#lastLoaded : [];
    this.#lastLoaded = [...this.#modules];
    this.#fresh = this.#lastLoaded.filter((module) => !previous.includes(module));
    this.#heard = false;
    this.#running = 0;
    let worker: Worker;
    try {
      worker = launch(bootstrap(this.#lastLoaded), this.#name, this.#permissions, {
        message: (message) => {
          if (worker === this.#worker) this.#received(message);
        },
        ended: (end) => {
          if (worker === this.#worker) this.#ended(end);
        },
      });
    } catch (error) {
      const wire = { tag: "TaskError", name: "Error", message: String(error), isError: true };
      if (error instanceof Error) Object.assign(wire, { name: error.name, message: error.message });
      this.#ended({
        exitCode: null,
        error: wire as WireError,
        reason: `failed to start: ${wire.message}`,
      });
      return;
    }
    this.#worker = worker;
    for (const message of this.#history) worker.postMessage(message);
    for (const [message, transfer] of held) {
      try {
        send(worker, message, transfer);
      } catch (error) {
        // Too late to throw to the owner: answer the chunk as `post` would have failed it.
        if (message[0] === RUN) this.#received([FAILED, message[1], unsendable(error)]);
        continue;
      }
      if (message[0] === RUN) this.#running++;
    }
  }

  #received(message: FromWorker): void {
    this.#heard = true;
    switch (message[0]) {
      case READY:
        // A restarted worker is ready again; its owner heard that already.
        if (this.#readySent) return;
        this.#readySent = true;
        break;
      case DONE:
      case FAILED:
      case CANCELLED:
        this.#running = Math.max(0, this.#running - 1);
        break;
      case DONE_MANY:
        this.#running = Math.max(0, this.#running - message[1].length);
        break;
    }
    this.#listener.message(message);
    if (this.#held !== null) this.#relaunchWhenIdle();
  }

  #ended(end: WorkerEnd): void {
    if (!this.#alive) return;
    this.terminate();
    if (this.#heard || this.#fresh.length === 0 || end.exitCode !== null) {
      this.#listener.ended(end);
      return;
    }
    // Gone before a word: a task module failed to load (say, its top-level code needed
    // a permission the sandbox does not grant).
    const cause = end.error?.message ?? end.reason;
    const modules = this.#fresh.join(", ");
    const message = `Cannot load task module${
      this.#fresh.length > 1 ? "s" : ""
    } ${modules} in a sandboxed worker: ${cause}`;
    this.#listener.ended({
      exitCode: null,
      error: { tag: "TaskNotFound", name: "TaskNotFound", message, isError: true },
      reason: `could not load its task modules (${cause})`,
    });
  }
}

function unsendable(error: unknown): WireError {
  return {
    tag: "SerializationError",
    name: error instanceof Error ? error.name : "DataCloneError",
    message: `Cannot send the arguments to a worker: ${
      error instanceof Error ? error.message : String(error)
    }; pass plain data (no functions, symbols or class instances with methods)`,
    isError: true,
  };
}
