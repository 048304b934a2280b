/**
 * What both faces of the pool do for each call, before and after the engine: find the
 * function, check the options, split the input. Each face wraps these in its own way
 * (Promises with an `AbortSignal`, or Effects that cancel on interruption).
 *
 * @module
 */
import type { TaskFunction } from "./types.ts";
import type { Engine, Job } from "./engine.ts";
import type { PoolError } from "./errors.ts";
import {
  defaultChunksize,
  ImapIterator,
  type JobSpec,
  type MapCallback,
  startMap,
} from "./jobs.ts";
import { checkChunksize, type FaultOptions, faultsOf, imapInFlight } from "./pool_options.ts";
import { callerModule, checkTaskArgs, taskName, taskRef } from "./task.ts";

/**
 * Finds `fn`'s reference and checks the call's fault options; throws `TaskNotFound`
 * (a pool error) when `fn` has no reference, `RangeError` for a bad option.
 */
export function jobSpec(
  engine: Engine,
  fn: TaskFunction,
  spread: boolean,
  options: FaultOptions,
  method: string,
): JobSpec {
  const faults = faultsOf(`call ${method}()`, options, engine.faults);
  return { ref: taskRef(fn, callerModule), task: taskName(fn), spread, faults };
}

/** The job a call started, to cancel it with `engine.cancel`; null when nothing is left to run. */
export type RunningJob = Job | null;

/** Starts `map`/`starmap` (or their settled forms) over `input`. */
export function startMapCall(
  engine: Engine,
  spec: JobSpec,
  input: Iterable<unknown>,
  chunksize: number | undefined,
  settle: boolean,
  callback: MapCallback,
): RunningJob {
  const items = Array.isArray(input) ? input : Array.from(input);
  const size = chunksize ?? defaultChunksize(items.length, engine.processes);
  return startMap(engine, spec, items, size, settle, callback);
}

/**
 * Starts `apply`: one call with `args` spread. Its own lean path rather than a map of
 * one item: programs make many thousands of these calls at once.
 */
export function startApplyCall(
  engine: Engine,
  spec: JobSpec,
  args: readonly unknown[],
  done: (outcome: { ok: true; value: unknown } | { ok: false; error: PoolError }) => void,
): RunningJob {
  checkTaskArgs(args);
  const refused = engine.closedError();
  if (refused) {
    done({ ok: false, error: refused });
    return null;
  }
  const job = engine.createJob(spec, {
    done(_chunk, values, errors) {
      done(errors === null ? { ok: true, value: values[0] } : { ok: false, error: errors[0]![1] });
    },
    failed(_chunk, error) {
      done({ ok: false, error });
    },
  });
  engine.submit({ job, seq: 0, items: [args] });
  return job;
}

/** Makes the iterator of `imap`/`imapUnordered`. */
export function imapCall(
  engine: Engine,
  spec: JobSpec,
  input: Iterable<unknown> | AsyncIterable<unknown>,
  chunksize: number | undefined,
  form: { readonly ordered: boolean; readonly settled: boolean },
): ImapIterator {
  return new ImapIterator(engine, spec, input, {
    chunksize: chunksize ?? 1,
    ordered: form.ordered,
    settled: form.settled,
    inFlight: imapInFlight(engine.processes),
  });
}

/** Checks a call's `chunksize`, naming the method in the message. */
export function checkCallChunksize(method: string, chunksize: number | undefined): void {
  checkChunksize(`call ${method}()`, chunksize);
}

/** Checks that `input` can be iterated, naming the method in the message. */
export function checkIterable(method: string, input: unknown, asyncToo: boolean): void {
  const ok = input !== null && input !== undefined &&
    (typeof (input as Iterable<unknown>)[Symbol.iterator] === "function" ||
      (asyncToo && typeof (input as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function"));
  if (!ok) {
    throw new TypeError(
      `Cannot call ${method}() as its input must be ${
        asyncToo ? "an iterable or async iterable" : "an iterable"
      }: received ${input === null ? "null" : typeof input}`,
    );
  }
}
