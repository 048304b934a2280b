/**
 * The Effect face's lazy maps as Streams: `imap`, `imapUnordered`, `istarmap`,
 * `istarmapUnordered` (each also with `settled: true`) and `mapZip`. Each is a thin
 * adapter over the iterator the Promise face's method of that name gives (`LAZY` and
 * `startLazyMap` in `pool_lazy.ts`, `mapZipCall` in `map_zip.ts`), emitting the results
 * a worker answered together as one Stream chunk. Ending the Stream early or
 * interrupting it calls the iterator's `return()`, which cancels the chunks in flight.
 * A Stream run by a fiber with a tracer is traced while it runs (`tracing.ts`).
 *
 * @module
 */
import * as Channel from "effect/Channel";
import * as Effect from "effect/Effect";
import * as Stream from "effect/Stream";
import type { Engine } from "./engine.ts";
import { mapZipCall } from "./map_zip.ts";
import { jobSpec } from "./pool_calls.ts";
import { LAZY, startLazyMap } from "./pool_lazy.ts";
import type { EffectLazyMapOptions } from "./pool_effect_api.ts";
import {
  CALL_ERRORS,
  type ErrorClass,
  type ErrorOf,
  failure,
  SETTLED_CALL_ERRORS,
  ZIP_ERRORS,
} from "./pool_effect_errors.ts";
import type { TaskFunction } from "./types.ts";
import { type CallTrace, callTrace, type PoolTracing } from "./tracing.ts";

/** A lazy map's implementation, before its overloads give it precise types. */
type LazyStream = (
  fn: TaskFunction,
  input: Iterable<unknown> | AsyncIterable<unknown>,
  options?: EffectLazyMapOptions,
) => Stream.Stream<unknown, unknown>;

/**
 * The lazy map `method` of a pool, as a Stream: `startLazyMap`, the Promise face's, run
 * when the Stream runs (again on each run). The function is looked up at the call, on
 * the caller's stack: a function that cannot be sent fails the Stream with
 * `TaskNotFound`, and a found one is cached (`taskRef`), so the run finds it again.
 */
export function lazyStream(
  engine: Engine,
  tracing: PoolTracing,
  method: keyof typeof LAZY,
): LazyStream {
  return (fn, input, options = {}) => {
    const errors = options.settled === true ? SETTLED_CALL_ERRORS : CALL_ERRORS;
    try {
      jobSpec(engine, fn, LAZY[method].spread, options, method);
    } catch (error) {
      return Stream.fromEffect(failure(errors, error));
    }
    return tracedStream(
      tracing,
      (trace) => fromIterator(startLazyMap(engine, method, fn, input, options, trace), errors),
    );
  };
}

/** `pool.mapZip` as a Stream, before `EffectPool.mapZip` gives it precise types. */
export function zipStream(
  engine: Engine,
  tracing: PoolTracing,
): (fn: TaskFunction, ...inputs: unknown[]) => Stream.Stream<unknown, ErrorOf<typeof ZIP_ERRORS>> {
  return (fn, ...inputs) => {
    let call: ReturnType<typeof mapZipCall>;
    try {
      call = mapZipCall(engine, fn, inputs, "mapZip");
    } catch (error) {
      return Stream.fromEffect(failure(ZIP_ERRORS, error));
    }
    return tracedStream(tracing, (trace) => fromIterator(call.start(trace), ZIP_ERRORS));
  };
}

/**
 * The Stream `make` gives, made when it runs (again on each run), traced while it runs
 * when the running fiber has a tracer.
 */
function tracedStream<E>(
  tracing: PoolTracing,
  make: (trace: CallTrace | undefined) => Stream.Stream<unknown, E>,
): Stream.Stream<unknown, E> {
  return Stream.unwrap(Effect.withFiber((fiber) => {
    const trace = callTrace(fiber);
    if (trace === undefined) return Effect.succeed(make(undefined));
    const leave = tracing.enter();
    try {
      return Effect.succeed(make(trace).pipe(Stream.ensuring(Effect.sync(leave))));
    } catch (misuse) {
      leave();
      throw misuse;
    }
  }));
}

/**
 * A lazy map's iterator as a Stream failing with `classes`' errors; anything else it
 * throws (a broken input iterable) is a defect.
 */
function fromIterator<const C extends readonly ErrorClass<unknown>[]>(
  iterator: AsyncIterableIterator<unknown>,
  classes: C,
): Stream.Stream<unknown, ErrorOf<C>> {
  return Stream.fromChannel(Channel.fromAsyncIterable(inBatches(iterator), (error) => error)).pipe(
    Stream.catch((error) => Stream.fromEffect(failure(classes, error))),
  );
}

const NOT_YET: unique symbol = Symbol("not yet");

/** Results in one Stream chunk at most: bounds what a `Stream.take` reads ahead. */
const BATCH_MAX = 1024;

/**
 * `iterator`'s results in batches of those already answered: a Stream pays an Effect
 * per chunk it emits, about 3 µs, so one per result would cost the Effect face three
 * times the Promise face's time on small tasks. A result is taken into the batch only
 * if `next()` gave it at once (the iterator held it: the rest of a worker's answer);
 * the first `next()` that must wait ends the batch and is kept for the next one.
 * `return()` is the iterator's: ending the Stream still cancels the chunks in flight.
 */
function inBatches<T>(iterator: AsyncIterableIterator<T>): AsyncIterableIterator<[T, ...T[]]> {
  let waiting: Promise<IteratorResult<T>> | null = null;
  let failed: { readonly error: unknown } | null = null;
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next() {
      if (failed !== null) throw failed.error;
      const first = await (waiting ?? iterator.next());
      waiting = null;
      if (first.done) return { done: true, value: undefined };
      const batch: [T, ...T[]] = [first.value];
      try {
        while (batch.length < BATCH_MAX) {
          const next = iterator.next();
          // Both settled: `race` takes the first listed, so `next` wins when it had a result.
          const ready = await Promise.race<IteratorResult<T> | typeof NOT_YET>([next, NOT_YET]);
          if (ready === NOT_YET || ready.done) {
            waiting = next;
            // Kept, maybe never awaited (the Stream may end first): its failure is not unhandled.
            next.catch(() => {});
            break;
          }
          batch.push(ready.value);
        }
      } catch (error) {
        // The results before it go out first; the error ends the next batch.
        failed = { error };
      }
      return { done: false, value: batch };
    },
    return: async () => {
      await iterator.return?.();
      return { done: true, value: undefined };
    },
  };
}
