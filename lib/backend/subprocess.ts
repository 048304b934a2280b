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
 * @module
 */
import { serialize } from "node:v8";
import { checkEscalation, type Permissions, validatePermissions } from "../permissions.ts";
import {
  DEFINE,
  type FromWorker,
  INIT,
  RUN,
  RUN_MANY,
  type RunMessage,
  type ToWorker,
} from "../shared/protocol.ts";
import { configFlags, denoWords } from "../deno_cmdline.ts";
import type { Endpoint, WorkerEnd, WorkerListener } from "./endpoint.ts";
import { Relaunch } from "./relaunch.ts";
import { checkSocketAccess, type Child, socketFlags, spawnChild } from "./subprocess_spawn.ts";

const ENTRY = new URL("../worker/subprocess_child.ts", import.meta.url).href;
/** Loaded lazily by the runtime; a sandboxed child cannot import it later. */
const KINDS = new URL("../comms/kinds.ts", import.meta.url).href;
/** Milliseconds a child may take to exit after SIGTERM before it gets SIGKILL. */
const KILL_AFTER_MS = 2000;

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

class Channel implements SubprocessChannel {
  readonly #name: string;
  readonly #listener: WorkerListener;
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
    this.#books = new Relaunch(modules, this.#needsGraphs, this.#sandboxed);
    this.#exited = new Promise((resolve) => (this.#settleExited = resolve));
    if (this.#sandboxed) queueMicrotask(() => this.#launch());
    else this.#launch();
  }

  /** Runs travel together (`RUN_MANY`): a frame and a write each is what a child costs. */
  readonly batches = true;
  /** A child shares no memory with this program. */
  readonly sharesMemory = false;

  get alive(): boolean {
    return this.#alive;
  }

  get pid(): number | null {
    return this.#child?.process.pid ?? null;
  }

  get exited(): Promise<number> {
    return this.#exited;
  }

