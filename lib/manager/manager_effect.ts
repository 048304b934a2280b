/**
 * The `Manager` on the Effect face: a scoped resource, shut down with its scope. Its
 * proxies' calls are synchronous (a round trip through shared memory), so Effect code
 * uses them inside `Effect.sync`, or directly in a generator.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import type * as Scope from "effect/Scope";

/** Anything with `shutdown()`: the manager, seen from here without a cycle. */
interface ShutsDown {
  shutdown(): void;
}

/** A manager started by `start`, shut down when the scope closes; see `Manager.make`. */
export function make<M extends ShutsDown>(
  start: () => Promise<M>,
): Effect.Effect<M, never, Scope.Scope> {
  return Effect.acquireRelease(
    Effect.promise(start),
    (manager) => Effect.sync(() => manager.shutdown()),
  );
}
