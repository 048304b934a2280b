/**
 * Helpers of the Effect face's pool tests: a scoped test that leaves no worker behind,
 * waiting on shared memory, and the check that a cancelled call left nothing queued.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Effect, type Scope } from "effect";
import type { EffectPool } from "../lib/pool_effect.ts";
import { assertNoLiveWorkers } from "../lib/testing.ts";
import { GATE, increment, STARTED } from "./fixtures/pool_tasks.ts";

/** Runs an Effect test with a scope; no worker may outlive it. */
export function itEffect(
  name: string,
  body: () => Effect.Effect<void, unknown, Scope.Scope>,
): void {
  Deno.test(name, async () => {
    await Effect.runPromise(Effect.scoped(Effect.suspend(body)));
    await assertNoLiveWorkers();
  });
}

/**
 * Waits until `view[slot] >= target`, woken by the tasks' `Atomics.notify`; fails
 * after 10 s without a change.
 */
export const waitUntil = (view: Int32Array, slot: number, target: number) =>
  Effect.promise(async () => {
    for (let seen = Atomics.load(view, slot); seen < target; seen = Atomics.load(view, slot)) {
      const { async, value } = Atomics.waitAsync(view, slot, seen, 10_000);
      if (async && (await value) === "timed-out") {
        throw new Error(`view[${slot}] stayed at ${seen}, below ${target}`);
      }
    }
  });

/**
 * After a call of `startThenHold` over many items was cancelled while its first chunks
 * held the workers: opens the gate and runs eight more items, queued behind whatever
 * the cancelled call left. Had its queued chunks not been dropped, they would run first
 * and count themselves as started; the pool must also be back at full size.
 * `mayHaveStarted`: how many chunks had reached a worker (and so may have run) when the
 * call was cancelled; by default, the two each held worker can hold.
 */
export const servesAfterCancel = (
  pool: EffectPool,
  view: Int32Array,
  mayHaveStarted: number = 2 * pool.processes,
) =>
  Effect.gen(function* () {
    Atomics.store(view, GATE, 1);
    const input = [0, 1, 2, 3, 4, 5, 6, 7];
    assert.deepEqual(
      yield* pool.map(increment, input, { chunksize: 1 }),
      input.map((x) => x + 1),
    );
    const started = Atomics.load(view, STARTED);
    assert.ok(started <= mayHaveStarted, `started ${started}: cancelled chunks ran`);
    assert.equal((yield* pool.stats).workers, pool.processes);
  });