  post(message: ToWorker): void {
    if (!this.#alive) return;
    const bytes = encode(message);
    const books = this.#books;
    if (message[0] === INIT || message[0] === DEFINE) {
      if (books.record(message)) this.#relaunchWhenIdle();
      // While messages are held, the history reaches the next child on its own.
      else if (books.held === null) this.#send(message, bytes);
      return;
    }
    if (books.held !== null) {
      books.held.push([message, bytes]);
      return;
    }
    this.#send(message, bytes);
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
    this.#books.held = null;
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
      this.#books.held = null;
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
    if (message[0] === INIT) {
      const data = message[1];
      bytes = encode([INIT, { ...data, self: { ...data.self, pid: child.process.pid } }]);
    }
    child.send(bytes);
    this.#books.sent(message);
  }

  #relaunchWhenIdle(): void {
    // Before the first launch the microtask does it; a busy child finishes first.
    if (this.#child !== null && this.#books.due) this.#launch();
  }

  #launch(): void {
    const books = this.#books;
    if (!this.#alive || books.held === null) return;
    // A busy child finishes first: its answers relaunch it.
    const known = () => this.#child === null || books.running === 0 ? this.#launch() : undefined;
    if (!books.graphsKnown(known)) return;
    const held = books.takeHeld();
    const previous = this.#child;
    if (previous !== null) signalChild(previous, "SIGTERM");
    let child: Child;
    try {
      child = spawnWithDeathSignal((path) => this.#args(path), {
        message: (message) => {
          if (this.#child === child) this.#received(message);
        },
        violation: (reason) => {
          if (this.#child === child) this.#broke(reason);
        },
      });
    } catch (error) {
      this.#alive = false;
      this.#child = null;
      this.#settleWhenGone();
      this.#listener.ended({
        exitCode: null,
        error: {
          tag: "TaskError",
          name: error instanceof Error ? error.name : "Error",
          message: error instanceof Error ? error.message : String(error),
          isError: true,
        },
        reason: `failed to start: ${error instanceof Error ? error.message : String(error)}`,
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
      this.#books.held = null;
      this.#settleWhenGone();
      this.#listener.ended(this.#explain(end));
    });
    const tracked = gone.finally(() => {
      this.#pending.delete(tracked);
      exits.delete(tracked);
    });
    this.#pending.add(tracked);
    exits.add(tracked);
    for (const message of books.history) this.#send(message, encode(message));
    for (const [message, bytes] of held) this.#send(message, bytes);
  }

  #args(socket: string): string[] {
    const extra = socketFlags(socket);
    if (this.#needsGraphs) {
      const { files, hosts } = this.#books.grants();
      if (files.length > 0) extra.push(`--allow-read=${files.join(",")}`);
      if (hosts.length > 0) extra.push(`--allow-import=${hosts.join(",")}`);
    }
    const args = ["run", "--quiet", "--no-check", "--no-prompt", ...configFlags()];
    args.push(...withExtra(this.#flags, extra));
    if (this.#heap !== null) args.push(`--v8-flags=--max-old-space-size=${this.#heap}`);
    args.push(this.#sandboxed ? bootstrap() : ENTRY, this.#name);
    return args;
  }

  /** The child broke the protocol and was killed: its owner hears it as its end. */
  #broke(reason: string): void {
    if (!this.#alive) return;
    this.#alive = false;
    this.#books.held = null;
    this.#settleWhenGone();
    this.#listener.ended({ exitCode: null, error: null, reason: `broke the protocol: ${reason}` });
  }

  #received(message: FromWorker): void {
    if (!this.#books.received(message)) return;
    this.#listener.message(message);
    if (this.#books.held !== null) this.#relaunchWhenIdle();
  }

  /** Adds what only the owner's side knows: the heap limit, the modules it loads. */
  #explain(end: WorkerEnd): WorkerEnd {
    if (end.reason.startsWith("ran out of memory") && this.#heap !== null) {
      return { ...end, reason: `ran out of memory (maxHeapMB: ${this.#heap})` };
    }
    return end;
  }
}

function encode(message: ToWorker): Uint8Array {
  const refuse = ([, , , , items, spread, , encoded]: RunMessage): void => {
    if (encoded) refuseShared(items, spread);
  };
  if (message[0] === RUN) refuse(message);
  else if (message[0] === RUN_MANY) message[1].forEach(refuse);
  if (message[0] === INIT && (message[1].cancelBits !== null || message[1].busy !== null)) {
    // Shared memory cannot cross a process boundary: the child keeps its own bitmap.
    return serialize([INIT, { ...message[1], cancelBits: null, busy: null }]);
  }
  return serialize(message);
}

/** Encoded communication objects share memory: refused, naming the backend. */
function refuseShared(items: readonly unknown[], spread: boolean): void {
  for (const item of items) {
    for (const value of spread && Array.isArray(item) ? item : [item]) {
      const kind = (value as { __portable?: unknown } | null)?.__portable;
      if (typeof kind === "string" && kind !== "transfer") {
        throw new TypeError(
          `a '${kind}' shares memory with this program, which a process of the "subprocess" ` +
            `backend cannot: use the "worker" backend to pass communication objects`,
        );
      }
    }
  }
}

/** Starts a child, under `setpriv --pdeathsig KILL` where it can (see below). */
function spawnWithDeathSignal(
  args: (socket: string) => string[],
  events: Parameters<typeof spawnChild>[2],
): Child {
  // setpriv sets the death signal and then execs deno: same pid, same exit status.
  return canSetDeathSignal()
    ? spawnChild(
      SETPRIV,
      (socket) => ["--pdeathsig", "KILL", "--", Deno.execPath(), ...args(socket)],
      events,
    )
    : spawnChild(Deno.execPath(), args, events);
}

/**
 * `flags` plus `extra` (what the child needs to reach its socket, the code files a
 * sandbox may read), unless they grant it already. A list is extended rather than
 * overridden: a second `--allow-read=` would replace the first.
 */
function withExtra(flags: readonly string[], extra: readonly string[]): string[] {
  if (flags.includes("--allow-all")) return [...flags];
  const needed = new Map<string, string>();
  for (const flag of extra) {
    const at = flag.indexOf("=");
    const name = flag.slice(0, at);
    const before = needed.get(name);
    needed.set(name, before === undefined ? flag : `${before},${flag.slice(at + 1)}`);
  }
  const out: string[] = [];
  for (const flag of flags) {
    const at = flag.indexOf("=");
    const name = at < 0 ? flag : flag.slice(0, at);
    const add = needed.get(name);
    needed.delete(name);
    if (add === undefined || at < 0) out.push(flag);
    else out.push(`${flag},${add.slice(add.indexOf("=") + 1)}`);
  }
  for (const flag of needed.values()) out.push(flag);
  return out;
}

function signalChild(child: Child, signal: Deno.Signal): void {
  child.stopped = true;
  try {
    child.process.kill(signal);
  } catch {
    return; // already exited
  }
  if (signal === "SIGTERM" && child.killTimer === undefined) {
    child.killTimer = setTimeout(() => {
      try {
        child.process.kill("SIGKILL");
      } catch {
        // exited meanwhile
      }
    }, KILL_AFTER_MS);
  }
}

const SETPRIV = "/usr/bin/setpriv";
let deathSignal: boolean | null = null;

/**
 * Whether children can be started under `setpriv --pdeathsig KILL` (Linux util-linux):
 * the kernel then kills a child the moment this process dies, even by SIGKILL and even
 * while the child is busy in synchronous code, where its own watch of stdin and of its
 * parent pid cannot run.
 */
function canSetDeathSignal(): boolean {
  if (deathSignal !== null) return deathSignal;
  deathSignal = false;
  if (Deno.build.os !== "linux") return deathSignal;
  try {
    const run = Deno.permissions.querySync({ name: "run", command: SETPRIV }).state;
    deathSignal = run === "granted" && Deno.statSync(SETPRIV).isFile;
  } catch {
    deathSignal = false;
  }
  return deathSignal;
}

/** The generated module a sandboxed child starts from: the library's own modules only. */
function bootstrap(): string {
  const lines = [ENTRY, KINDS].map((url) => `import ${JSON.stringify(url)};`);
  return `data:text/javascript,${encodeURIComponent(lines.join("\n"))}`;
}

const NAMES = ["read", "write", "net", "env", "run", "ffi", "sys", "import"] as const;
let inherited: readonly string[] | undefined;

/** The `--allow-*` flags for `permissions`. */
function permissionFlags(permissions: Permissions): readonly string[] {
  if (permissions === "inherit") return inherited ??= inheritedFlags();
  if (permissions === "none") return [];
  const flags: string[] = [];
  for (const name of NAMES) {
    const value = permissions[name];
    if (value === true) flags.push(`--allow-${name}`);
    else if (Array.isArray(value) && value.length > 0) {
      flags.push(`--allow-${name}=${value.join(",")}`);
    }
  }
  return flags;
}

/**
 * This program's own permissions as flags: each one granted in full, and for those
 * granted only in part, the lists given on this program's command line (read from
 * `/proc/self/cmdline` where that can be read without a prompt).
 */
function inheritedFlags(): readonly string[] {
  const flags: string[] = [];
  const partial: string[] = [];
  for (const name of NAMES) {
    if (Deno.permissions.querySync({ name }).state === "granted") flags.push(`--allow-${name}`);
    else partial.push(name);
  }
  if (partial.length === 0) return ["--allow-all"];
  for (const word of denoWords() ?? []) {
    const match = /^--allow-([a-z]+)=(.+)$/.exec(word);
    if (match !== null && partial.includes(match[1]!)) flags.push(word);
  }
  return flags;
}
