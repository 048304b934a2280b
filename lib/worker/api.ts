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
export { currentProcess, parentProcess, type ProcessInfo } from "../shared/identity.ts";
export { cancelled, taskSignal } from "../shared/task_context.ts";
export { Transfer, transfer } from "../comms/transfer.ts";
export { JoinableQueue, Queue } from "../comms/queue.ts";
export { Connection, Pipe } from "../comms/pipe.ts";
export { Value } from "../comms/value.ts";
export { Array, SharedArray } from "../comms/shared_array.ts";
export { Lock, RLock } from "../comms/lock.ts";
export { BoundedSemaphore, Semaphore } from "../comms/semaphore.ts";
export { Event } from "../comms/event.ts";
export { Condition } from "../comms/condition.ts";
export { Barrier } from "../comms/barrier.ts";
export {
  BrokenBarrierError,
  BrokenPipeError,
  Empty,
  EOFError,
  Full,
  HandleClosed,
  IpcError,
} from "../comms/errors.ts";
export { SimpleQueue } from "../comms/simple_queue.ts";
export {
  type DictKey,
  DictProxy,
  ListProxy,
  NamespaceProxy,
  ValueProxy,
} from "../comms/manager_proxies.ts";
export { ManagerClosed } from "../comms/manager_channel.ts";
