/**
 * The Promise face's lazy maps (`imap`, `imapUnordered`, `istarmap`, `istarmapUnordered`):
 * one table of their forms, which the Effect face's Streams share, and how a lazy map
 * starts as an async iterator that an `AbortSignal` can end. The iterator itself is
 * `ImapIterator` (`jobs.ts`).
 *
 * @module
 */
import type { Engine } from "./engine.ts";
import { checkCallChunksize, checkIterable, imapCall, jobSpec } from "./pool_calls.ts";
import type { LazyMapOptions } from "./pool_options.ts";
import type { TaskFunction } from "./types.ts";
import type { CallTrace } from "./tracing.ts";

/** How a lazy map runs, beside its options: its items are argument lists, its order. */
export interface LazyForm {
  readonly spread: boolean;
  readonly ordered: boolean;
}

/**
 * The lazy maps, one line each: `Pool`'s methods of these names, and the Effect face's
 * Streams (`pool_effect_streams.ts`), are thin adapters over this table.
 *
 * @example
 * ```ts
 * import { LAZY } from "./pool_lazy.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(LAZY.istarmapUnordered, { spread: true, ordered: false });
 * ```
 */
export const LAZY = {
  imap: { spread: false, ordered: true },
  imapUnordered: { spread: false, ordered: false },
  istarmap: { spread: true, ordered: true },
  istarmapUnordered: { spread: true, ordered: false },
} as const satisfies Record<string, LazyForm>;

/**
 * Starts the lazy map `method` (a row of `LAZY`) of `fn` over `input`; `options.signal`
 * aborting ends the iterator with its reason and cancels what still runs.
 *
 * @example
 * ```ts
 * import { inline, Pool } from "../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const double = inline((x: number) => 2 * x);
 * await using pool = await Pool.open({ processes: 1 });
 * const out = [];
 * for await (const y of pool.imap(double, [1, 2])) out.push(y); // startLazyMap(...)
 * assert.deepEqual(out, [2, 4]);
 * ```
 */
export function startLazyMap(
  engine: Engine,
  method: keyof typeof LAZY,
  fn: TaskFunction,
  input: Iterable<unknown> | AsyncIterable<unknown>,
  options: LazyMapOptions,
  trace?: CallTrace,
): AsyncIterableIterator<unknown> {
  const form = LAZY[method];
  checkCallChunksize(method, options.chunksize);
  checkIterable(method, input, true);
  const spec = jobSpec(engine, fn, form.spread, options, method);
  const iterator = imapCall(
    engine,
    trace === undefined ? spec : { ...spec, trace }, // the Effect face's tracing
    input,
    options.chunksize,
    { ordered: form.ordered, settled: options.settled === true },
  );
  const { signal } = options;
  if (signal === undefined) return iterator;
  return abortable(iterator, signal);
}

/** Wraps an iterator so that `signal` aborting ends it with `signal.reason`. */
function abortable<T>(
  iterator: AsyncIterableIterator<T>,
  signal: AbortSignal,
): AsyncIterableIterator<T> {
  const stop = (): void => void iterator.return?.();
  signal.addEventListener("abort", stop, { once: true });
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    // One listener per pending call, removed when it settles: nothing accumulates over
    // millions of items.
    next: () =>
      new Promise<IteratorResult<T>>((resolve, reject) => {
        if (signal.aborted) {
          stop();
          return reject(signal.reason);
        }
        const onAbort = (): void => reject(signal.reason);
        signal.addEventListener("abort", onAbort, { once: true });
        iterator.next().then(
          (result) => {
            signal.removeEventListener("abort", onAbort);
            if (signal.aborted) reject(signal.reason);
            else resolve(result);
          },
          (error) => {
            signal.removeEventListener("abort", onAbort);
            reject(error);
          },
        );
      }),
    return: () => {
      signal.removeEventListener("abort", stop);
      return iterator.return?.() ?? Promise.resolve({ done: true, value: undefined });
    },
  };
}
