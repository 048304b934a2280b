/**
 * `pool.mapZip`, Python's `Executor.map(fn, *iterables, timeout, chunksize)`: the
 * function over several inputs taken together (stopping at the shortest), in input
 * order, each result within the call's timeout. Both faces of the pool use it.
 *
 * @module
 */
import type { Engine } from "./engine.ts";
import { WaitTimeout } from "./errors.ts";
import { checkTimeout, isIterable } from "./futures.ts";
import { checkCallChunksize, imapCall, jobSpec } from "./pool_calls.ts";
import type { Sendable, TaskFunction } from "./types.ts";
import type { CallTrace } from "./tracing.ts";

/** Options of `pool.mapZip` (Python's `Executor.map` keyword arguments). */
export interface MapZipOptions {
  /** Argument lists per message to a worker. @default 1 (Python's) */
  readonly chunksize?: number;
  /**
   * Milliseconds from the call within which each result must be ready; past it the
   * iteration fails with `WaitTimeout` and the rest of the call is cancelled (Python's
   * `timeout`; not a per-task limit as `map`'s `timeout` is). @default Infinity
   */
  readonly timeout?: number;
  /** Cancels the call: queued chunks never run, running ones stop. */
  readonly signal?: AbortSignal;
}

/**
 * The inputs of `mapZip` for a function's parameters `P`: one iterable per parameter
 * (with trailing options, one per parameter, optional ones too).
 *
 * @typeParam P The function's parameters.
 */
export type ZipInputs<P extends readonly unknown[]> = {
  [K in keyof P]: Iterable<Sendable<P[K]>> | AsyncIterable<Sendable<P[K]>>;
};

/**
 * Splits `mapZip`'s rest arguments into the inputs and the trailing options (an object
 * that is neither iterable nor async iterable), and checks them.
 *
 * @internal
 */
export function zipArguments(
  method: string,
  rest: readonly unknown[],
): {
  readonly inputs: ReadonlyArray<Iterable<unknown> | AsyncIterable<unknown>>;
  readonly options: MapZipOptions;
} {
  const last = rest[rest.length - 1];
  const hasOptions = rest.length > 0 && typeof last === "object" && last !== null &&
    !isIterable(last);
  const inputs = hasOptions ? rest.slice(0, -1) : rest;
  const options = (hasOptions ? last : {}) as MapZipOptions;
  if (inputs.length === 0) {
    throw new TypeError(
      `Cannot call ${method}() as it needs at least one iterable of arguments: received none`,
    );
  }
  inputs.forEach((input, index) => {
    if (!isIterable(input)) {
      throw new TypeError(
        `Cannot call ${method}() as input ${index} must be an iterable or async iterable: ` +
          `received ${input === null ? "null" : typeof input}`,
      );
    }
  });
  checkTimeout(method, options.timeout);
  return { inputs: inputs as Iterable<unknown>[], options };
}

/**
 * The argument lists of `mapZip`: the `i`-th item of each input, until the shortest
 * ends (Python's `zip`). Sync when every input is; the others are closed at the end.
 *
 * @internal
 */
export function zipInputs(
  inputs: ReadonlyArray<Iterable<unknown> | AsyncIterable<unknown>>,
): Iterable<unknown[]> | AsyncIterable<unknown[]> {
  if (inputs.every((input) => Symbol.iterator in input)) {
    return (function* () {
      const iterators = inputs.map((input) => (input as Iterable<unknown>)[Symbol.iterator]());
      try {
        for (;;) {
          const row: unknown[] = [];
          for (const iterator of iterators) {
            const next = iterator.next();
            if (next.done) return;
            row.push(next.value);
          }
          yield row;
        }
      } finally {
        for (const iterator of iterators) iterator.return?.();
      }
    })();
  }
  return (async function* () {
    const iterators = inputs.map((input) =>
      Symbol.asyncIterator in input
        ? (input as AsyncIterable<unknown>)[Symbol.asyncIterator]()
        : (input as Iterable<unknown>)[Symbol.iterator]()
    );
    try {
      for (;;) {
        const row: unknown[] = [];
        for (const iterator of iterators) {
          const next = await iterator.next();
          if (next.done) return;
          row.push(next.value);
        }
        yield row;
      }
    } finally {
      await Promise.all(iterators.map((iterator) => iterator.return?.()));
    }
  })();
}

/**
 * Wraps `mapZip`'s iterator: each `next()` fails with `WaitTimeout` once the deadline
 * passed, or with `signal.reason` on abort, and either ends the call (its chunks are
 * cancelled through `return()`).
 *
 * @internal
 */
export function bounded<T>(
  iterator: AsyncIterableIterator<T>,
  method: string,
  timeout: number,
  signal: AbortSignal | undefined,
): AsyncIterableIterator<T> {
  if (timeout === Infinity && signal === undefined) return iterator;
  const deadline = performance.now() + timeout;
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    signal?.removeEventListener("abort", close);
    void iterator.return?.();
  };
  signal?.addEventListener("abort", close, { once: true });
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    next: () =>
      new Promise<IteratorResult<T>>((resolve, reject) => {
        if (signal?.aborted) {
          close();
          return reject(signal.reason);
        }
        if (closed) return resolve({ done: true, value: undefined });
        let timer: ReturnType<typeof setTimeout> | undefined;
        const onAbort = (): void => {
          clearTimeout(timer);
          reject(signal!.reason);
        };
        signal?.addEventListener("abort", onAbort, { once: true });
        if (timeout !== Infinity) {
          timer = setTimeout(() => {
            signal?.removeEventListener("abort", onAbort);
            close();
            reject(
              new WaitTimeout({
                message: `A result of ${method}() was not ready within ${timeout} ms of the ` +
                  `call; the rest of the call was cancelled`,
                timeout,
              }),
            );
          }, Math.max(0, deadline - performance.now()));
        }
        iterator.next().then(
          (result) => {
            clearTimeout(timer);
            signal?.removeEventListener("abort", onAbort);
            if (result.done) close();
            resolve(result);
          },
          (error) => {
            clearTimeout(timer);
            signal?.removeEventListener("abort", onAbort);
            close();
            reject(error);
          },
        );
      }),
    return: () => {
      close();
      return Promise.resolve({ done: true, value: undefined });
    },
  };
}

/**
 * `mapZip` for both faces: checks the call and finds `fn` now, on the caller's stack
 * (the function's module is found from it); `start()` then gives `fn` over the zipped
 * inputs, lazily, in input order, each result within `timeout` of that start.
 *
 * @internal
 */
export function mapZipCall(
  engine: Engine,
  fn: TaskFunction,
  rest: readonly unknown[],
  method: string,
): { start(trace?: CallTrace): AsyncIterableIterator<unknown> } {
  const { inputs, options } = zipArguments(method, rest);
  checkCallChunksize(method, options.chunksize);
  const spec = jobSpec(engine, fn, true, {}, method);
  return {
    // `trace`: the Effect face's tracing of the call.
    start: (trace?: CallTrace) =>
      bounded(
        imapCall(engine, trace ? { ...spec, trace } : spec, zipInputs(inputs), options.chunksize, {
          ordered: true,
          settled: false,
        }),
        method,
        options.timeout ?? Infinity,
        options.signal,
      ),
  };
}
