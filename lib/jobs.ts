/**
 * The pool's operations over the engine, in plain callbacks and async iterators so
 * both faces can wrap them without a fiber or a Promise per item: `map` (all results
 * in input order, fail-fast or settled) and `imap` (lazy input, bounded chunks in
 * flight, ordered or in completion order).
 *
 * @module
 */
import type { Chunk, Engine, Job, JobListener, JobSpec } from "./engine.ts";
import type { PoolError } from "./errors.ts";

export type { JobSpec } from "./engine.ts";

/** The outcome of one item when every outcome is wanted (`mapSettled`). */
export type Settled<T> =
  | { readonly status: "fulfilled"; readonly value: T }
  | { readonly status: "rejected"; readonly reason: PoolError };

/**
 * One item's outcome from a lazy map with `settled: true`, with the item's position in
 * the input (the unordered forms yield in completion order, so the position says which
 * item it was).
 */
export type SettledAt<T> = Settled<T> & { readonly index: number };

/** Ends a `map`: called exactly once. */
export type MapCallback = (
  outcome: { readonly ok: true; readonly values: unknown[] } | {
    readonly ok: false;
    readonly error: PoolError;
  },
) => void;

/** Python's default: about four chunks per worker. */
export function defaultChunksize(length: number, processes: number): number {
  return Math.max(1, Math.ceil(length / (4 * processes)));
}

/**
 * Runs `fn` over `items` in chunks; `settle` collects every item's outcome instead of
 * failing on the first error. Returns the job (to cancel it), or null when nothing ran.
 */
export function startMap(
  engine: Engine,
  spec: JobSpec,
  items: readonly unknown[],
  chunksize: number,
  settle: boolean,
  callback: MapCallback,
): Job | null {
  const refused = engine.closedError();
  if (refused) {
    callback({ ok: false, error: refused });
    return null;
  }
  if (items.length === 0) {
    callback({ ok: true, values: [] });
    return null;
  }
  // Each chunk's answers, by position; joined in order once all are in.
  const answers = new Array<readonly unknown[]>(Math.ceil(items.length / chunksize));
  let remaining = answers.length;
  let finished = false;
  const fail = (error: PoolError): void => {
    if (finished) return;
    finished = true;
    engine.cancel(job);
    callback({ ok: false, error });
  };
  const chunkDone = (seq: number, values: readonly unknown[]): void => {
    answers[seq] = values;
    if (--remaining === 0 && !finished) {
      finished = true;
      callback({ ok: true, values: joined(answers) });
    }
  };
  const job = engine.createJob(settle ? { ...spec, settle } : spec, {
    done(chunk, values, errors) {
      if (!settle) {
        if (errors !== null) return fail(errors[0]![1]);
        return chunkDone(chunk.seq, values);
      }
      const outcomes: Settled<unknown>[] = [];
      for (let i = 0; i < values.length; i++) {
        outcomes.push({ status: "fulfilled", value: values[i] });
      }
      for (const [index, reason] of errors ?? []) outcomes[index] = { status: "rejected", reason };
      chunkDone(chunk.seq, outcomes);
    },
    failed(chunk, error) {
      if (!settle) return fail(error);
      chunkDone(chunk.seq, chunk.items.map(() => ({ status: "rejected", reason: error })));
    },
  });
  // Each chunk is cut from the input only when it may join the queue (`maxQueue`).
  let next = 0;
  engine.feed({
    job,
    get done() {
      return finished || next >= answers.length;
    },
    next() {
      if (finished || next >= answers.length) return undefined;
      const seq = next++;
      return { job, seq, items: items.slice(seq * chunksize, (seq + 1) * chunksize) };
    },
  });
  return job;
}

/** Above this many chunks, `concat`'s argument list gets long: append instead. */
const CONCAT_MAX = 4096;

/**
 * The chunks' answers as one array, in order. A lone chunk's array is the result as it
 * is. More are joined into a packed array, never a holey `new Array(n)` filled out of
 * order: structured clone copies a holey array as a sparse one, about 5x slower, and
 * callers often send results on.
 */
