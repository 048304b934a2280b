/**
 * `Process` with its Effect face: `Process.spawn` (a process scoped to the current
 * Scope) and `joinEffect`. Public through `@multiprocessing/deno/effect`; the Promise
 * face's `Process` (`process.ts`) loads no Effect.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import type * as Scope from "effect/Scope";
import { SerializationError, TaskNotFound } from "./errors.ts";
import { Process as PromiseProcess, type ProcessError, type ProcessOptions } from "./process.ts";
import type { ResultOf, TaskFunction } from "./types.ts";

/**
 * `Process` with its Effect face: everything the Promise face's `Process` has, plus
 * `Process.spawn` and `joinEffect`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect";
 * import { inline, Process } from "./effect.ts";
 * import assert from "node:assert/strict";
 *
 * const square = inline((x: number) => x * x);
 *
 * const program = Effect.gen(function* () {
 *   const p = yield* Process.spawn({ target: square, args: [3] });
 *   return yield* p.joinEffect;
 * });
 * assert.equal(await Effect.runPromise(Effect.scoped(program)), 9);
 * ```
 */
export class Process<F extends TaskFunction> extends PromiseProcess<F> {
  /**
   * The Effect face: starts a process in the current scope; closing the scope (or
   * interrupting it) terminates the process if it still runs.
   *
   * @example
   * ```ts
   * import { Effect } from "effect";
   * import { inline, Process } from "./effect.ts";
   * import assert from "node:assert/strict";
   *
   * const square = inline((x: number) => x * x);
   *
   * const program = Effect.gen(function* () {
   *   const p = yield* Process.spawn({ target: square, args: [3] });
   *   return yield* p.joinEffect;
   * });
   * assert.equal(await Effect.runPromise(Effect.scoped(program)), 9);
   * ```
   */
  static spawn<F extends TaskFunction>(
    options: ProcessOptions<F>,
  ): Effect.Effect<Process<F>, TaskNotFound | SerializationError, Scope.Scope> {
    let process: Process<F>;
    try {
      // `this`, so that a subclass (a context's, with its backend) spawns its own kind.
      process = new this(options);
    } catch (misuse) {
      return Effect.die(misuse);
    }
    return Effect.acquireRelease(
      Effect.tryPromise({
        try: () => process.start(),
        catch: (error) => error,
      }).pipe(
        // Typed failures stay typed; misuse (a refused sandbox, a bad option) is a defect.
        Effect.catch((error) =>
          error instanceof TaskNotFound || error instanceof SerializationError
            ? Effect.fail(error)
            : Effect.die(error)
        ),
        Effect.as(process),
      ),
      (started) => Effect.sync(() => started.isAlive() && started.terminate()),
    );
  }

  /** `join()` on the Effect face: the target's value, or its typed error. */
  get joinEffect(): Effect.Effect<ResultOf<F> | undefined, ProcessError> {
    return Effect.tryPromise({ try: () => this.join(), catch: (error) => error as ProcessError });
  }
}
