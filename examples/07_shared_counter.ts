/**
 * How do four processes add to one shared counter without losing updates?
 *
 * ```text
 * Python                                      Deno
 * ------                                      ----
 * from multiprocessing import (               import { Lock, Process, Value } from "../mod.ts";
 *     Lock, Process, Value)
 *
 * def add(counter, lock):                     export function add(counter: Value, lock: Lock) {
 *     for _ in range(10_000):                   for (let i = 0; i < 10_000; i++) {
 *         with lock:                              using _held = lock.hold();
 *             counter.value += 1                  counter.value += 1;
 *                                               }
 *                                             }
 *
 * if __name__ == "__main__":                  if (import.meta.main) {
 *     counter = Value("i", 0)                   const counter = new Value("i", 0);
 *     lock = Lock()                             const lock = new Lock();
 *     ps = [Process(target=add,                 const ps = [1, 2, 3, 4].map(() =>
 *                   args=(counter, lock))         new Process({ target: add, args: [counter, lock] }));
 *           for _ in range(4)]
 *     for p in ps: p.start()                    for (const p of ps) await p.start();
 *     for p in ps: p.join()                     for (const p of ps) await p.join();
 *     print(counter.value)  # 40000             console.log(counter.value); // 40000
 *                                             }
 * ```
 *
 * `lock.hold()` is Python's `with lock:` (`lock.acquire()` ... `lock.release()` works
 * too). It blocks the process while it waits, as in Python, with `Atomics.wait`; code
 * that must keep an event loop turning uses `await lock.acquireAsync()`.
 *
 * Without the lock, `counter.value += 1` is a read and a write: two processes read the
 * same number, both write it plus one, and an update is lost. The second run below
 * starts four processes at once (a `Barrier`), each adding 1,000,000 with no lock
 * (10,000 are over before the next process even starts): its total is usually well
 * below 4,000,000, and different on each run.
 *
 * Run it: `deno run -A examples/07_shared_counter.ts`
 *
 * @module
 */
import { Barrier, Lock, Process, Value } from "../mod.ts";

/**
 * Adds 1 to the counter 10,000 times, each under the lock.
 *
 * @example In one process
 * ```ts
 * import { add } from "./07_shared_counter.ts";
 * import { Lock } from "../mod.ts";
 * import { Value } from "../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const counter = new Value("i", 0);
 * add(counter, new Lock());
 * assert.equal(counter.value, 10_000);
 * ```
 */
export function add(counter: Value, lock: Lock): void {
  for (let i = 0; i < 10_000; i++) {
    using _held = lock.hold();
    counter.value += 1;
  }
}

/**
 * Adds 1 to the counter `times` times with no lock, once every party reached `start`.
 *
 * @example In one process (nothing to race with: nothing is lost)
 * ```ts
 * import { addUnlocked } from "./07_shared_counter.ts";
 * import { Barrier } from "../mod.ts";
 * import { Value } from "../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const counter = new Value("i", 0, { lock: false });
 * addUnlocked(counter, new Barrier(1), 10_000);
 * assert.equal(counter.value, 10_000);
 * ```
 */
export function addUnlocked(counter: Value, start: Barrier, times: number): void {
  start.wait();
  for (let i = 0; i < times; i++) counter.value += 1;
}

/** Four processes add to one counter: with the lock, then without. */
export async function main(): Promise<void> {
  const counter = new Value("i", 0);
  const lock = new Lock();
  const ps = [1, 2, 3, 4].map(() => new Process({ target: add, args: [counter, lock] }));
  for (const p of ps) await p.start();
  for (const p of ps) await p.join();
  console.log(counter.value);

  const unlocked = new Value("i", 0, { lock: false });
  const start = new Barrier(4);
  const racers = [1, 2, 3, 4].map(() =>
    new Process({ target: addUnlocked, args: [unlocked, start, 1_000_000] })
  );
  for (const p of racers) await p.start();
  for (const p of racers) await p.join();
  console.log(`without the lock: ${unlocked.value} of 4000000`);
}

if (import.meta.main) await main();
