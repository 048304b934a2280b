/**
 * The light entry point for task modules: what code running inside a worker may ask,
 * without loading the Effect runtime into every worker. Import it as
 * `@multiprocessing/deno/worker` from modules whose functions run in a pool.
 *
 * @example Naming the worker a task ran in
 * ```ts
 * import { currentProcess } from "./api.ts";
 * import assert from "node:assert/strict";
 *
 * export function whoAmI(): string {
 *   return currentProcess().name;
 * }
 * assert.equal(whoAmI(), "MainProcess");
 * ```
 *
 * @module
 */
export { currentProcess, parentProcess, type ProcessInfo } from "./identity.ts";
export { cancelled, taskSignal } from "./task_context.ts";
export { Transfer, transfer } from "./transfer.ts";
export { JoinableQueue, Queue } from "./ipc/queue.ts";
export { Connection, Pipe } from "./ipc/pipe.ts";
export { Value } from "./ipc/value.ts";
export { Array, SharedArray } from "./ipc/shared_array.ts";
export { Lock, RLock } from "./ipc/lock.ts";
export { BoundedSemaphore, Semaphore } from "./ipc/semaphore.ts";
export { Event } from "./ipc/event.ts";
export { Condition } from "./ipc/condition.ts";
export { Barrier } from "./ipc/barrier.ts";
export {
  BrokenBarrierError,
  BrokenPipeError,
  Empty,
  EOFError,
  Full,
  HandleClosed,
  IpcError,
} from "./ipc/errors.ts";
export { SimpleQueue } from "./ipc/simple_queue.ts";
export {
  type DictKey,
  DictProxy,
  ListProxy,
  NamespaceProxy,
  ValueProxy,
} from "./ipc/manager_proxies.ts";
export { ManagerClosed } from "./ipc/manager_channel.ts";
