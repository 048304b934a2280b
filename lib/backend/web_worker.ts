/**
 * The Web Worker backend: starts a worker on the runtime's entry module and reports
 * everything that comes out of it, including every way it can end, to one listener.
 *
 * A sandboxed worker (any `permissions` but `"inherit"`) starts from a small generated
 * `data:` module that imports only the library's own modules: first the process-state
 * lock (`sandbox_lock.ts`), then the runtime's entry. A worker's start-up graph is
 * loaded with the parent's permissions, so no task module may be part of it (a literal
 * `import()` of any file would be read unchecked). The runtime loads task modules by a
 * computed `import()`, which Deno checks against the sandbox, file by file; the
 * sandbox's read list therefore gets the code files of each task module's static graph
 * (`sandbox_graph.ts`), and nothing else. A worker's permissions are fixed when it
 * starts, so the task modules are learnt first, from the messages posted to the worker
 * (the initializer in `INIT`, each function in `DEFINE`): the worker starts once their
 * graphs are known, after what is posted at once (a `Process` posts its target right
 * away). A module first seen later (a pool's next function) restarts the worker once it
 * is idle, with that module's files added: the new one receives `INIT` and every
 * `DEFINE` again (its initializer runs again), then the messages held meanwhile. The
 * owner sees one worker throughout.
 *
 * @module
 */
import { prepareSandbox } from "../permissions.ts";
import { checkGraphAccess } from "./sandbox_graph.ts";
import { type Launcher, Relaunch } from "./relaunch.ts";
import type { Permissions } from "../permissions.ts";
import {
  CRASHED,
  EXITING,
  FAILED,
  type FromWorker,
  RUN,
  RUN_MANY,
  type ToWorker,
} from "../shared/protocol.ts";
import type { WireError } from "../shared/wire_error.ts";
import { isViolation, readFromWorker } from "../protocol_check.ts";
import type { Endpoint, WorkerEnd, WorkerListener } from "./endpoint.ts";

const ENTRY = new URL("../worker/entry.ts", import.meta.url).href;
const KINDS = new URL("../comms/kinds.ts", import.meta.url).href;
const LOCK = new URL("../worker/sandbox_lock.ts", import.meta.url).href;

/** A worker as its owner sees it: it shares memory, has no pid, is gone when stopped. */
const WORKER_TRAITS = { batches: true, sharesMemory: true, pid: null, exited: null } as const;

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
 * @throws {Deno.errors.NotCapable} A sandbox asking for more than the program has, or
 *   one that must learn its task modules' files while the program may not run `deno`.
 */
export function startWebWorker(
  name: string,
  listener: WorkerListener,
  permissions: Permissions = "inherit",
  modules: Iterable<string> = [],
): Endpoint {
  const sandbox = prepareSandbox(permissions);
  if (sandbox !== null) {
    if (!readsAll(sandbox)) checkGraphAccess("start a sandboxed worker");
    return new SandboxChannel(name, listener, sandbox, modules);
  }
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
    stopLaunched(worker);
  };
  return {
    post(message, transfer) {
      if (alive) send(worker, message, transfer);
    },
    terminate: stop,
    kill: stop,
    close: stop,
    get alive() {
      return alive;
    },
    ...WORKER_TRAITS,
  };
}

/**
 * A running worker and its private port: the only channel its runtime speaks on. What
 * arrives on the worker's own channel (`self.postMessage` inside it) is task code's and
 * is ignored.
 */
interface Launched {
  readonly worker: Worker;
  readonly port: MessagePort;
}

/**
 * Posts to a worker's port, with a transfer list only when there is something to move:
 * the first post given one, even empty, loads Deno's transfer code (about 1.5 ms).
 */
function send(to: Launched, message: ToWorker, transfer: Transferable[] | undefined): void {
  if (transfer !== undefined && transfer.length > 0) to.port.postMessage(message, transfer);
  else to.port.postMessage(message);
}

/** Stops a launched worker and closes its port (an open port keeps the program alive). */
function stopLaunched(launched: Launched): void {
  launched.worker.terminate();
  launched.port.close();
}

/** Creates a worker on `url`, hands it its port, and routes what it says to `events`. */
function launch(
  url: string,
  name: string,
  permissions: Deno.PermissionOptions | null,
  events: WorkerListener,
): Launched {
  // No `deno` option at all unless sandboxed: even `deno: {}` may need the unstable flag.
  const worker = permissions === null
    ? new Worker(url, { type: "module", name })
    : new Worker(url, { type: "module", name, deno: { permissions } });
  const { port1, port2 } = new MessageChannel();
  worker.postMessage(null, [port2]);
  let over = false;
  const end = (how: WorkerEnd): void => {
    if (over) return;
    over = true;
    port1.close();
    events.ended(how);
  };
  port1.onmessage = (event: MessageEvent<unknown>) => {
    if (over) return;
    const message = readFromWorker(event.data);
    if (isViolation(message)) {
      worker.terminate();
      end({ exitCode: null, error: null, reason: `broke the protocol: ${message.violation}` });
      return;
    }
    const [kind, detail] = message;
    if (kind === EXITING) {
      end({ exitCode: detail, error: null, reason: `exited with code ${detail}` });
    } else if (kind === CRASHED) {
      end({ exitCode: null, error: detail, reason: `crashed: ${detail.message}` });
    } else {
      events.message(message);
    }
  };
  port1.onmessageerror = () => {
    worker.terminate();
    end({
      exitCode: null,
      error: null,
      reason: "broke the protocol: sent a message that could not be deserialized",
    });
  };
  // Task code's own posts: not the protocol, and never acted on.
  worker.onmessage = null;
  worker.onerror = (event: ErrorEvent) => {
    // Without this the error would end the main program too.
    event.preventDefault();
    end({
      exitCode: null,
      error: { tag: "TaskError", name: "Error", message: event.message, isError: true },
      reason: `crashed: ${event.message}`,
    });
  };
  return { worker, port: port1 };
}

