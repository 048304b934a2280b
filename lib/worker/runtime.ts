/**
 * The task runner inside a worker: takes messages from the main side, runs chunks one
 * after another (an async task finishes before the next chunk starts), and answers each
 * chunk exactly once. Answers to a burst of quick chunks may leave together, as one
 * `DONE_MANY` message (see `Runtime.flush`).
 *
 * Tasks run in this isolate and may patch prototypes and globals, so the runtime reads
 * messages by index (no destructuring, which calls `Array.prototype[Symbol.iterator]`),
 * keeps its tables in arrays indexed by id rather than `Map`s, appends by index rather
 * than `push`, and calls through the functions captured in `intrinsics.ts`.
 *
 * @module
 */
import {
  BUSY_CELL,
  CANCEL,
  CANCEL_SLOTS,
  CANCELLED,
  DEFINE,
  DONE,
  DONE_MANY,
  type DoneMessage,
  DROPPED_CELL,
  FAILED,
  type FromWorker,
  INIT,
  INIT_FAILED,
  type InitData,
  isCancelled,
  READY,
  RUN,
  RUN_MANY,
  type RunMessage,
  type TaskRef,
  toWireError,
  type ToWorker,
  type WireError,
} from "../shared/protocol.ts";
import { apply, atomicsLoad, atomicsStore, clone, now } from "./intrinsics.ts";
import { setIdentity } from "../shared/identity.ts";
import { decodeItems } from "../comms/wire.ts";
import { abortTask, enterTask, setBeforeBlocking } from "../shared/task_context.ts";
import { unwrapTransfers } from "../comms/transfer.ts";
import { type AnyFunction, resolveTask, TaskNotFoundSignal } from "./resolve.ts";

type Post = (message: FromWorker, transfer?: Transferable[]) => void;
type ItemErrors = Array<readonly [number, WireError]>;

/**
 * A chunk this quick (ms, its function's last chunk) may run while answers wait. Held
 * answers cost the main side nothing, so only a chunk expected to end at once may delay
 * them: one slower than this flushes them first.
 */
const QUICK_CHUNK_MS = 0.2;
/** Answers are held at most this long (ms) before they leave. */
const HOLD_MS = 1;
/** At most this many answers leave in one message. */
const HOLD_MAX = 256;

/** The kinds of communication objects, loaded on first use. */
let kinds: Promise<unknown> | null = null;

/** One worker's runner; `post` sends a message to the main side. */
export class Runtime {
  readonly #send: Post;
  /** Whether answers may be held and sent together (`DONE_MANY`). */
  readonly #coalesce: boolean;
  /** Answers held back, oldest first, and when the oldest was held. */
  #held: DoneMessage[] = [];
  #heldSince = 0;
  /** How long each function's last synchronous chunk took (ms), by function id. */
  readonly #took: Array<number | undefined> = [];
  readonly #refs: Array<TaskRef | undefined> = [];
  readonly #functions: Array<AnyFunction | undefined> = [];
  /** Runs waiting, in order: `#queue[#queueHead]` is next. */
  #queue: RunMessage[] = [];
  #queueHead = 0;
  #cancelBits: Int32Array | null = null;
  /** Int32 [0] is 1 while a task runs synchronously: the main side reads it. */
  #syncFlag: Int32Array | null = null;
  #ready = false;
  #busy = false;

  /**
   * @param post Sends a message to the main side.
   * @param coalesce Whether answers may be held and sent together (`DONE_MANY`); both
   *   backends take them.
   */
  constructor(post: Post, coalesce = false) {
    this.#send = post;
    this.#coalesce = coalesce;
    // A task about to block (on a Lock, Event, Queue...) may be waiting for the main
    // side to act on an answer held here: send them first.
    if (coalesce) setBeforeBlocking(() => this.flush());
  }

  /**
   * Sends the answers held back, if any. Called before the worker waits, and by the
   * entry before the worker ends, so no finished chunk is reported late or lost.
   */
  flush(): void {
    const held = this.#held;
    if (held.length === 0) return;
    this.#held = [];
    if (held.length > 1) {
      try {
        this.#send([DONE_MANY, held]);
        return;
      } catch {
        // A result structured clone refuses: each answer on its own finds which.
      }
    }
    for (let i = 0; i < held.length; i++) {
      const answer = held[i]!;
      this.#answer(answer[1], answer[2] as unknown[], answer[3] as ItemErrors | null);
    }
  }

