/**
 * Who this process is: `MainProcess` in the program Deno started, the name the parent
 * gave it inside a worker. Set once by the worker runtime before any task runs.
 *
 * @module
 */
import type { ProcessIdentity } from "./protocol.ts";

/** A process as `currentProcess()` and `parentProcess()` describe it. */
export interface ProcessInfo {
  /** `MainProcess`, `Process-1`, `PoolWorker-2`, or the name given at creation. */
  readonly name: string;
  /** The OS pid for the main program; a program-wide unique id for a worker. */
  readonly pid: number;
}

let self: ProcessInfo = Object.freeze({ name: "MainProcess", pid: Deno.pid });
let parent: ProcessInfo | null = null;

/** Called by the worker runtime only. */
export function setIdentity(me: ProcessIdentity, up: ProcessIdentity): void {
  self = Object.freeze({ name: me.name, pid: me.pid });
  parent = Object.freeze({ name: up.name, pid: up.pid });
}

/**
 * The process this code runs in, as Python's `multiprocessing.current_process()`.
 *
 * @returns `{ name, pid }`: `MainProcess` in the main program.
 *
 * @example In the main program
 * ```ts
 * import { currentProcess } from "./identity.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(currentProcess().name, "MainProcess");
 * assert.equal(currentProcess().pid, Deno.pid);
 * ```
 */
export function currentProcess(): ProcessInfo {
  return self;
}

/**
 * The process that started this one, as Python's `multiprocessing.parent_process()`.
 *
 * @returns `{ name, pid }` of the parent, or `null` in the main program.
 *
 * @example In the main program
 * ```ts
 * import { parentProcess } from "./identity.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(parentProcess(), null);
 * ```
 */
export function parentProcess(): ProcessInfo | null {
  return parent;
}
