/**
 * How do processes share a dict, a list and a namespace?
 *
 * ```text
 * Python                                      Deno
 * ------                                      ----
 * from multiprocessing import (               import { Manager, Process } from "../mod.ts";
 *     Manager, Process)
 *
 * def work(d, l, ns, lock, name):             export function work(d, l, ns, lock, name) {
 *     for _ in range(100):                      for (let i = 0; i < 100; i++) {
 *         with lock:                              using _held = lock.hold();
 *             d[name] = d.get(name, 0) + 1        d.set(name, (d.get(name) ?? 0) + 1);
 *             l.append(name)                      l.append(name);
 *             ns.total += 1                       ns.total += 1;
 *                                               }
 *                                             }
 *
 * if __name__ == "__main__":                  if (import.meta.main) {
 *     with Manager() as m:                      await using m = await Manager.start();
 *         d, l = m.dict(), m.list()               const d = m.dict(), l = m.list();
 *         ns = m.Namespace(total=0)               const ns = m.Namespace({ total: 0 });
 *         lock = m.Lock()                         const lock = m.Lock();
 *         ...4 processes, start, join             ...4 processes, start, join
 *         print(dict(d), len(l), ns.total)        console.log(d.copy(), l.length, ns.total);
 *                                             }
 * ```
 *
 * The manager's server is a dedicated worker holding the objects; each proxy call is a
 * round trip to it through shared memory (about 20 µs), synchronous as in Python. The
 * lock makes each read-then-write step whole: without it, updates would be lost.
 *
 * Run it: `deno run -A examples/11_manager.ts`
 *
 * @module
 */
import { type DictProxy, type ListProxy, type Lock, Manager, Process } from "../mod.ts";

/**
 * Counts 100 steps for `name` in the dict, the list and the namespace, under the lock.
 *
 * @example
 * ```ts
 * import { Manager } from "../mod.ts";
 * import { work } from "./11_manager.ts";
 * import assert from "node:assert/strict";
 *
 * await using m = await Manager.start();
 * const ns = m.Namespace({ total: 0 });
 * work(m.dict(), m.list(), ns, m.Lock(), "main");
 * assert.equal(ns.total, 100);
 * ```
 */
export function work(
  d: DictProxy<string, number>,
  l: ListProxy<string>,
  ns: { total: number },
  lock: Lock,
  name: string,
): void {
  for (let i = 0; i < 100; i++) {
    using _held = lock.hold();
    d.set(name, (d.get(name) ?? 0) + 1);
    l.append(name);
    ns.total += 1;
  }
}

/**
 * Four processes share a manager's dict, list and namespace; prints each process's
 * count, the list's length (400) and the namespace's total (400).
 *
 * @example
 * ```ts
 * import { main } from "./11_manager.ts";
 *
 * await main();
 * ```
 */
export async function main(): Promise<void> {
  await using manager = await Manager.start();
  const d = manager.dict<string, number>();
  const l = manager.list<string>();
  const ns = manager.Namespace({ total: 0 });
  const lock = manager.Lock();
  const processes = ["a", "b", "c", "d"].map((name) =>
    new Process({ target: work, args: [d, l, ns, lock, name] })
  );
  for (const p of processes) await p.start();
  for (const p of processes) await p.join();
  console.log(d.copy(), l.length, ns.total);
}

if (import.meta.main) await main();
