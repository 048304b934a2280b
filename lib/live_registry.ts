/**
 * Which pools and processes of this program are open, who opened them and where, and
 * how many workers or child processes each still has: the bookkeeping behind
 * `@multiprocessing/deno/testing` and behind the warning for pools left open.
 *
 * `Pool.open`, `Pool.make` and `Process.start` register here; nothing unregisters:
 * an owner is forgotten once it is neither open nor holding a live process (each owner
 * answers that itself), so closing, terminating or disposing needs no extra hook.
 *
 * @module
 */
import { loadLater } from "./load_later.ts";
import { type BackendName, traitsOf } from "./backend_traits.ts";
import { callerModule } from "./task.ts";

/**
 * The backends' own counts of what they started. They load with the first pool or
 * process (whose tracking loads them here too), not with `mod.ts`.
 */
interface Backends {
  readonly liveWorkers: () => number;
  readonly liveSubprocesses: () => number;
  readonly subprocessesExited: () => Promise<void>;
}
let backends: Backends | null = null;
let backendsLoading: Promise<Backends> | undefined;
function loadBackends(): Promise<Backends> {
  return backendsLoading ??= Promise.all([
    loadLater<typeof import("./backend/web_worker.ts")>(
      new URL("./backend/web_worker.ts", import.meta.url),
    ),
    loadLater<typeof import("./backend/subprocess.ts")>(
      new URL("./backend/subprocess.ts", import.meta.url),
    ),
  ]).then(([web, sub]) => {
    backends = {
      liveWorkers: web.liveWorkers,
      liveSubprocesses: sub.liveSubprocesses,
      subprocessesExited: sub.subprocessesExited,
    };
    return backends;
  });
}

/** Environment variable that turns the unclosed-pool warning off when set to `0`. */
const WARNING_ENV = "MULTIPROCESSING_UNCLOSED_WARNING";

/** What the registry asks of a pool's engine (structural: no import of engine.ts). */
export interface PoolProbe {
  /** Why new work is refused, or null while the pool is open. */
  closedError(): unknown;
  /** Its counters; `workers` is the processes it keeps now. */
  readonly stats: { readonly workers: number };
  /** Stops it now. */
  terminate(): void;
  /** Calls `drained` once its processes are gone (after `terminate`). */
  whenDrained(drained: () => void): void;
}

/** What the registry asks of a `Process` (structural: no import of process.ts). */
export interface ProcessProbe {
  readonly name: string;
  isAlive(): boolean;
  terminate(): void;
  join(): Promise<unknown>;
}

/** One pool or process the registry knows about. */
export interface Owner {
  /** `"Pool"` (opened by `Pool.open` or `Pool.make`) or `"Process"`. */
  readonly kind: "Pool" | "Process";
  /** How it was made: `"Pool.open"`, `"Pool.make"` or `"new Process"`. */
  readonly madeBy: "Pool.open" | "Pool.make" | ProcessStarter;
  /** The pool's name (its workers are `name-1`, `name-2`, ...) or the process's. */
  readonly name: string;
  /** What its processes are. */
  readonly backend: BackendName;
  /** Where it was made: `file:///path/main.ts:12:26`, the first frame outside lib/. */
  readonly openedAt: string;
  /** Whether it is still open (a pool not closed nor terminated; a process running). */
  open(): boolean;
  /** Its workers or child processes alive now. */
  workers(): number;
  /** Terminates it and resolves once its processes are gone. */
  stop(): Promise<void>;
}

interface Entry {
  readonly owner: Owner;
  /** Said once at most: when garbage-collected open, or at program end. */
  warned: boolean;
}

const entries = new Set<Entry>();
let sweepAt = 64;
let warningsOn = true;
let unloadHooked = false;

const LIB = new URL("./", import.meta.url).href;
const LOCATION = /((?:file|https?|jsr|npm|data|blob):[^\s()]*:\d+:\d+)\)?$/;

/** Frames enough to pass the library's own (at most five deep) and reach the caller's. */
const FRAMES = 8;

/**
 * Where the library was called from: the first stack frame outside lib/, as
 * `file:///path/main.ts:12:26`. Formatted now (about 50 µs): a stack kept unformatted
 * would hold its frames' functions and receivers, and so the user's objects, alive.
 */
export function callSite(): string {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = FRAMES;
  try {
    return siteOf(new Error().stack ?? "");
  } finally {
    Error.stackTraceLimit = limit;
  }
}

function siteOf(stack: string): string {
  // When every frame is in lib/ (a doc example), the outermost one is the caller's.
  let outermost: string | undefined;
  for (const line of stack.split("\n").slice(1)) {
    const location = LOCATION.exec(line.trim())?.[1];
    if (location === undefined) continue;
    if (!location.startsWith(LIB)) return location;
    outermost = location;
  }
  return outermost ?? "an unknown place";
}

/** Where `Pool.open` was called from, read from the stack before anything is awaited. */
export interface PoolCaller {
  /** The calling module's URL, where an `initializer` is looked up (when there is one). */
  readonly module: string | undefined;
  /** The calling line, for the warning about a pool left open. */
  readonly site: string;
}

/**
 * Reads where the library was called from: the line, and the module too when `options`
 * name an initializer (to look it up there). Call it before the first `await`: after one,
 * the stack may no longer hold the caller's frames.
 *
 * @example
 * ```ts
 * import { poolCaller } from "./live_registry.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(typeof poolCaller({}).site, "string");
 * assert.equal(poolCaller({}).module, undefined);
 * ```
 */
export function poolCaller(options: { readonly initializer?: unknown }): PoolCaller {
  // `options` is unchecked here: `Pool.open(null)` gets its message from the option checks.
  const module = options?.initializer === undefined ? undefined : callerModule();
  return { module, site: callSite() };
}

