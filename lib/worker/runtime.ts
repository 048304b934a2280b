/**
 * The task runner inside a worker: takes messages from the main side, runs chunks one
 * after another (an async task, or the Effect a task returns, ends before the next chunk
 * starts: see `task_outcome.ts`), and answers each chunk exactly once. What it sends leaves
 * through an `Outbox` (`outbox.ts`), where answers to a burst of quick chunks may wait to
 * leave together, as one `DONE_MANY`.
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
  DROPPED_CELL,
  FAILED,
  INIT,
  INIT_FAILED,
  type InitData,
  isCancelled,
  READY,
  RUN,
  RUN_MANY,
  type RunMessage,
  type TaskRef,
  type ToWorker,
} from "../shared/protocol.ts";
import { toWireError } from "../shared/wire_error.ts";
import { apply, atomicsLoad, atomicsStore, now } from "./intrinsics.ts";
import { setIdentity } from "../shared/identity.ts";
import { decodeItems } from "../comms/wire.ts";
import { abortTask, enterTask, setBeforeBlocking } from "../shared/task_context.ts";
import { type AnyFunction, resolveTask } from "./resolve.ts";
import { mustWait, settled, wireError } from "./task_outcome.ts";
import type { ChunkTracing } from "./span_recorder.ts";
import { type ItemErrors, Outbox, type Post } from "./outbox.ts";

/** The kinds of communication objects, loaded on first use. */
let kinds: Promise<unknown> | null = null;

/**
 * One worker's runner; `post` sends a message to the main side.
 *
 * @example A chunk run in this thread
 * ```ts
 * import { Runtime } from "./runtime.ts";
 * import { DEFINE, DONE, type FromWorker, INIT, RUN } from "../shared/protocol.ts";
 * import assert from "node:assert/strict";
 *
 * const answered = Promise.withResolvers<FromWorker>();
 * const runtime = new Runtime((message) => {
 *   if (message[0] === DONE) answered.resolve(message);
 * });
 * runtime.receive([INIT, {
 *   self: { name: "Doc-1", pid: 1 },
 *   parent: { name: "MainProcess", pid: 0 },
 *   cancelBits: null,
 *   busy: null,
 *   initializer: null,
 *   initargs: [],
 *   encoded: false,
 * }]);
 * runtime.receive([DEFINE, 1, { kind: "inline", name: "double", source: "(x) => x * 2" }]);
 * // [RUN, chunkId, fnId, jobId, items, spread, settle, encoded, timed]
 * runtime.receive([RUN, 7, 1, 1, [1, 2, 3], false, false, false, false]);
 * const answer = await answered.promise;
 * assert.equal(answer[1], 7);
 * assert.deepEqual(answer[2], [2, 4, 6]);
 * ```
 */
export class Runtime {
  readonly #outbox: Outbox;
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
  readonly #clock: () => number;

  /**
   * @param post Sends a message to the main side.
   * @param coalesce Whether answers may be held and sent together (`DONE_MANY`); both
   *   backends take them.
   * @param clock Milliseconds, for how long chunks take and answers wait; tests give a
   *   fixed one so that what is held does not depend on the machine's load.
   */
  constructor(post: Post, coalesce = false, clock: () => number = now) {
    this.#clock = clock;
    this.#outbox = new Outbox(post, coalesce, clock);
    // A task about to block (on a Lock, Event, Queue...) may be waiting for the main
    // side to act on an answer held here: send them first.
    if (coalesce) setBeforeBlocking(() => this.flush());
  }

