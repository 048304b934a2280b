/**
 * `Process` on the Effect face: `ProcessEffect.spawn(options)` starts a process in the
 * current `Scope` (closing the scope terminates it, and returns once it is gone), and
 * `join`, `terminate` and `kill` take the process first, as Effect's own
 * `Queue.take(queue)` does. The process is the Promise face's object; these functions
 * drive its core (`process_core.ts`) directly, with typed errors.
 *
 * Interrupting `join` stops the waiting only: the process runs on until its scope
 * closes or it is terminated, as a fiber joined by another keeps running.
 *
 * @example Spawning and joining
 * ```ts
 * import { Effect } from "effect";
 * import { inline, ProcessEffect } from "./effect.ts";
 * import assert from "node:assert/strict";
 *
 * const square = inline((x: number) => x * x);
 *
 * const program = Effect.gen(function* () {
 *   const p = yield* ProcessEffect.spawn({ target: square, args: [3] });
 *   return yield* ProcessEffect.join(p);
 * });
 * assert.equal(await Effect.runPromise(Effect.scoped(program)), 9);
 * ```
 *
 * @module
 */
import * as Effect from "effect/Effect";
import type * as Scope from "effect/Scope";
import { SerializationError, TaskNotFound } from "./errors.ts";
import { Process, processCore, type ProcessOptions } from "./process.ts";
import {
  closedError,
  KILLED,
  type ProcessCore,
  type ProcessError,
  TERMINATED,
} from "./process_core.ts";
import type { TaskFailure } from "./effect_task.ts";
import { failOrDie } from "./pool_effect_errors.ts";
import type { ResultOf, TaskFunction } from "./types.ts";

/** What starting a process can fail with: its target or arguments cannot be sent. */
export type ProcessStartError = TaskNotFound | SerializationError;

/** The core of `process`, or a defect naming the misuse. */
function coreFor(method: string, process: unknown): ProcessCore | TypeError {
  const core = processCore(process as Process);
  return core ?? new TypeError(
    `Cannot call ProcessEffect.${method}() as 'process' must be a Process: received ${
      process === null ? "null" : typeof process
    }`,
  );
}

/** Stops `core` with `code` and resumes once its process is gone (a subprocess exits later). */
function stopped(core: ProcessCore, code: number): Effect.Effect<void> {
  return Effect.callback<void>((resume) => {
    const running = core.alive || core.exiting;
    core.stop(code);
    // Not running (never started, or still loading the backends): nothing to wait for.
    if (!running) return resume(Effect.void);
    core.whenGone(() => resume(Effect.void));
  });
}

function start<P extends Process<TaskFunction>>(
  process: P,
): Effect.Effect<P, ProcessStartError, Scope.Scope> {
  const core = coreFor("start", process);
  if (core instanceof TypeError) return Effect.die(core);
  const acquire = Effect.callback<P, ProcessStartError>((resume) => {
    core.start((error) => {
      if (error === null) resume(Effect.succeed(process));
      // Typed failures stay typed; misuse (a refused sandbox, started twice) is a defect.
      else if (error instanceof TaskNotFound || error instanceof SerializationError) {
        resume(Effect.fail(error));
      } else resume(Effect.die(error));
    }, "ProcessEffect.start");
  });
  return Effect.acquireRelease(acquire, () => stopped(core, TERMINATED));
}

function spawn<F extends TaskFunction>(
  options: ProcessOptions<F>,
): Effect.Effect<Process<F>, ProcessStartError, Scope.Scope> {
  let process: Process<F>;
  try {
    // Made now, while the caller's module is on the stack (its target is found there).
    process = new Process(options);
  } catch (misuse) {
    return Effect.die(misuse);
  }
  return start(process);
}