function joined(answers: ReadonlyArray<readonly unknown[]>): unknown[] {
  if (answers.length === 1) return answers[0] as unknown[];
  if (answers.length <= CONCAT_MAX) return ([] as unknown[]).concat(...answers);
  const out: unknown[] = [];
  for (const values of answers) {
    for (let i = 0; i < values.length; i++) out.push(values[i]);
  }
  return out;
}

/** How an `ImapIterator` runs: one description for `imap` and all its forms. */
export interface ImapSettings {
  readonly chunksize: number;
  /** Yield in input order; otherwise as results are ready. */
  readonly ordered: boolean;
  /**
   * Yield every item's outcome as a `Settled` and go on past failures; otherwise yield
   * values and end at the first failure, throwing it.
   */
  readonly settled: boolean;
  /** Chunks submitted and not yet yielded, at most. */
  readonly inFlight: number;
}

/**
 * Yields `fn(item)` for each item of `input`, pulling input lazily: only while fewer than
 * `inFlight` of its chunks are unread, and the pool's queue has room (`maxQueue`).
 * `return()` (a `break` out of `for await`, or an interruption) cancels the chunks still
 * running at once, even while `next()` is waiting: an async generator could not do that.
 */
export class ImapIterator implements AsyncIterableIterator<unknown> {
  readonly #engine: Engine;
  readonly #settings: ImapSettings;
  readonly #job: Job;
  readonly #syncSource: Iterator<unknown> | null;
  readonly #asyncSource: AsyncIterator<unknown> | null;
  readonly #answers = new Map<number, Answer>();
  readonly #completionOrder: number[] = [];
  #current: Answer | null = null;
  #position = 0;
  #submitted = 0;
  #taken = 0;
  #exhausted = false;
  #closed = false;
  #wake: (() => void) | null = null;
  /** Stops waiting for room in the pool's queue, while it waits (see `#fill`). */
  #stopWaitingForRoom: (() => void) | null = null;
  /** Room came while `next()` was not waiting: it fills again before it waits. */
  #roomCame = false;