  /**
   * Sends the answers held back, if any. Called before the worker waits, and by the
   * entry before the worker ends, so no finished chunk is reported late or lost.
   */
  flush(): void {
    this.#outbox.flush();
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
        await apply(initializer, undefined, await this.#revived(data.initargs, data.encoded));
      } catch (error) {
        this.#outbox.post([INIT_FAILED, wireError(error, data.initializer)]);
        return;
      }
    }
    this.#ready = true;
    this.#outbox.post([READY]);
    this.#pump();
  }

  /** `args` with their communication objects revived (loading their kinds first). */
  async #revived(args: readonly unknown[], encoded: boolean): Promise<unknown[]> {
    if (!encoded) {
      // By index, not by spread: task code may have patched the array iterator.
      const copy = new Array<unknown>(args.length);
      for (let i = 0; i < args.length; i++) copy[i] = args[i];
      return copy;
    }
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
      this.#outbox.beforeRun(next[8], this.#took[next[2]]);
      const pending = this.#runChunk(next);
      if (pending) {
        this.#busy = true;
        this.#outbox.flush();
        pending.then(() => {
          this.#busy = false;
          this.#pump();
        });
        return;
      }
    }
    // Idle (or dropped): nothing is held while the worker waits.
    this.#outbox.flush();
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
    const start = this.#clock();
    if (busy !== null) atomicsStore(busy, BUSY_CELL, 1);
    try {
      for (let i = 0; i < items.length; i++) {
        if (bits !== null && (bits[word]! & mask) !== 0) {
          this.#outbox.post([CANCELLED, chunkId]);
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
        // A Promise, or an Effect to run: the chunk goes on asynchronously.
        if (mustWait(value)) {
          this.#took[fnId] = undefined;
          return this.#finishAsync(message, fn, results, errors, i, value);
        }
        results[i] = value;
      }
    } finally {
      // Waiting on an async task is not busy: a terminated worker stops there.
      if (busy !== null) atomicsStore(busy, BUSY_CELL, 0);
    }
    this.#took[fnId] = this.#clock() - start;
    this.#outbox.reply(chunkId, results, errors, timed);
  }

  async #finishAsync(
    message: RunMessage,
    fn: AnyFunction,
    results: unknown[],
    errorsSoFar: ItemErrors | null,
    start: number,
    first: object,
  ): Promise<void> {
    const chunkId = message[1], fnId = message[2], jobId = message[3], items = message[4];
    const spread = message[5], settle = message[6], timed = message[8];
    // A traced chunk: the spans its Effects make are recorded and sent with the answer.
    const tracing: ChunkTracing | null = message.length > 9
      ? { parent: message[9], recorder: null }
      : null;
    let errors = errorsSoFar;
    let pending: unknown = first;
    for (let i = start; i < items.length; i++) {
      if (i > start) {
        if (this.#cancelBits !== null && isCancelled(this.#cancelBits, jobId)) {
          this.#outbox.post([CANCELLED, chunkId]);
          return;
        }
        if (this.#dropped()) return;
      }
      try {
        const value = i === start ? pending : this.#call(fn, items[i], spread);
        results[i] = await settled(value, this.#syncFlag, tracing);
      } catch (error) {
        errors ??= [];
        errors[errors.length] = [i, wireError(error, this.#refs[fnId])];
        if (!settle) break;
      }
      pending = undefined;
    }
    this.#outbox.reply(chunkId, results, errors, timed, tracing?.recorder?.take() ?? null);
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
      this.#outbox.post([FAILED, message[1], toWireError(error)]);
      return;
    }
    // The same run, its arguments now revived (copied by index: no spread in here).
    const revived: unknown[] = [];
    for (let i = 0; i < message.length; i++) revived[i] = i === 7 ? false : message[i];
    await this.#runChunk(revived as unknown as RunMessage);
  }

  async #resolveThenRun(message: RunMessage): Promise<void> {
    const chunkId = message[1], fnId = message[2];
    const ref = this.#refs[fnId];
    try {
      if (ref === undefined) throw new Error(`No definition for function #${fnId}`);
      this.#functions[fnId] = await resolveTask(ref);
    } catch (error) {
      this.#outbox.post([FAILED, chunkId, wireError(error, ref)]);
      return;
    }
    await this.#runChunk(message);
  }
}