/**
 * The generated module a sandboxed worker starts from: the library's own modules only,
 * the lock first, so that it runs before anything else.
 */
function bootstrap(): string {
  // The kinds of communication objects load lazily in other workers; a sandboxed one
  // cannot import them later, so it loads them up front.
  const lines = [LOCK, ENTRY, KINDS].map((url) => `import ${JSON.stringify(url)};`);
  return `data:text/javascript,${encodeURIComponent(lines.join("\n"))}`;
}

/** Whether a sandbox may read every file: then it needs no graph. */
function readsAll(permissions: Deno.PermissionOptions): boolean {
  return typeof permissions === "object" && permissions.read === true;
}

/**
 * `permissions` with `files` added to its read list and `hosts` to its import list, those
 * this program may read and import itself (a worker cannot be given more than its parent
 * has; the others stay out of reach). A task may then import any module of those hosts.
 */
function withReads(
  permissions: Deno.PermissionOptions,
  files: Iterable<string>,
  hosts: Iterable<string>,
): Deno.PermissionOptions {
  if (readsAll(permissions)) return permissions;
  const base: Deno.PermissionOptionsObject = permissions === "none"
    ? {
      read: false,
      write: false,
      net: false,
      env: false,
      run: false,
      ffi: false,
      sys: false,
      import: false,
    }
    : { ...(permissions as Deno.PermissionOptionsObject) };
  const read = Array.isArray(base.read) ? [...base.read] : [];
  for (const file of files) {
    if (Deno.permissions.querySync({ name: "read", path: file }).state === "granted") {
      read.push(file);
    }
  }
  const imports = Array.isArray(base.import) ? [...base.import] : [];
  if (base.import !== true) {
    for (const host of hosts) {
      if (Deno.permissions.querySync({ name: "import", host }).state === "granted") {
        imports.push(host);
      }
    }
  }
  return {
    ...base,
    read: read.length > 0 ? read : false,
    import: base.import === true ? true : imports.length > 0 ? imports : false,
  };
}

type Held = readonly [ToWorker, Transferable[]];

/**
 * What a held message keeps: a copy taken now, as posting it would. A value that cannot
 * be cloned throws now, to the caller, and transferred objects move into the copy
 * (cloned with the list, which then names them there).
 */
function snapshot(message: ToWorker, transfer: Transferable[] = []): Held {
  return structuredClone([message, transfer] as const, { transfer });
}

/** A sandboxed worker that may read its task modules' code files (see the module doc). */
class SandboxChannel implements Endpoint, Launcher<Held> {
  readonly batches = true;
  readonly sharesMemory = true;
  readonly pid = null;
  readonly exited = null;
  readonly #name: string;
  readonly #listener: WorkerListener;
  readonly #deliver = (message: FromWorker): void => this.#listener.message(message);
  readonly #permissions: Deno.PermissionOptions;
  readonly #books: Relaunch<Held>;
  #worker: Launched | null = null;
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
    this.#books = new Relaunch(this, modules, !readsAll(permissions));
    live++;
    // Started once the owner's first messages are in: their modules' files are granted too.
    queueMicrotask(() => this.#books.launch());
  }

  get alive(): boolean {
    return this.#alive;
  }

  get started(): boolean {
    return this.#worker !== null;
  }

  post(message: ToWorker, transfer?: Transferable[]): void {
    if (!this.#alive || !this.#books.route(message, () => snapshot(message, transfer))) return;
    send(this.#worker!, message, transfer);
    this.#books.sent(message);
  }

  terminate(): void {
    if (!this.#alive) return;
    this.#alive = false;
    live--;
    this.#books.drop();
    if (this.#worker !== null) stopLaunched(this.#worker);
    this.#worker = null;
  }

  kill(): void {
    this.terminate();
  }

  close(): void {
    this.terminate();
  }

  start(held: Held[]): void {
    if (this.#worker !== null) stopLaunched(this.#worker);
    this.#worker = null;
    const books = this.#books;
    const { files, hosts } = books.grants();
    let worker: Launched;
    try {
      worker = launch(bootstrap(), this.#name, withReads(this.#permissions, files, hosts), {
        message: (message) => {
          if (worker === this.#worker) books.answered(message, this.#deliver);
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
    for (const message of books.history) send(worker, message, undefined);
    for (const [message, transfer] of held) {
      try {
        send(worker, message, transfer);
      } catch (error) {
        // Held copies were cloned once already: this is not expected, but is answered.
        for (const answer of unsent(message, error)) books.answered(answer, this.#deliver);
        continue;
      }
      books.sent(message);
    }
  }

  #ended(end: WorkerEnd): void {
    if (!this.#alive) return;
    this.terminate();
    // A task module that cannot load fails its calls with `TaskNotFound` inside the
    // worker (the runtime imports it): the worker itself ends only as any worker does.
    this.#listener.ended(end);
  }
}

/** The answers that fail the runs of a message that could not be sent. */
function unsent(message: ToWorker, error: unknown): FromWorker[] {
  const wire: WireError = {
    tag: "SerializationError",
    name: error instanceof Error ? error.name : "DataCloneError",
    message: `Cannot send the arguments to a worker: ${
      error instanceof Error ? error.message : String(error)
    }; pass plain data (no functions, symbols or class instances with methods)`,
    isError: true,
  };
  const [kind, detail] = message;
  if (kind === RUN) return [[FAILED, detail, wire]];
  if (kind === RUN_MANY) return detail.map(([, chunkId]) => [FAILED, chunkId, wire]);
  return [];
}
