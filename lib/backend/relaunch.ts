/**
 * What every backend needs to restart a process behind one endpoint: a sandboxed
 * process's permissions are fixed when it starts, so a task module first seen later
 * (a pool's next function) needs a new process that may load it. Until then, messages
 * are held; the new process receives `INIT` and every `DEFINE` again, then what was
 * held. Its owner sees one process throughout (a second READY is not passed on).
 *
 * Both backends keep their books here: the modules asked for, their code graphs (the
 * files and hosts a sandbox must be granted: `sandbox_graph.ts`), the history to
 * replay, the messages held, and how many runs the current process has not answered.
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
  const ref = message[0] === INIT
    ? message[1].initializer
    : message[0] === DEFINE
    ? message[2]
    : null;
  return ref?.kind === "export" ? ref.module : null;
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
  running = 0;
  readonly #graphs = new Map<string, CodeGraph>();
  readonly #needsGraphs: boolean;
  readonly #restarts: boolean;
  #learning = false;
  #readySent = false;

  /**
   * @param modules Task modules known from the start.
   * @param needsGraphs Whether the process must be granted its modules' code graphs
   *   (a sandbox that may not read every file).
   * @param restarts Whether a new module needs a new process (a sandbox); a process
   *   that may load anything keeps running.
   */
  constructor(modules: Iterable<string>, needsGraphs: boolean, restarts = true) {
    this.modules = new Set(modules);
    this.#needsGraphs = needsGraphs;
    this.#restarts = restarts;
  }

  /**
   * Records `INIT` or `DEFINE` for replay. True when it names a module the current
   * process cannot load: messages are held from now on, for a new process.
   */
  record(message: ToWorker): boolean {
    if (message[0] === INIT) this.history.length = 0;
    this.history.push(message);
    const module = moduleOf(message);
    if (!this.#restarts || module === null || this.modules.has(module)) return false;
    this.modules.add(module);
    this.held ??= [];
    return true;
  }

  /** Counts the runs in a message sent to the current process. */
  sent(message: ToWorker): void {
    if (message[0] === RUN) this.running++;
    else if (message[0] === RUN_MANY) this.running += message[1].length;
  }

  /**
   * Counts the answers in a message from the current process. False for a READY its
   * owner heard already, from a restarted process: not to be passed on.
   */
  received(message: FromWorker): boolean {
    switch (message[0]) {
      case READY:
        if (this.#readySent) return false;
        this.#readySent = true;
        return true;
      case DONE:
      case FAILED:
      case CANCELLED:
        this.running = Math.max(0, this.running - 1);
        return true;
      case DONE_MANY:
        this.running = Math.max(0, this.running - message[1].length);
        return true;
      default:
        return true;
    }
  }

  /** Whether a new process may start now: messages are held, the current one is idle. */
  get due(): boolean {
    return this.held !== null && this.running === 0;
  }

  /** Takes the held messages for a new process; from now on messages go straight to it. */
  takeHeld(): H[] {
    const held = this.held ?? [];
    this.held = null;
    this.running = 0;
    return held;
  }

  /**
   * Whether every module's code graph is known. If not, learns the missing ones and
   * calls `known` once they are (the caller then tries its launch again).
   */
  graphsKnown(known: () => void): boolean {
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
}
