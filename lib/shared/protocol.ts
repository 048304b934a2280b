/**
 * The messages spoken between the main side and a worker runtime, shared by both sides.
 *
 * Messages are small labelled tuples: the first element is a numeric kind, so the hot
 * path allocates one array per chunk and nothing per item. This module imports only the
 * errors-as-data and tracing-as-data types (`wire_error.ts`, `tracing_wire.ts`), so the
 * worker side stays light.
 *
 * @module
 */
import type { WireSpan } from "./tracing_wire.ts";
import type { WireError } from "./wire_error.ts";

/** How a function is found again inside a worker. */
export type TaskRef =
  | {
    readonly kind: "export";
    /** URL of the module that exports the function. */
    readonly module: string;
    /** Name of the export. */
    readonly export: string;
    /** The function's source text, checked by the worker so a wrong match cannot run. */
    readonly source: string;
  }
  | {
    readonly kind: "inline";
    /** The function's name, for messages. */
    readonly name: string;
    /** The source text of a self-contained function, compiled in the worker. */
    readonly source: string;
  };

/** Identity of a process as seen from inside it. */
export interface ProcessIdentity {
  readonly name: string;
  readonly pid: number;
}

/** Everything a new worker needs before it runs a task. */
export interface InitData {
  readonly self: ProcessIdentity;
  readonly parent: ProcessIdentity;
  /** Bitmap of cancelled job ids, shared with the main side (see `isCancelled`). */
  readonly cancelBits: SharedArrayBuffer | null;
  /** Two Int32 cells shared with the main side: see `BUSY_CELL` and `DROPPED_CELL`. */
  readonly busy: SharedArrayBuffer | null;
  readonly initializer: TaskRef | null;
  readonly initargs: readonly unknown[];
  /** Some `initargs` are communication objects to revive (`lib/comms/wire.ts`). */
  readonly encoded: boolean;
}

// Main -> worker
export const INIT = 0;
export const DEFINE = 1;
export const RUN = 2;

/** `[INIT, data]`: the first message a worker receives. */
export type InitMessage = readonly [kind: typeof INIT, data: InitData];
/** `[DEFINE, fnId, ref]`: sent once per worker before the first chunk using `fnId`. */
export type DefineMessage = readonly [kind: typeof DEFINE, fnId: number, ref: TaskRef];
export const CANCEL = 3;

/**
 * `[RUN, chunkId, fnId, jobId, items, spread, settle, encoded, timed, trace?]`: call the
 * function on each item. With `spread`, each item is an argument list; otherwise it is
 * the single argument. With `settle`, every item runs and its error is reported;
 * otherwise the chunk stops at its first error. With `encoded`, some arguments are
 * communication objects to revive (`lib/comms/wire.ts`). With `timed`, the main
 * side runs a timeout on the chunk: the worker holds back no answer around it (see
 * `DONE_MANY`), so the main side always knows which chunk is running. With `trace`
 * (only when the caller's tracer traces the call), the chunk's span, as one string
 * (`encodeTraceParent`): the spans an Effect-native task makes nest under it and come
 * back with the answer (see `DONE`).
 */
export type RunMessage = readonly [
  kind: typeof RUN,
  chunkId: number,
  fnId: number,
  jobId: number,
  items: unknown[],
  spread: boolean,
  settle: boolean,
  encoded: boolean,
  timed: boolean,
  trace?: string,
];
/** `[CANCEL, jobId]`: aborts the `taskSignal()` of the job's running async task. */
export type CancelMessage = readonly [kind: typeof CANCEL, jobId: number];
export const RUN_MANY = 4;
/**
 * `[RUN_MANY, runs]`: several `RUN`s in one message, handled as if sent one by one.
 * Many small queued calls then cost one message, not one each.
 */
export type RunManyMessage = readonly [kind: typeof RUN_MANY, runs: readonly RunMessage[]];
/** Any message the main side sends to a worker. */
export type ToWorker = InitMessage | DefineMessage | RunMessage | CancelMessage | RunManyMessage;

// Worker -> main
export const READY = 0;
export const INIT_FAILED = 1;
export const DONE = 2;
export const FAILED = 3;
export const CANCELLED = 4;
export const EXITING = 5;
export const CRASHED = 6;
export const DONE_MANY = 7;

