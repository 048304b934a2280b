/**
 * The errors of queues, pipes and barriers, under Python's names (`queue.Empty`,
 * `queue.Full`, `EOFError`, `BrokenPipeError`, `threading.BrokenBarrierError`). They
 * live on the worker side, so they are plain `Error`s with a `_tag` (the Effect face
 * matches them with `Effect.catchTag`) and import nothing.
 *
 * @module
 */

/**
 * The parent of the communication errors: an `Error` whose `name` is its `_tag`.
 *
 * @example Telling them apart from other errors
 * ```ts
 * import { Empty, IpcError } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(new Empty("nothing came") instanceof IpcError);
 * ```
 */
export abstract class IpcError extends Error {
  /** Tells the error apart on the Effect face (`Effect.catchTag(tag, ...)`). */
  abstract readonly _tag: string;

  /** The tag, so printed errors read `Empty: ...`. */
  override get name(): string {
    return this._tag;
  }
}

/**
 * `Queue.get()` found nothing: the queue stayed empty until the timeout, or
 * `getNowait()` was called on an empty queue (Python's `queue.Empty`).
 *
 * @example Getting from an empty queue without waiting
 * ```ts
 * import { Empty } from "./errors.ts";
 * import { Queue } from "./queue.ts";
 * import assert from "node:assert/strict";
 *
 * const q = new Queue<number>();
 * await assert.rejects(q.getNowait(), Empty);
 * ```
 */
export class Empty extends IpcError {
  /** Tells the error apart on the Effect face. */
  readonly _tag = "Empty" as const;
}

/**
 * `Queue.put()` found no room: a queue with a `maxsize` stayed full until the timeout,
 * or `putNowait()` was called on a full queue (Python's `queue.Full`).
 *
 * @example Putting on a full queue without waiting
 * ```ts
 * import { Full } from "./errors.ts";
 * import { Queue } from "./queue.ts";
 * import assert from "node:assert/strict";
 *
 * const q = new Queue<number>({ maxsize: 1 });
 * await q.put(1);
 * await assert.rejects(q.putNowait(2), Full);
 * ```
 */
export class Full extends IpcError {
  /** Tells the error apart on the Effect face. */
  readonly _tag = "Full" as const;
}

/**
 * `Connection.recv()` found nothing left to read and every handle of the other end is
 * closed (Python's `EOFError`).
 *
 * @example Reading after the other end closed
 * ```ts
 * import { EOFError } from "./errors.ts";
 * import { Pipe } from "./pipe.ts";
 * import assert from "node:assert/strict";
 *
 * const [a, b] = Pipe<string>();
 * await b.send("last words");
 * b.close();
 * assert.equal(await a.recv(), "last words");
 * await assert.rejects(a.recv(), EOFError);
 * ```
 */
export class EOFError extends IpcError {
  /** Tells the error apart on the Effect face. */
  readonly _tag = "EOFError" as const;
}

/**
 * `Connection.send()` on a pipe whose other end is closed everywhere: nobody can read
 * what it would send (Python's `BrokenPipeError`).
 *
 * @example Sending to a closed end
 * ```ts
 * import { BrokenPipeError } from "./errors.ts";
 * import { Pipe } from "./pipe.ts";
 * import assert from "node:assert/strict";
 *
 * const [a, b] = Pipe<string>();
 * b.close();
 * await assert.rejects(a.send("anyone?"), BrokenPipeError);
 * ```
 */
export class BrokenPipeError extends IpcError {
  /** Tells the error apart on the Effect face. */
  readonly _tag = "BrokenPipeError" as const;
}

/**
 * A `Barrier` was broken while waiting on it: a party timed out, or someone called
 * `abort()` or `reset()` (Python's `threading.BrokenBarrierError`).
 *
 * @example Waiting on an aborted barrier
 * ```ts
 * import { Barrier } from "./barrier.ts";
 * import { BrokenBarrierError } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * const barrier = new Barrier(2);
 * barrier.abort();
 * assert.throws(() => barrier.wait(), BrokenBarrierError);
 * ```
 */
export class BrokenBarrierError extends IpcError {
  /** Tells the error apart on the Effect face. */
  readonly _tag = "BrokenBarrierError" as const;
}

/**
 * A queue or connection was used after `close()` in this process (Python raises
 * `ValueError` / `OSError` there).
 *
 * @example Putting after close
 * ```ts
 * import { HandleClosed } from "./errors.ts";
 * import { Queue } from "./queue.ts";
 * import assert from "node:assert/strict";
 *
 * const q = new Queue<number>();
 * q.close();
 * await assert.rejects(q.put(1), HandleClosed);
 * ```
 */
export class HandleClosed extends IpcError {
  /** Tells the error apart on the Effect face. */
  readonly _tag = "HandleClosed" as const;
}