function join<F extends TaskFunction>(
  process: Process<F>,
): Effect.Effect<ResultOf<F> | undefined, ProcessError | TaskFailure<F>> {
  const core = coreFor("join", process);
  if (core instanceof TypeError) return Effect.die(core);
  return Effect.callback<ResultOf<F> | undefined, ProcessError | TaskFailure<F>>((resume) => {
    if (core.closed) return resume(Effect.die(closedError(process.name, "join")));
    const stop = core.whenGone((end) => {
      if (end === null) {
        resume(Effect.die(new Error(`Cannot join process '${process.name}' before it started`)));
      } else if (end.kind === "failed") resume(failOrDie(end.error as TaskFailure<F>));
      else resume(Effect.succeed(end.kind === "returned" ? end.value as ResultOf<F> : undefined));
    });
    return Effect.sync(stop);
  });
}

function terminate(process: Process<TaskFunction>): Effect.Effect<void> {
  const core = coreFor("terminate", process);
  return core instanceof TypeError ? Effect.die(core) : stopped(core, TERMINATED);
}

function kill(process: Process<TaskFunction>): Effect.Effect<void> {
  const core = coreFor("kill", process);
  return core instanceof TypeError ? Effect.die(core) : stopped(core, KILLED);
}

/** The functions of `ProcessEffect`: each takes the process first (but `spawn`). */
export interface ProcessEffectApi {
  /**
   * Makes a process and starts it in the current scope; closing the scope (normally, on
   * failure or on interruption) terminates it if it still runs and returns once it is
   * gone. Fails with `TaskNotFound` or `SerializationError` when nothing could start;
   * bad options are a defect.
   */
  readonly spawn: <F extends TaskFunction>(
    options: ProcessOptions<F>,
  ) => Effect.Effect<Process<F>, ProcessStartError, Scope.Scope>;
  /**
   * Starts a process made with `new` (a `Process` subclass, or `new ctx.Process(...)`)
   * in the current scope, as `spawn` does; gives the same process back.
   */
  readonly start: <P extends Process<TaskFunction>>(
    process: P,
  ) => Effect.Effect<P, ProcessStartError, Scope.Scope>;
  /**
   * Waits until the process is gone: its target's value (`undefined` after `terminate`
   * or `kill`), or the error it ended with: `TaskError` (the target threw),
   * `TaskNotFound` or `SerializationError` (found in the worker), `WorkerCrashed`; for a
   * target that returns an Effect, its typed failure (`TaskFailure`), and a defect
   * (`Effect.die`) dies here too. Interrupting it stops the waiting; the process keeps
   * running.
   */
  readonly join: <F extends TaskFunction>(
    process: Process<F>,
  ) => Effect.Effect<ResultOf<F> | undefined, ProcessError | TaskFailure<F>>;
  /** Terminates the process (exit code -15, SIGTERM) and returns once it is gone. */
  readonly terminate: (process: Process<TaskFunction>) => Effect.Effect<void>;
  /** Kills the process (exit code -9, SIGKILL) and returns once it is gone. */
  readonly kill: (process: Process<TaskFunction>) => Effect.Effect<void>;
}

/**
 * `Process` on the Effect face: `spawn` and `start` (scoped), `join`, `terminate`,
 * `kill`. The process is the same object as on the Promise face (`name`, `pid`,
 * `exitCode`, `isAlive()` are read from it directly).
 *
 * @example A failing target, as a typed error
 * ```ts
 * import { Effect } from "effect";
 * import { inline, ProcessEffect, TaskError } from "./effect.ts";
 * import assert from "node:assert/strict";
 *
 * const fail = inline(() => {
 *   throw new Error("no");
 * });
 *
 * const program = Effect.gen(function* () {
 *   const p = yield* ProcessEffect.spawn({ target: fail });
 *   return yield* Effect.flip(ProcessEffect.join(p));
 * });
 * const error = await Effect.runPromise(Effect.scoped(program));
 * assert.ok(error instanceof TaskError);
 * ```
 */
export const ProcessEffect: ProcessEffectApi = { spawn, start, join, terminate, kill };
