/**
 * What every backend needs to restart a process behind one endpoint: a sandboxed
 * process's permissions are fixed when it starts, so a task module first seen later
 * (a pool's next function) needs a new process that may load it. Until then, messages
 * are held; the new process receives `INIT` and every `DEFINE` again, then what was
 * held. Its owner sees one process throughout (a second READY is not passed on).
 *
 * Both backends keep their books here and let them decide: where each posted message
 * goes (`route`), when a new process starts (`launch`, once the code graphs a sandbox
 * must be granted are known: `sandbox_graph.ts`, and once the current process answered
 * what it was given), and which answers reach the owner (`answered`). The backend only
 * starts a process when told to (`Launcher.start`).
 *
 * @module
 */
import {
  CANCELLED,
  DEFINE,
  DONE,
  DONE_MANY,
  FAILED,
  type FromWorker,
  INIT,
  READY,
  RUN,
  RUN_MANY,
  type ToWorker,
} from "../shared/protocol.ts";
import { codeFiles, type CodeGraph } from "./sandbox_graph.ts";

/** The module a message asks the process to load, if any. */
function moduleOf(message: ToWorker): string | null {
  const [kind, detail] = message;
  const ref = kind === INIT ? detail.initializer : kind === DEFINE ? message[2] : null;
  return ref?.kind === "export" ? ref.module : null;
}

/** The backend's side of the books: it starts processes when told to. */
export interface Launcher<H> {
  /** False once the endpoint was stopped or its process ended. */
  readonly alive: boolean;
  /** Whether a process was started (a first launch may still be waiting). */
  readonly started: boolean;
  /**
   * Starts a new process in place of the current one, if any: it gets the books'
   * `history`, then `held`, in order.
   */
  start(held: H[]): void;
}

/** The books of a restartable process; `H` is how a held message is kept. */
export class Relaunch<H> {
  /** Task modules the next process may load. */
  readonly modules: Set<string>;
  /** `INIT` and every `DEFINE`, sent again to a restarted process. */
  readonly history: ToWorker[] = [];
  /** Messages waiting for the next process; null while a process takes them. */
  held: H[] | null = [];
  /** Runs posted to the current process and not answered yet. */
  #running = 0;
  readonly #launcher: Launcher<H>;
  readonly #graphs = new Map<string, CodeGraph>();
  readonly #needsGraphs: boolean;
  readonly #restarts: boolean;
  #learning = false;
  #readySent = false;

  /**
   * @param launcher Starts the processes.
   * @param modules Task modules known from the start.
   * @param needsGraphs Whether the process must be granted its modules' code graphs
   *   (a sandbox that may not read every file).
   * @param restarts Whether a new module needs a new process (a sandbox); a process
   *   that may load anything keeps running.
   */
  constructor(
    launcher: Launcher<H>,
    modules: Iterable<string>,
    needsGraphs: boolean,
    restarts = true,
  ) {
    this.#launcher = launcher;
    this.modules = new Set(modules);
    this.#needsGraphs = needsGraphs;
    this.#restarts = restarts;
  }

  /**
   * Where a message the owner posts goes: true when it is for the current process now
   * (send it, then call `sent`); false when it was recorded or held for the next one
   * (`hold` makes what is kept of it).
   */
  route(message: ToWorker, hold: () => H): boolean {
    if (message[0] === INIT || message[0] === DEFINE) {
      if (this.#record(message)) {
        this.#launchWhenIdle();
        return false;
      }
      // While messages are held, the history reaches the next process on its own.
      return this.held === null;
    }
    if (this.held !== null) {
      this.held.push(hold());
      return false;
    }
    return true;
  }

  /** Counts the runs in a message sent to the current process. */
  sent(message: ToWorker): void {
    if (message[0] === RUN) this.#running++;
    else if (message[0] === RUN_MANY) this.#running += message[1].length;
  }

  /**
   * Passes a message from the current process to `deliver`, unless it is a READY the
   * owner heard already (from a restarted process); then starts the next process if
   * one is waiting for this one to be idle.
   */
  answered(message: FromWorker, deliver: (message: FromWorker) => void): void {
    if (!this.#count(message)) return;
    deliver(message);
    if (this.held !== null) this.#launchWhenIdle();
  }

  /**
   * Starts a process with the messages held so far, once the code graphs it must be
   * granted are known and the current process (if any) has answered what it was given.
   */
  launch(): void {
    if (!this.#launcher.alive || this.held === null) return;
    // A busy process finishes first: its answers launch the next one.
    const known = () => !this.#launcher.started || this.#running === 0 ? this.launch() : undefined;
    if (!this.#graphsKnown(known)) return;
    // Taken before the old process stops: stopping it may start another launch at once.
    const held = this.held;
    this.held = null;
    this.#running = 0;
    this.#launcher.start(held);
  }

  /** Stops holding: nothing more goes to a next process (the endpoint stopped). */
  drop(): void {
    this.held = null;
  }

  /** The files and hosts to grant a new process: the union of its modules' graphs. */
  grants(): CodeGraph {
    const files = new Set<string>();
    const hosts = new Set<string>();
    for (const module of this.modules) {
      const graph = this.#graphs.get(module);
      for (const file of graph?.files ?? []) files.add(file);
      for (const host of graph?.hosts ?? []) hosts.add(host);
    }
    return { files: [...files], hosts: [...hosts] };
  }

  /**
   * Records `INIT` or `DEFINE` for replay. True when it names a module the current
   * process cannot load: messages are held from now on, for a new process.
   */
  #record(message: ToWorker): boolean {
    if (message[0] === INIT) this.history.length = 0;
    this.history.push(message);
    const module = moduleOf(message);
    if (!this.#restarts || module === null || this.modules.has(module)) return false;
    this.modules.add(module);
    this.held ??= [];
    return true;
  }

  /** Before the first launch the endpoint starts it; a busy process finishes first. */
  #launchWhenIdle(): void {
    if (this.#launcher.started && this.held !== null && this.#running === 0) this.launch();
  }

  /** Counts the answers in a message; false for a READY the owner heard already. */
  #count(message: FromWorker): boolean {
    switch (message[0]) {
      case READY:
        if (this.#readySent) return false;
        this.#readySent = true;
        return true;
      case DONE:
      case FAILED:
      case CANCELLED:
        this.#running = Math.max(0, this.#running - 1);
        return true;
      case DONE_MANY:
        this.#running = Math.max(0, this.#running - message[1].length);
        return true;
      default:
        return true;
    }
  }

  /**
   * Whether every module's code graph is known. If not, learns the missing ones and
   * calls `known` once they are (the caller then tries its launch again).
   */
  #graphsKnown(known: () => void): boolean {
    if (!this.#needsGraphs) return true;
    const unknown = [...this.modules].filter((module) => !this.#graphs.has(module));
    if (unknown.length === 0) return true;
    if (this.#learning) return false;
    this.#learning = true;
    const learnt = unknown.map((module) =>
      codeFiles(module).then((graph) => void this.#graphs.set(module, graph))
    );
    Promise.all(learnt).then(() => {
      this.#learning = false;
      known();
    });
    return false;
  }
}
