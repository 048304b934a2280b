/**
 * Multiprocessing for Deno: Python's `multiprocessing` vocabulary (`Process`, `Pool`
 * with `map`/`starmap`/`apply`/`imap`, `currentProcess()`) over Deno Web Workers, with
 * two faces: Promises here (`await using pool = await Pool.open()`) and Effect in
 * `@multiprocessing/deno/effect` (`yield* Pool.make()`, typed errors, scoped workers,
 * interruption), which exports everything this module does. This module loads no
 * Effect, so neither does a worker whose task module imports it.
 *
 * Functions cross into workers by reference: export them from their module.
 *
 * @example Squares on every core
 * ```ts
 * import { inline, Pool } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * // Exported functions are found by reference; a doc example can only send inline ones.
 * const square = inline((x: number) => x * x);
 *
 * await using pool = await Pool.open({ processes: 2 });
 * assert.deepEqual(await pool.map(square, [1, 2, 3, 4, 5]), [1, 4, 9, 16, 25]);
 * ```
 *
 * @module
 */
export { Pool } from "./lib/pool.ts";
export type {
  ArgOf,
  ResultOf,
  Sendable,
  SendableArgs,
  TaskFunction,
  Unwrapped,
} from "./lib/types.ts";
export type {
  ApplyOptions,
  FaultOptions,
  LazyMapOptions,
  MapOptions,
  PoolOptions,
} from "./lib/pool_options.ts";
export type { ClusterOptions } from "./lib/cluster/options.ts";
export type { PoolStats } from "./lib/engine.ts";
export type { DurationSummary } from "./lib/engine_stats.ts";
export type { Settled, SettledAt } from "./lib/jobs.ts";
export { AsyncResult, type AsyncResultCallbacks } from "./lib/async_result.ts";
export {
  activeChildren,
  cpuCount,
  Process,
  type ProcessError,
  type ProcessOptions,
} from "./lib/process.ts";
export { currentProcess, parentProcess, type ProcessInfo } from "./lib/shared/identity.ts";
export { cancelled, taskSignal } from "./lib/shared/task_context.ts";
export { Transfer, transfer } from "./lib/comms/transfer.ts";
export type { EncodedPortable, Portable } from "./lib/comms/wire.ts";
export type { Permissions, PermissionSet, PermissionValue } from "./lib/permissions.ts";
export { fromModule, inline, task } from "./lib/task.ts";
export {
  type CallError,
  MultiprocessingError,
  type OpenError,
  PoolClosed,
  type PoolError,
  SerializationError,
  type SettledCallError,
  TaskCancelled,
  TaskError,
  TaskNotFound,
  TaskTimeout,
  WaitTimeout,
  WorkerCrashed,
} from "./lib/errors.ts";
export type {
  PoolClosedFields,
  SerializationErrorFields,
  TaskCancelledFields,
  TaskErrorFields,
  TaskNotFoundFields,
  TaskTimeoutFields,
  WaitTimeoutFields,
  WorkerCrashedFields,
} from "./lib/errors.ts";
export {
  JoinableQueue,
  Queue,
  type QueueOptions,
  type QueueWaitOptions,
} from "./lib/comms/queue.ts";
export { Connection, Pipe, type RecvOptions } from "./lib/comms/pipe.ts";
export { type SharedOptions, Value } from "./lib/comms/value.ts";
export { Array, SharedArray } from "./lib/comms/shared_array.ts";
export { Lock, RLock } from "./lib/comms/lock.ts";
export { BoundedSemaphore, Semaphore } from "./lib/comms/semaphore.ts";
export { Event } from "./lib/comms/event.ts";
export { Condition } from "./lib/comms/condition.ts";
export { Barrier, type BarrierOptions } from "./lib/comms/barrier.ts";
export type {
  AcquireAsyncOptions,
  BlockingOptions,
  WaitOptions,
} from "./lib/comms/wait_options.ts";
export type { ArrayOf, ElementType, ShareableType, TypeCode } from "./lib/comms/element_types.ts";
export {
  BrokenBarrierError,
  BrokenPipeError,
  Empty,
  EOFError,
  Full,
  HandleClosed,
  IpcError,
} from "./lib/comms/errors.ts";
export {
  ALL_COMPLETED,
  asCompleted,
  type AsCompletedOptions,
  type Completed,
  type DoneAndNotDone,
  FIRST_COMPLETED,
  FIRST_EXCEPTION,
  type FuturesWaitOptions,
  type ReturnWhen,
  wait,
} from "./lib/futures.ts";
export type { MapZipOptions, ZipInputs } from "./lib/map_zip.ts";
export { SimpleQueue } from "./lib/comms/simple_queue.ts";
export {
  type Context,
  type ContextPool,
  type ContextProcessClass,
  getAllStartMethods,
  getContext,
  type StartMethod,
} from "./lib/context.ts";
export { Manager } from "./lib/manager/manager.ts";
export {
  type DictKey,
  DictProxy,
  ListProxy,
  NamespaceProxy,
  ValueProxy,
} from "./lib/comms/manager_proxies.ts";
export { ManagerClosed } from "./lib/comms/manager_channel.ts";
export { type ErrorClass, registerError } from "./lib/error_registry.ts";
export * as connection from "./lib/connection_wait.ts";
export type { ProcessBaseOptions } from "./lib/process.ts";
