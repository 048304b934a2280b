/**
 * Effect inside the worker: a task may return an `Effect`, and the worker runs it.
 *
 * ```text
 * Python                                       Deno (Effect face)
 * ------                                       ------------------
 * class UserNotFound(Exception): ...           class UserNotFound extends Data.TaggedError(
 *                                                "UserNotFound")<{ id: number }> {}
 * def find_user(id):                           export const findUser = (id: number) =>
 *     if id % 2: raise UserNotFound(id)          id % 2 ? Effect.fail(new UserNotFound({ id }))
 *     return f"user-{id}"                               : Effect.succeed(`user-${id}`);
 *
 * with Pool(1) as pool:                        const pool = yield* Pool.make({ processes: 1 });
 *     try:                                     yield* pool.apply(findUser, [7]).pipe(
 *         pool.apply(find_user, (7,))            Effect.catchTag("UserNotFound", (e) => ...));
 *     except UserNotFound as e: ...
 *     r = pool.apply_async(work)               const fiber = yield* Effect.forkChild(
 *     r.get(timeout=0.1)  # gives up waiting;    pool.apply(useConnection, [cells]));
 *     # the task runs on; nothing cleans up     yield* Fiber.interrupt(fiber); // the worker's
 *                                              // fiber is interrupted: its finalizer runs there
 * ```
 *
 * The task's typed failure arrives in the caller's error channel as the same tagged
 * error, so `Effect.catchTag` takes it; a defect (`Effect.die`, a throw inside) arrives
 * as a defect. Interrupting the caller interrupts the task's fiber in the worker: its
 * finalizers (`acquireRelease`, `addFinalizer`) run there, and the worker serves the
 * next task. Only a worker given an Effect loads Effect's runtime.
 *
 * Run it: `deno run -A examples/18_effect_in_worker.ts`
 *
 * @module
 */
import { Data, Effect, Fiber } from "effect";
import { Pool } from "../lib/effect.ts";

/** The task's typed failure: a tagged error, caught by its tag in the caller. */
export class UserNotFound extends Data.TaggedError("UserNotFound")<{ readonly id: number }> {}

/**
 * x², as an Effect.
 *
 * @example
 * ```ts
 * import { Effect } from "effect";
 * import { square } from "./18_effect_in_worker.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(Effect.runSync(square(4)), 16);
 * ```
 */
export function square(x: number): Effect.Effect<number> {
  return Effect.succeed(x * x);
}

/**
 * A user's name; odd ids fail with `UserNotFound`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect";
 * import { findUser } from "./18_effect_in_worker.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(Effect.runSync(findUser(2)), "user-2");
 * ```
 */
export function findUser(id: number): Effect.Effect<string, UserNotFound> {
  return id % 2 === 1 ? Effect.fail(new UserNotFound({ id })) : Effect.succeed(`user-${id}`);
}

/** Cells shared with the worker: [0] the task started, [1] its connection is closed. */
const STARTED = 0;
const CLOSED = 1;

/**
 * Opens a "connection" (closed by its finalizer, in the worker), says it started, and
 * works until it is interrupted.
 *
 * @example
 * ```ts
 * import { Effect, Fiber } from "effect";
 * import { useConnection } from "./18_effect_in_worker.ts";
 * import assert from "node:assert/strict";
 *
 * const cells = new SharedArrayBuffer(8);
 * const fiber = Effect.runFork(useConnection(cells));
 * await Effect.runPromise(Fiber.interrupt(fiber));
 * assert.equal(new Int32Array(cells)[1], 1);
 * ```
 */
export function useConnection(cells: SharedArrayBuffer): Effect.Effect<never, never, never> {
  const view = new Int32Array(cells);
  return Effect.scoped(Effect.gen(function* () {
    yield* Effect.acquireRelease(
      Effect.succeed("connection"),
      () => Effect.sync(() => Atomics.store(view, CLOSED, 1)),
    );
    Atomics.store(view, STARTED, 1);
    Atomics.notify(view, STARTED);
    return yield* Effect.never;
  }));
}

/** The program: a map, a tagged failure caught by tag, and an interrupted task. */
const program = Effect.scoped(Effect.gen(function* () {
  const pool = yield* Pool.make({ processes: 1 });
  const squares = yield* pool.map(square, [1, 2, 3]);
  console.log(`squares: ${squares.join(", ")}`);

  for (const id of [2, 7]) {
    const user = yield* pool.apply(findUser, [id]).pipe(
      Effect.catchTag(
        "UserNotFound",
        (error) => Effect.succeed(`caught ${error._tag} (id ${error.id})`),
      ),
    );
    console.log(`user ${id}: ${user}`);
  }

  const cells = new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
  const view = new Int32Array(cells);
  const fiber = yield* Effect.forkChild(pool.apply(useConnection, [cells]));
  // Wait until the task runs in the worker, then interrupt the caller's fiber.
  yield* Effect.promise(async () => {
    const started = Atomics.waitAsync(view, STARTED, 0);
    if (started.async) await started.value;
  });
  yield* Fiber.interrupt(fiber);
  // One worker: this runs once the interrupted task has finished its finalizers.
  yield* pool.map(square, [4]);
  const stats = yield* pool.stats;
  console.log(
    `cancelled: the worker ${
      Atomics.load(view, CLOSED) === 1 ? "closed its connection" : "did NOT close its connection"
    }, then served the next task${stats.replaced === 0 ? "" : " (after a replacement)"}`,
  );
}));

/**
 * Runs the program.
 *
 * @example
 * ```ts
 * import { main } from "./18_effect_in_worker.ts";
 *
 * await main();
 * ```
 */
export async function main(): Promise<void> {
  await Effect.runPromise(program);
}

if (import.meta.main) await main();