/** `[READY]`: initialization (and the initializer) finished. */
export type ReadyMessage = readonly [kind: typeof READY];
/** `[INIT_FAILED, error]`: the initializer threw or could not be found. */
export type InitFailedMessage = readonly [kind: typeof INIT_FAILED, error: WireError];
/**
 * `[DONE, chunkId, results, errors, spans?]`: `results[i]` is item i's value; `errors`
 * lists `[index, error]` for items that failed (in fail-fast mode at most one, the last
 * index run), or is `null`. `spans`, only for a chunk whose `RUN` had a trace and whose
 * Effect-native task made spans: those spans, ended, within `SPAN_LIMITS`.
 */
export type DoneMessage = readonly [
  kind: typeof DONE,
  chunkId: number,
  results: readonly unknown[],
  errors: ReadonlyArray<readonly [index: number, error: WireError]> | null,
  spans?: readonly WireSpan[],
];
/**
 * `[DONE_MANY, answers]`: several `DONE`s in one message, in the order the chunks ran.
 * A worker running a burst of quick chunks holds their answers back briefly and sends
 * them together: one message back instead of one per chunk.
 */
export type DoneManyMessage = readonly [kind: typeof DONE_MANY, answers: readonly DoneMessage[]];
/** `[FAILED, chunkId, error]`: the whole chunk failed (its function could not be found). */
export type FailedMessage = readonly [kind: typeof FAILED, chunkId: number, error: WireError];
/** `[CANCELLED, chunkId]`: the worker saw its job's cancel bit and stopped. */
export type CancelledMessage = readonly [kind: typeof CANCELLED, chunkId: number];
/** `[EXITING, code]`: the worker is ending itself (`Deno.exit`, `self.close`). */
export type ExitingMessage = readonly [kind: typeof EXITING, code: number];
/** `[CRASHED, error]`: an uncaught error outside any task; the worker closes itself. */
export type CrashedMessage = readonly [kind: typeof CRASHED, error: WireError];
/** Any message a worker sends to the main side. */
export type FromWorker =
  | ReadyMessage
  | InitFailedMessage
  | DoneMessage
  | DoneManyMessage
  | FailedMessage
  | CancelledMessage
  | ExitingMessage
  | CrashedMessage;

/** Cell the runtime sets to 1 while a task runs synchronously, 0 otherwise. */
export const BUSY_CELL = 0;
/** Cell the main side sets to 1 when it drops the worker: start nothing more. */
export const DROPPED_CELL = 1;

/** Number of job ids the cancel bitmap distinguishes; ids are taken modulo this. */
export const CANCEL_SLOTS = 65536;

/** Reads whether `jobId`'s cancel bit is set. */
export function isCancelled(bits: Int32Array, jobId: number): boolean {
  const slot = jobId % CANCEL_SLOTS;
  return (Atomics.load(bits, slot >>> 5) & (1 << (slot & 31))) !== 0;
}

/** Sets (`on`) or clears `jobId`'s cancel bit. */
export function setCancelled(bits: Int32Array, jobId: number, on: boolean): void {
  const slot = jobId % CANCEL_SLOTS;
  const mask = 1 << (slot & 31);
  if (on) Atomics.or(bits, slot >>> 5, mask);
  else Atomics.and(bits, slot >>> 5, ~mask);
}

/** The fields of a `RUN`, by name: see `RunMessage`. */
export interface RunFields {
  readonly chunkId: number;
  readonly fnId: number;
  readonly jobId: number;
  readonly items: unknown[];
  readonly spread: boolean;
  readonly settle: boolean;
  readonly encoded: boolean;
  readonly timed: boolean;
  /** The chunk's span, when its call is traced (`encodeTraceParent`). */
  readonly trace?: string | undefined;
}

/** Builds a `RUN` from its named fields. */
export function runMessage(run: RunFields): RunMessage {
  const message: Mutable<RunMessage> = [
    RUN,
    run.chunkId,
    run.fnId,
    run.jobId,
    run.items,
    run.spread,
    run.settle,
    run.encoded,
    run.timed,
  ];
  // Appended only when traced: an untraced RUN stays nine elements, as cheap to clone as before.
  if (run.trace !== undefined) message[9] = run.trace;
  return message;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Builds an `INIT`. */
export function initMessage(data: InitData): InitMessage {
  return [INIT, data];
}

/** Builds a `DEFINE`: function `fnId` is `ref` from now on. */
export function defineMessage(fnId: number, ref: TaskRef): DefineMessage {
  return [DEFINE, fnId, ref];
}