/**
 * Registers a pool's engine, made by `Pool.open` or `Pool.make` at `site`. For
 * `Pool.open`, pass the returned function the `Pool` handed to the user: once it is
 * garbage-collected while the pool is open, one warning names it.
 */
export function trackPool(
  engine: PoolProbe,
  settings: { readonly name: string; readonly backend: BackendName },
  madeBy: "Pool.open" | "Pool.make",
  site: string,
): <T extends object>(handle: T) => T {
  const entry = add({
    kind: "Pool",
    madeBy,
    name: settings.name,
    backend: settings.backend,
    openedAt: site,
    open: () => engine.closedError() === null,
    workers: () => engine.stats.workers,
    stop: () =>
      new Promise<void>((resolve) => {
        engine.terminate();
        engine.whenDrained(resolve);
      }),
  });
  return (handle) => {
    dropped.register(handle, entry);
    return handle;
  };
}

/** Which face started a process: the Promise face, or the Effect face in a Scope. */
export type ProcessStarter = "new Process" | "ProcessEffect.start";

/**
 * Registers a started `Process` made at `site`. A running process is listed by
 * `activeChildren()`, so it is never garbage-collected: only program end reports it.
 */
export function trackProcess(
  process: ProcessProbe,
  backend: BackendName,
  site: string,
  madeBy: ProcessStarter = "new Process",
): void {
  add({
    kind: "Process",
    madeBy,
    name: process.name,
    backend,
    openedAt: site,
    open: () => process.isAlive(),
    workers: () => (process.isAlive() ? 1 : 0),
    stop: async () => {
      process.terminate();
      await process.join().catch(() => {});
    },
  });
}

function add(owner: Owner): Entry {
  // Whoever tracks an owner has loaded the backends already: this only finds them.
  if (backends === null) void loadBackends();
  const entry = { owner, warned: false };
  entries.add(entry);
  if (entries.size >= sweepAt) {
    sweep();
    sweepAt = Math.max(64, entries.size * 2);
  }
  if (!unloadHooked && typeof globalThis.addEventListener === "function") {
    unloadHooked = true;
    globalThis.addEventListener("unload", warnAtExit);
  }
  return entry;
}

/** Forgets owners that are closed and hold no process. */
function sweep(): void {
  for (const entry of entries) {
    if (!entry.owner.open() && entry.owner.workers() === 0) entries.delete(entry);
  }
}

/** Owners that are open or still hold a live process, oldest first. */
export function liveEntries(): Owner[] {
  sweep();
  return [...entries].map((entry) => entry.owner);
}

/**
 * Workers and child processes alive in this program, whoever owns them. Exact once
 * `stopAll` ran (it finds the backends); 0 while no pool or process was ever opened.
 */
export function liveProcessCount(): number {
  if (backends === null) return 0;
  return backends.liveWorkers() + backends.liveSubprocesses();
}

/** Terminates `owners` and waits until their processes, and every child stopped before, are gone. */
export async function stopAll(owners: readonly Owner[]): Promise<void> {
  await Promise.all(owners.map((owner) => owner.stop()));
  await (await loadBackends()).subprocessesExited();
}

/** Turns the unclosed-pool warning on or off for this program. */
export function setWarnings(on: boolean): void {
  warningsOn = on;
}

function warningsEnabled(): boolean {
  if (!warningsOn) return false;
  // Read only when allowed, so that checking never prompts.
  const env = { name: "env", variable: WARNING_ENV } as const;
  if (Deno.permissions.querySync(env).state !== "granted") return true;
  return Deno.env.get(WARNING_ENV) !== "0";
}

const dropped = new FinalizationRegistry<Entry>((entry) => {
  if (entry.warned || !entry.owner.open() || !warningsEnabled()) return;
  entry.warned = true;
  console.warn(
    warning(entry.owner, "was garbage-collected while open (its workers keep running)"),
  );
});

function warnAtExit(): void {
  if (!warningsEnabled()) return;
  for (const entry of entries) {
    if (entry.warned || !entry.owner.open()) continue;
    entry.warned = true;
    const still = entry.owner.kind === "Pool" ? "open" : "running";
    console.warn(warning(entry.owner, `was still ${still} when the program ended`));
  }
}

/** One line naming the owner, where it was made, and what to do. */
function warning(owner: Owner, what: string): string {
  const unclosed = owner.kind === "Pool" ? "unclosed " : "";
  return `ResourceWarning: ${unclosed}${describe(owner)} ${what}: ${advice(owner)}`;
}

/**
 * The owner, where it was made, and what closes it: `Pool 'PoolWorker' (2 workers,
 * made by Pool.open at file:///main.ts:5:26): call close() then join(), ...`.
 */
export function explain(owner: Owner): string {
  return `${describe(owner)}: ${advice(owner)}`;
}

function describe(owner: Owner): string {
  const count = owner.workers();
  const [one, many] = traitsOf(owner.backend).noun;
  const processes = `${count} ${count === 1 ? one : many}`;
  return `${owner.kind} '${owner.name}' (${processes}, made by ${owner.madeBy} at ${owner.openedAt})`;
}

/** What closes it, in the words of the face that made it. */
function advice(owner: Owner): string {
  if (owner.madeBy === "Pool.make") return "close the Scope (or Layer) it was made in";
  if (owner.madeBy === "ProcessEffect.start") return "close the Scope it was started in";
  if (owner.kind === "Process") {
    return owner.open()
      ? "join() it, terminate() it, or start it with 'await using'"
      : "await its join(): its child process is still exiting";
  }
  return owner.open()
    ? "call close() then join(), or terminate(), or open it with 'await using'"
    : "await its join() (or terminate()): its workers are still running";
}
