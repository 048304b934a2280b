/**
 * Testing code that uses a pool: assert that no worker or child process of the library
 * outlived a test, with the pool or `Process` that owns each survivor and where it was
 * opened. Deno's own sanitizers do not see workers, so without this a test that never
 * closes its pool passes quietly.
 *
 * @example Checking every test of a file
 * ```ts
 * import { inline, Pool } from "../mod.ts";
 * import { assertNoLiveWorkers } from "./testing.ts";
 * import assert from "node:assert/strict";
 *
 * Deno.test.afterEach(assertNoLiveWorkers);
 *
 * Deno.test("squares", async () => {
 *   await using pool = await Pool.open({ processes: 2 });
 *   assert.deepEqual(await pool.map(inline((x: number) => x * x), [1, 2]), [1, 4]);
 * });
 * ```
 *
 * @module
 */
import {
  explain,
  liveEntries,
  liveProcessCount,
  type Owner,
  setWarnings,
  stopAll,
} from "./live_registry.ts";

/** A pool or `Process` that is still open or still has a live worker or child process. */
export interface LiveOwner {
  /** `"Pool"` or `"Process"`. */
  readonly kind: "Pool" | "Process";
  /**
   * How it was made: `"Pool.open"`, `"Pool.make"` (Effect face), `"new Process"`, or
   * `"ProcessEffect.start"` (a process started in a Scope, by `ProcessEffect.spawn`/`start`).
   */
  readonly madeBy: "Pool.open" | "Pool.make" | "new Process" | "ProcessEffect.start";
  /** The pool's name (its workers are `name-1`, `name-2`, ...) or the process's name. */
  readonly name: string;
  /** What its processes are: Web Workers, child `deno` processes or cluster runners. */
  readonly backend: "worker" | "subprocess" | "cluster";
  /** Where it was made, as `file:///path/to/module.ts:line:column`. */
  readonly openedAt: string;
  /** Whether it still runs: a pool neither closed nor terminated, a process not ended. */
  readonly open: boolean;
  /** Its workers or child processes alive now. */
  readonly workers: number;
}

/**
 * The pools and processes of this program that are open or still have a live worker or
 * child process, oldest first. Pools closed, terminated or disposed (`await using`)
 * whose processes are gone are not listed.
 *
 * @returns A snapshot: one entry per owner.
 *
 * @example
 * ```ts
 * import { Pool } from "../mod.ts";
 * import { liveOwners } from "./testing.ts";
 * import assert from "node:assert/strict";
 *
 * const pool = await Pool.open({ processes: 2, name: "resizer" });
 * const [owner] = liveOwners();
 * assert.equal(owner?.name, "resizer");
 * assert.equal(owner?.workers, 2);
 * await pool.terminate();
 * assert.deepEqual(liveOwners(), []);
 * ```
 */
export function liveOwners(): LiveOwner[] {
  return liveEntries().map(snapshot);
}

function snapshot(owner: Owner): LiveOwner {
  return {
    kind: owner.kind,
    madeBy: owner.madeBy,
    name: owner.name,
    backend: owner.backend,
    openedAt: owner.openedAt,
    open: owner.open(),
    workers: owner.workers(),
  };
}

/**
 * Fails when a worker or child process started by this library is still alive, or a
 * pool or `Process` is still open. The message names the pool or `Process` that owns
 * each survivor and the line that opened it. Before failing it terminates them and
 * waits until they are gone, so the next test starts clean.
 *
 * Await it at the end of a test (after awaiting `terminate()`, `join()` or the end of
 * an `await using` block), or run it after every test of a file with
 * `Deno.test.afterEach(assertNoLiveWorkers)`.
 *
 * @returns Resolves when nothing is alive.
 * @throws {Error} Something was alive; the message lists what and where it was opened.
 *
 * @example
 * ```ts
 * import { Pool } from "../mod.ts";
 * import { assertNoLiveWorkers } from "./testing.ts";
 * import assert from "node:assert/strict";
 *
 * {
 *   await using pool = await Pool.open({ processes: 1 });
 * }
 * await assertNoLiveWorkers();
 *
 * await Pool.open({ processes: 1, name: "forgotten" });
 * await assert.rejects(assertNoLiveWorkers(), /Pool 'forgotten' \(1 worker, made by Pool.open at/);
 * await assertNoLiveWorkers(); // the failed check stopped it
 * ```
 */
export async function assertNoLiveWorkers(): Promise<void> {
  const owners = liveEntries();
  const message = survivors(owners);
  if (message === null) return;
  await stopAll(owners);
  throw new Error(message);
}

/** The failure message for what is alive, or null when nothing is. */
function survivors(owners: readonly Owner[]): string | null {
  const total = liveProcessCount();
  if (owners.length === 0 && total === 0) return null;
  const lines = owners.map((owner) => `  - ${explain(owner)}`);
  const owned = owners.reduce((sum, owner) => sum + owner.workers(), 0);
  if (total > owned) {
    lines.push(
      `  - ${total - owned} that no open pool or process owns: a child process stopped or ` +
        `finished but not exited yet (await terminate() or join() before the test ends)`,
    );
  }
  return `${total} worker(s) or child process(es) of @multiprocessing/deno still alive ` +
    `(now stopped):\n${lines.join("\n")}`;
}

/**
 * Wraps a test function so that `assertNoLiveWorkers` runs after it: the test fails
 * if it left a worker or child process alive, which is stopped. A test that failed on
 * its own keeps its own error (what it left is stopped all the same). Works for
 * `Deno.test(name, fn)`, the options form, and `t.step(name, fn)`.
 *
 * @typeParam T The test's context (`Deno.TestContext`).
 * @param fn The test body.
 * @returns The test body, checked.
 *
 * @example
 * ```ts
 * import { inline, Pool } from "../mod.ts";
 * import { sanitizeWorkers } from "./testing.ts";
 * import assert from "node:assert/strict";
 *
 * const leaky = sanitizeWorkers(async () => {
 *   const pool = await Pool.open({ processes: 1 });
 *   await pool.apply(inline((x: number) => x + 1), [1]);
 * });
 * await assert.rejects(leaky(undefined), /made by Pool.open at/);
 * ```
 */
export function sanitizeWorkers<T>(
  fn: (t: T) => void | Promise<void>,
): (t: T) => Promise<void> {
  return async (t: T) => {
    try {
      await fn(t);
    } catch (error) {
      await assertNoLiveWorkers().catch(() => {});
      throw error;
    }
    await assertNoLiveWorkers();
  };
}

/**
 * Turns the one-line warning for a pool or process left open (garbage-collected while
 * open, or open when the program ends) off or on again. The environment variable
 * `MULTIPROCESSING_UNCLOSED_WARNING=0` turns it off too (read only when the program
 * may read it, so it never prompts).
 *
 * @param enabled `false` to stay silent.
 *
 * @example
 * ```ts
 * import { setUnclosedWarnings } from "./testing.ts";
 *
 * setUnclosedWarnings(false);
 * setUnclosedWarnings(true);
 * ```
 */
export function setUnclosedWarnings(enabled: boolean): void {
  if (typeof enabled !== "boolean") {
    throw new TypeError(
      `Cannot set unclosed warnings as 'enabled' must be a boolean: received ${typeof enabled}`,
    );
  }
  setWarnings(enabled);
}
