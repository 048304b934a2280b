/**
 * The messages spoken between the main side and a worker runtime, shared by both sides.
 *
 * Messages are small labelled tuples: the first element is a numeric kind, so the hot
 * path allocates one array per chunk and nothing per item. This module imports nothing,
 * so the worker side stays light.
 *
 * @module
 */

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

/** An error as data: what survives the trip between isolates and rebuilds a class. */
export interface WireError {
  /** Which library error the receiving side rebuilds. */
  readonly tag: "TaskError" | "SerializationError" | "TaskNotFound";
  /** The remote error's `name` (`"RangeError"`), or the type of a thrown non-Error. */
  readonly name: string;
  readonly message: string;
  readonly stack?: string | undefined;
  readonly cause?: WireError | undefined;
  /** True when the task threw an `Error`; false when it threw another value. */
  readonly isError: boolean;
  /** The thrown value itself when it was not an `Error` (cloned when it can be). */
  readonly value?: unknown;
  /** Own `code` of the remote error (`"ENOENT"`), when it had one. */
  readonly code?: string | undefined;
  /**
   * The remote error's class: its constructor's name (`"ParseError"`), or
   * `"Deno.errors.NotFound"` for Deno's own. The main side rebuilds only built-in and
   * registered classes by it (`lib/error_registry.ts`).
   */
  readonly className?: string | undefined;
  /** The remote error's own enumerable fields that structured clone can copy. */
  readonly fields?: ReadonlyArray<readonly [key: string, value: unknown]> | undefined;
  /** An `AggregateError`'s `errors`. */
  readonly errors?: readonly WireError[] | undefined;
}

/**
 * Bounds of an error as data, kept by `toWireError` and checked on arrival
 * (`lib/protocol_check.ts`): what a worker sends is never trusted to be small.
 */
export const WIRE_ERROR_LIMITS = {
  /** Longest `message` or `stack`, in UTF-16 units: longer ones are cut. */
  text: 65536,
  /** Longest `name`, `className` or field key. */
  name: 256,
  /** Most own fields per error. */
  fields: 32,
  /** Most errors of an `AggregateError` kept. */
  errors: 64,
  /** Deepest `cause`/`errors` nesting kept. */
  depth: 16,
  /** Most errors in one tree (the error, its causes and aggregated errors). */
  nodes: 256,
} as const;

/** Keys never carried as fields: the error's own parts, and keys that reach prototypes. */
export const RESERVED_ERROR_KEYS: ReadonlySet<string> = new Set([
  "__proto__",
  "constructor",
  "prototype",
  "name",
  "message",
  "stack",
  "cause",
  "errors",
]);

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
 * `[RUN, chunkId, fnId, jobId, items, spread, settle, encoded, timed]`: call the
 * function on each item. With `spread`, each item is an argument list; otherwise it is
 * the single argument. With `settle`, every item runs and its error is reported;
 * otherwise the chunk stops at its first error. With `encoded`, some arguments are
 * communication objects to revive (`lib/comms/wire.ts`). With `timed`, the main
 * side runs a timeout on the chunk: the worker holds back no answer around it (see
 * `DONE_MANY`), so the main side always knows which chunk is running.
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
 * `[DONE, chunkId, results, errors]`: `results[i]` is item i's value; `errors` lists
 * `[index, error]` for items that failed (in fail-fast mode at most one, the last index
 * run), or is `null`.
 */