  /** Any other message leaves after the answers held before it. */
  #post(message: FromWorker, transfer?: Transferable[]): void {
    this.flush();
    this.#send(message, transfer);
  }

  /** Handles one message from the main side. */
  receive(message: ToWorker): void {
    switch (message[0]) {
      case INIT:
        void this.#init(message[1]);
        return;
      case DEFINE:
        this.#refs[message[1]] = message[2];
        return;
      case RUN:
        this.#queue[this.#queue.length] = message;
        this.#pump();
        return;
      case CANCEL:
        abortTask(message[1]);
        return;
      case RUN_MANY: {
        const runs = message[1];
        for (let i = 0; i < runs.length; i++) this.#queue[this.#queue.length] = runs[i]!;
        this.#pump();
        return;
      }
    }
  }

  async #init(data: InitData): Promise<void> {
    setIdentity(data.self, data.parent);
    this.#cancelBits = data.cancelBits ? new Int32Array(data.cancelBits) : null;
    this.#syncFlag = data.busy ? new Int32Array(data.busy) : null;
    if (data.initializer) {
      try {
        const initializer = await resolveTask(data.initializer);
        await initializer(...await this.#revived(data.initargs, data.encoded));
      } catch (error) {
        this.#post([INIT_FAILED, wireError(error, data.initializer)]);
        return;
      }
    }
    this.#ready = true;
    this.#post([READY]);
    this.#pump();
  }

  /** `args` with their communication objects revived (loading their kinds first). */
  async #revived(args: readonly unknown[], encoded: boolean): Promise<unknown[]> {
    if (!encoded) return [...args];
    await (kinds ??= import("../comms/kinds.ts"));
    const holder: unknown[] = [args];
    decodeItems(holder, true);
    return holder[0] as unknown[];
  }

  /** True once the main side dropped this worker: it must start nothing more. */
  #dropped(): boolean {
    return this.#syncFlag !== null && atomicsLoad(this.#syncFlag, DROPPED_CELL) === 1;
  }

  /** The next run waiting; the queue's storage is reset whenever it empties. */
  #take(): RunMessage {
    const next = this.#queue[this.#queueHead]!;
    this.#queue[this.#queueHead++] = undefined as unknown as RunMessage;
    if (this.#queueHead === this.#queue.length) {
      this.#queue = [];
      this.#queueHead = 0;
    }
    return next;
  }

  #pump(): void {
    while (this.#ready && !this.#busy && this.#queueHead < this.#queue.length && !this.#dropped()) {
      const next = this.#take();
      if (this.#held.length > 0 && !this.#mayHoldOver(next)) this.flush();
      const pending = this.#runChunk(next);
      if (pending) {
        this.#busy = true;
        this.flush();
        pending.then(() => {
          this.#busy = false;
          this.#pump();
        });
        return;
      }
    }
    // Idle (or dropped): nothing is held while the worker waits.
    this.flush();
  }

  /**
   * Whether held answers may wait while `next` runs: only when it is untimed (a timeout
   * must see the chunk that really runs), expected to be quick, and the answers are
   * recent and few.
   */
  #mayHoldOver(next: RunMessage): boolean {
    if (next[8] || this.#held.length >= HOLD_MAX) return false;
    if (now() - this.#heldSince > HOLD_MS) return false;
    const took = this.#took[next[2]];
    return took !== undefined && took < QUICK_CHUNK_MS;
  }

  /** Runs a chunk; returns a Promise only when it had to wait (import or async task). */
  #runChunk(message: RunMessage): Promise<void> | undefined {
    const chunkId = message[1], fnId = message[2], jobId = message[3], items = message[4];
    const spread = message[5], settle = message[6], timed = message[8];
    if (message[7]) return this.#reviveThenRun(message);
    const fn = this.#functions[fnId];
    if (fn === undefined) return this.#resolveThenRun(message);
    // Filled in order from empty so the array stays packed: structured clone copies a
    // holey array (\`new Array(n)\`) element by element as a sparse one, about 4x slower.
    const results: unknown[] = [];
    let errors: ItemErrors | null = null;
    const busy = this.#syncFlag;
    const bits = this.#cancelBits;
    // The job's cancel bit, read plainly per item (an Atomics call per item costs more
    // than a small task); the main side's write becomes visible within an item or two.
    const slot = jobId % CANCEL_SLOTS;
    const word = slot >>> 5;
    const mask = 1 << (slot & 31);
    enterTask(bits, jobId);
    const start = now();
    if (busy !== null) atomicsStore(busy, BUSY_CELL, 1);
    try {
      for (let i = 0; i < items.length; i++) {
        if (bits !== null && (bits[word]! & mask) !== 0) {
          this.#post([CANCELLED, chunkId]);
          return;
        }
        if (busy !== null && busy[DROPPED_CELL] === 1) return;
        let value: unknown;
        try {
          value = spread ? apply(fn, undefined, items[i] as unknown[]) : fn(items[i]);
        } catch (error) {
          errors ??= [];
          errors[errors.length] = [i, wireError(error, this.#refs[fnId])];
          results[i] = undefined;
          if (settle) continue;
          break;
        }
        if (isThenable(value)) {
          this.#took[fnId] = undefined;
          return this.#finishAsync(message, fn, results, errors, i, value);
        }
        results[i] = value;
      }
    } finally {
      // Waiting on an async task is not busy: a terminated worker stops there.
      if (busy !== null) atomicsStore(busy, BUSY_CELL, 0);
    }
    this.#took[fnId] = now() - start;
    this.#reply(chunkId, results, errors, timed);
  }

  async #finishAsync(
    message: RunMessage,
    fn: AnyFunction,
    results: unknown[],
    errorsSoFar: ItemErrors | null,
    start: number,
    first: PromiseLike<unknown>,
  ): Promise<void> {
    const chunkId = message[1], fnId = message[2], jobId = message[3], items = message[4];
    const spread = message[5], settle = message[6], timed = message[8];
    let errors = errorsSoFar;
    let pending: unknown = first;
    for (let i = start; i < items.length; i++) {
      if (i > start) {
        if (this.#cancelBits !== null && isCancelled(this.#cancelBits, jobId)) {
          this.#post([CANCELLED, chunkId]);
          return;
        }
        if (this.#dropped()) return;
      }
      try {
        const value = i === start ? pending : this.#call(fn, items[i], spread);
        results[i] = await value;
      } catch (error) {
        errors ??= [];
        errors[errors.length] = [i, wireError(error, this.#refs[fnId])];
        if (!settle) break;
      }
      pending = undefined;
    }
    this.#reply(chunkId, results, errors, timed);
  }

  #call(fn: AnyFunction, item: unknown, spread: boolean): unknown {
    const busy = this.#syncFlag;
    if (busy !== null) atomicsStore(busy, BUSY_CELL, 1);
    try {
      return spread ? apply(fn, undefined, item as unknown[]) : fn(item);
    } finally {
      if (busy !== null) atomicsStore(busy, BUSY_CELL, 0);
    }
  }

  /**
   * Revives the communication objects among a chunk's arguments, loading their kinds
   * the first time: most workers never receive one, so they never load that code.
   */
  async #reviveThenRun(message: RunMessage): Promise<void> {
    try {
      await (kinds ??= import("../comms/kinds.ts"));
      decodeItems(message[4], message[5]);
    } catch (error) {
      this.#post([FAILED, message[1], toWireError(error)]);
      return;
    }
    await this.#runChunk([
      message[0],
      message[1],
      message[2],
      message[3],
      message[4],
      message[5],
      message[6],
      false,
      message[8],
    ]);
  }

  async #resolveThenRun(message: RunMessage): Promise<void> {
    const chunkId = message[1], fnId = message[2];
    const ref = this.#refs[fnId];
    try {
      if (ref === undefined) throw new Error(`No definition for function #${fnId}`);
      this.#functions[fnId] = await resolveTask(ref);
    } catch (error) {
      this.#post([FAILED, chunkId, wireError(error, ref)]);
      return;
    }
    await this.#runChunk(message);
  }

  /** Answers a chunk: held back when it may be, else at once (after any held ones). */
  #reply(chunkId: number, results: unknown[], errors: ItemErrors | null, timed: boolean): void {
    const moved = unwrapTransfers(results);
    if (moved === null && this.#coalesce && !timed) {
      if (this.#held.length === 0) this.#heldSince = now();
      this.#held[this.#held.length] = [DONE, chunkId, results, errors];
      return;
    }
    this.flush();
    this.#answer(chunkId, results, errors, moved);
  }

  /** Sends one chunk's answer; a result that cannot be cloned fails its item only. */
  #answer(
    chunkId: number,
    results: unknown[],
    errors: ItemErrors | null,
    moved: Transferable[] | null = null,
  ): void {
    try {
      this.#send([DONE, chunkId, results, errors], moved ?? undefined);
    } catch (error) {
      // A result that structured clone refuses: report it for its item, keep the rest.
      // Item order is kept by inserting in place (no spread, push or sort to patch).
      const fixed: ItemErrors = [];
      const given = errors ?? [];
      let next = 0;
      for (let i = 0; i < results.length; i++) {
        if (next < given.length && given[next]![0] === i) {
          fixed[fixed.length] = given[next++]!;
          continue;
        }
        try {
          clone(results[i]);
        } catch (cloneError) {
          fixed[fixed.length] = [i, unclonableResult(i, cloneError ?? error)];
          results[i] = undefined;
        }
      }
      this.#send([DONE, chunkId, results, fixed]);
    }
  }
}

function unclonableResult(index: number, error: unknown): WireError {
  const reason = error instanceof Error ? error.message : String(error);
  return {
    tag: "SerializationError",
    name: "DataCloneError",
    message: `Cannot send the result of item ${index} back from the worker: ${reason}; ` +
      `return plain data (numbers, strings, arrays, objects, Map, Date, typed arrays)`,
    isError: true,
  };
}

function wireError(error: unknown, ref: TaskRef | undefined): WireError {
  if (error instanceof TaskNotFoundSignal) return toWireError(error, "TaskNotFound");
  const wire = toWireError(error);
  if (ref?.kind === "inline" && error instanceof ReferenceError) {
    return {
      ...wire,
      message: `${wire.message} (inline function '${ref.name}' cannot see variables or ` +
        `imports of its module: export it from its module instead)`,
    };
  }
  return wire;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === "object" && value !== null &&
    typeof (value as { then?: unknown }).then === "function";
}