  constructor(
    engine: Engine,
    spec: JobSpec,
    input: Iterable<unknown> | AsyncIterable<unknown>,
    settings: ImapSettings,
  ) {
    this.#engine = engine;
    this.#settings = settings;
    if (Symbol.iterator in input) {
      this.#syncSource = (input as Iterable<unknown>)[Symbol.iterator]();
      this.#asyncSource = null;
    } else {
      this.#syncSource = null;
      this.#asyncSource = (input as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    }
    const listener: JobListener = settings.settled
      ? {
        done: (chunk: Chunk, values: readonly unknown[], errors: ItemErrors | null) =>
          this.#answer(
            chunk.seq,
            everyOutcome(chunk.seq * settings.chunksize, values, errors),
          ),
        failed: (chunk: Chunk, error: PoolError) =>
          this.#answer(
            chunk.seq,
            everyOutcome(
              chunk.seq * settings.chunksize,
              chunk.items.map(() => undefined),
              null,
              error,
            ),
          ),
      }
      : {
        done: (chunk: Chunk, values: readonly unknown[], errors: ItemErrors | null) => {
          const first = errors?.[0];
          this.#answer(chunk.seq, {
            values,
            end: first ? first[0] : values.length,
            error: first ? first[1] : null,
          });
        },
        failed: (chunk: Chunk, error: PoolError) =>
          this.#answer(chunk.seq, { values: [], end: 0, error }),
      };
    this.#job = engine.createJob(settings.settled ? { ...spec, settle: true } : spec, listener);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<unknown>> {
    while (!this.#closed) {
      const current = this.#current;
      if (current !== null) {
        if (this.#position < current.end) {
          return { done: false, value: current.values[this.#position++] };
        }
        this.#current = null;
        if (current.error !== null) {
          this.#close();
          throw current.error;
        }
      }
      const refused = this.#submitted === 0 ? this.#engine.closedError() : null;
      if (refused) {
        this.#close();
        throw refused;
      }
      await this.#fill();
      if (this.#closed) break;
      if (this.#exhausted && this.#taken === this.#submitted) {
        this.#close();
        break;
      }
      const seq = this.#settings.ordered ? this.#taken : this.#completionOrder[0];
      const answer = seq === undefined ? undefined : this.#answers.get(seq);
      if (seq === undefined || answer === undefined) {
        if (this.#roomCame) {
          this.#roomCame = false;
          continue;
        }
        // Woken by an answer, or by room in the queue for more input.
        await new Promise<void>((resolve) => (this.#wake = resolve));
        this.#wake = null;
        continue;
      }
      this.#answers.delete(seq);
      this.#completionOrder.splice(this.#completionOrder.indexOf(seq), 1);
      this.#taken++;
      this.#current = answer;
      this.#position = 0;
    }
    return { done: true, value: undefined };
  }

  return(): Promise<IteratorResult<unknown>> {
    this.#close();
    return Promise.resolve({ done: true, value: undefined });
  }

  /**
   * Submits chunks until the in-flight bound is reached or the input ends. While the
   * pool's queue is full, it pulls no input: it asks to be woken when room comes, and
   * `next()` waits for that or for an answer, whichever comes first.
   */
  async #fill(): Promise<void> {
    const { chunksize, inFlight } = this.#settings;
    this.#roomCame = false;
    while (!this.#exhausted && !this.#closed && this.#submitted - this.#taken < inFlight) {
      if (!this.#engine.hasRoom()) {
        this.#stopWaitingForRoom ??= this.#engine.whenRoom(() => {
          this.#stopWaitingForRoom = null;
          this.#roomCame = true;
          this.#wake?.();
        });
        return;
      }
      const items: unknown[] = [];
      while (items.length < chunksize) {
        let next: IteratorResult<unknown>;
        try {
          next = this.#syncSource ? this.#syncSource.next() : await this.#asyncSource!.next();
        } catch (error) {
          // The input itself failed: that error, unchanged, is the caller's to see.
          this.#exhausted = true;
          this.#close();
          throw error;
        }
        if (next.done) {
          this.#exhausted = true;
          break;
        }
        items.push(next.value);
      }
      if (this.#closed) return;
      if (items.length > 0) {
        this.#engine.submit({ job: this.#job, seq: this.#submitted++, items });
      }
    }
  }

  #answer(seq: number, answer: Answer): void {
    this.#answers.set(seq, answer);
    this.#completionOrder.push(seq);
    this.#wake?.();
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#engine.cancel(this.#job);
    this.#stopWaitingForRoom?.();
    this.#stopWaitingForRoom = null;
    this.#wake?.();
    if (!this.#exhausted) {
      const source = this.#syncSource ?? this.#asyncSource;
      // Not awaited: an async source may be stuck in its own next().
      void Promise.resolve(source?.return?.()).catch(() => {});
    }
  }
}

type ItemErrors = ReadonlyArray<readonly [number, PoolError]>;

/**
 * A chunk's answer as one `SettledAt` per item, counting positions from `first`;
 * `failed` is the whole chunk's failure.
 */
function everyOutcome(
  first: number,
  values: readonly unknown[],
  errors: ItemErrors | null,
  failed: PoolError | null = null,
): Answer {
  const outcomes: SettledAt<unknown>[] = [];
  let next = 0;
  for (let i = 0; i < values.length; i++) {
    const error = failed ?? (errors?.[next]?.[0] === i ? errors[next++]![1] : null);
    const index = first + i;
    outcomes.push(
      error === null
        ? { status: "fulfilled", value: values[i], index }
        : { status: "rejected", reason: error, index },
    );
  }
  return { values: outcomes, end: outcomes.length, error: null };
}

interface Answer {
  readonly values: readonly unknown[];
  /** Values before this index are valid. */
  readonly end: number;
  readonly error: PoolError | null;
}
