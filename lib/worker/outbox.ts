/**
 * Everything a worker's runtime sends to the main side leaves through its `Outbox`.
 * Answers to a burst of quick chunks are held back briefly and leave together, as one
 * `DONE_MANY`: one message back instead of one per chunk. Held answers never delay
 * anything else: any other message, a timed chunk, a slow one, an idle or waiting
 * worker sends them first. An answer structured clone refuses fails its items only.
 *
 * Runs in the worker alongside task code, so it appends by index and calls the
 * built-ins captured in `intrinsics.ts` (see `runtime.ts`).
 *
 * @module
 */
import { DONE, DONE_MANY, type DoneMessage, type FromWorker } from "../shared/protocol.ts";
import type { WireError } from "../shared/wire_error.ts";
import type { WireSpan } from "../shared/tracing_wire.ts";
import { clone, now } from "./intrinsics.ts";
import { unclonableResult } from "./task_outcome.ts";
import { unwrapTransfers } from "../comms/transfer.ts";

/** Sends one message to the main side. */
export type Post = (message: FromWorker, transfer?: Transferable[]) => void;
/** A chunk's failed items, in item order: `[index, error]`. */
export type ItemErrors = Array<readonly [number, WireError]>;

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

/**
 * The way out of one worker: sends its messages, holding quick chunks' answers back to
 * send them together when `coalesce` is on.
 *
 * @example Two answers leave as one message
 * ```ts
 * import { Outbox } from "./outbox.ts";
 * import { DONE_MANY, type FromWorker } from "../shared/protocol.ts";
 * import assert from "node:assert/strict";
 *
 * const sent: FromWorker[] = [];
 * const outbox = new Outbox((message) => {
 *   sent.push(message);
 * }, true);
 * outbox.reply(1, [2], null, false);
 * outbox.reply(2, [4], null, false);
 * assert.equal(sent.length, 0); // held
 * outbox.flush();
 * assert.equal(sent.length, 1);
 * assert.equal(sent[0]![0], DONE_MANY);
 * ```
 */
export class Outbox {
  readonly #send: Post;
  /** Whether answers may be held and sent together (`DONE_MANY`). */
  readonly #coalesce: boolean;
  /** Answers held back, oldest first, and when the oldest was held. */
  #held: DoneMessage[] = [];
  #heldSince = 0;
  readonly #clock: () => number;

  /**
   * @param send Sends a message to the main side.
   * @param coalesce Whether answers may be held and sent together (`DONE_MANY`); both
   *   backends take them.
   * @param clock Milliseconds, for how long answers have been held.
   */
  constructor(send: Post, coalesce = false, clock: () => number = now) {
    this.#send = send;
    this.#coalesce = coalesce;
    this.#clock = clock;
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
      const spans = answer.length > 4 ? answer[4]! : null;
      this.#answer(answer[1], answer[2] as unknown[], answer[3] as ItemErrors | null, null, spans);
    }
  }

  /** Sends any message but an answer: it leaves after the answers held before it. */
  post(message: FromWorker, transfer?: Transferable[]): void {
    this.flush();
    this.#send(message, transfer);
  }

  /**
   * Called before a chunk starts: sends the held answers unless they may wait while it
   * runs, which is only when it is untimed (a timeout must see the chunk that really
   * runs), expected to be quick (`took`: its function's last synchronous chunk, ms), and
   * the answers are recent and few.
   */
  beforeRun(timed: boolean, took: number | undefined): void {
    const held = this.#held.length;
    if (held === 0) return;
    if (
      timed || held >= HOLD_MAX || this.#clock() - this.#heldSince > HOLD_MS ||
      took === undefined || took >= QUICK_CHUNK_MS
    ) {
      this.flush();
    }
  }

  /** Answers a chunk: held back when it may be, else at once (after any held ones). */
  reply(
    chunkId: number,
    results: unknown[],
    errors: ItemErrors | null,
    timed: boolean,
    spans: WireSpan[] | null = null,
  ): void {
    const moved = unwrapTransfers(results);
    if (moved === null && this.#coalesce && !timed) {
      if (this.#held.length === 0) this.#heldSince = this.#clock();
      this.#held[this.#held.length] = spans === null
        ? [DONE, chunkId, results, errors]
        : [DONE, chunkId, results, errors, spans];
      return;
    }
    this.flush();
    this.#answer(chunkId, results, errors, moved, spans);
  }

  /** Sends one chunk's answer; a result that cannot be cloned fails its item only. */
  #answer(
    chunkId: number,
    results: unknown[],
    errors: ItemErrors | null,
    moved: Transferable[] | null = null,
    spans: readonly WireSpan[] | null = null,
  ): void {
    try {
      this.#send(
        spans === null ? [DONE, chunkId, results, errors] : [DONE, chunkId, results, errors, spans],
        moved ?? undefined,
      );
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
      this.#send(
        spans === null ? [DONE, chunkId, results, fixed] : [DONE, chunkId, results, fixed, spans],
      );
    }
  }
}