export type DoneMessage = readonly [
  kind: typeof DONE,
  chunkId: number,
  results: readonly unknown[],
  errors: ReadonlyArray<readonly [index: number, error: WireError]> | null,
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

/**
 * Turns anything thrown into data that survives structured clone: its class name, own
 * clonable fields, cause chain and aggregated errors, within `WIRE_ERROR_LIMITS`. Runs
 * in the worker on values task code made, so every read is guarded: a getter that
 * throws loses that part only.
 */
export function toWireError(thrown: unknown, tag: WireError["tag"] = "TaskError"): WireError {
  return wireOf(thrown, tag, 0, { nodes: 0 });
}

function wireOf(
  thrown: unknown,
  tag: WireError["tag"],
  depth: number,
  budget: { nodes: number },
): WireError {
  budget.nodes++;
  if (!(thrown instanceof Error)) {
    return {
      tag,
      name: thrown === null ? "null" : typeof thrown,
      message: cut(describeThrown(thrown), WIRE_ERROR_LIMITS.text),
      isError: false,
      value: cloneOrDescribe(thrown),
    };
  }
  const name = cut(String(read(thrown, "name") ?? "Error"), WIRE_ERROR_LIMITS.name);
  const message = cut(String(read(thrown, "message") ?? ""), WIRE_ERROR_LIMITS.text);
  const stack = read(thrown, "stack");
  const code = read(thrown, "code");
  const cause = read(thrown, "cause");
  const deeper = depth + 1 < WIRE_ERROR_LIMITS.depth;
  const wire: {
    -readonly [K in keyof WireError]: WireError[K];
  } = {
    tag,
    name,
    message,
    stack: typeof stack === "string" ? cut(stack, WIRE_ERROR_LIMITS.text) : undefined,
    cause: cause !== undefined && deeper && budget.nodes < WIRE_ERROR_LIMITS.nodes
      ? wireOf(cause, "TaskError", depth + 1, budget)
      : undefined,
    isError: true,
    code: typeof code === "string" ? code : undefined,
  };
  const className = classNameOf(thrown);
  if (className !== undefined) wire.className = className;
  const fields = fieldsOf(thrown);
  if (fields.length > 0) wire.fields = fields;
  const errors = read(thrown, "errors");
  if (thrown instanceof AggregateError && Array.isArray(errors) && deeper) {
    const wires: WireError[] = [];
    for (let i = 0; i < errors.length && i < WIRE_ERROR_LIMITS.errors; i++) {
      if (budget.nodes >= WIRE_ERROR_LIMITS.nodes) break;
      wires[wires.length] = wireOf(errors[i], "TaskError", depth + 1, budget);
    }
    wire.errors = wires;
  }
  return wire;
}

/** `value[key]`, or undefined when reading it throws (a hostile getter). */
function read(value: object, key: string): unknown {
  try {
    return (value as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

/** The constructor's name; Deno's own error classes as `Deno.errors.<Name>`. */
function classNameOf(error: Error): string | undefined {
  try {
    const ctor = Object.getPrototypeOf(error)?.constructor;
    if (typeof ctor !== "function" || typeof ctor.name !== "string" || ctor.name === "") {
      return undefined;
    }
    const denoErrors = (globalThis as { Deno?: { errors?: Record<string, unknown> } }).Deno
      ?.errors;
    if (denoErrors !== undefined && Object.hasOwn(denoErrors, ctor.name)) {
      if (denoErrors[ctor.name] === ctor) return `Deno.errors.${ctor.name}`;
    }
    return cut(ctor.name, WIRE_ERROR_LIMITS.name);
  } catch {
    return undefined;
  }
}

/** Own enumerable fields whose values structured clone can copy; others are left out. */
function fieldsOf(error: Error): Array<readonly [string, unknown]> {
  const fields: Array<readonly [string, unknown]> = [];
  let keys: string[];
  try {
    keys = Object.keys(error);
  } catch {
    return fields;
  }
  for (let i = 0; i < keys.length && fields.length < WIRE_ERROR_LIMITS.fields; i++) {
    const key = keys[i]!;
    if (RESERVED_ERROR_KEYS.has(key) || key.length > WIRE_ERROR_LIMITS.name) continue;
    try {
      const value = (error as unknown as Record<string, unknown>)[key];
      structuredClone(value);
      fields[fields.length] = [key, value];
    } catch {
      // A function, a symbol, a class instance with private state: it cannot cross.
    }
  }
  return fields;
}

function cut(text: string, limit: number): string {
  return text.length > limit ? text.slice(0, limit) : text;
}

function describeThrown(value: unknown): string {
  if (typeof value === "string") return value;
  try {
    const json = JSON.stringify(value);
    if (json !== undefined) return json;
  } catch {
    // fall through to String()
  }
  try {
    return String(value);
  } catch {
    return "an unprintable value";
  }
}

function cloneOrDescribe(value: unknown): unknown {
  try {
    return structuredClone(value);
  } catch {
    return describeThrown(value);
  }
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
}

/** Builds a `RUN` from its named fields. */
export function runMessage(run: RunFields): RunMessage {
  return [
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
}

/** Builds an `INIT`. */
export function initMessage(data: InitData): InitMessage {
  return [INIT, data];
}

/** Builds a `DEFINE`: function `fnId` is `ref` from now on. */
export function defineMessage(fnId: number, ref: TaskRef): DefineMessage {
  return [DEFINE, fnId, ref];
}
