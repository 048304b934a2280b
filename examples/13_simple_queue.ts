/**
 * How do I pass results back with the simplest queue?
 *
 * ```text
 * Python                                      Deno
 * ------                                      ----
 * from multiprocessing import (               import { Process, SimpleQueue } from "../mod.ts";
 *     Process, SimpleQueue)
 *
 * def worker(q, n):                           export function worker(q: SimpleQueue<number>, n: number) {
 *     q.put(n * n)                              q.put(n * n);
 *                                             }
 *
 * if __name__ == "__main__":                  if (import.meta.main) {
 *     q = SimpleQueue()                         const q = new SimpleQueue<number>();
 *     ps = [Process(target=worker,              const ps = [1, 2, 3].map((n) =>
 *           args=(q, n)) for n in (1, 2, 3)]      new Process({ target: worker, args: [q, n] }));
 *     ...start, join                            ...start, join
 *     print(sorted(q.get() for _ in ps))        console.log(...await q.get() x3, sorted);
 *     q.close()                                 q.close();
 *                                             }
 * ```
 *
 * `SimpleQueue` has only `put`, `get`, `empty` and `close`; `put` never waits (no size
 * limit). Use `Queue` for `maxsize`, timeouts on `put`, `qsize` and the rest.
 *
 * Run it: `deno run -A examples/13_simple_queue.ts`
 *
 * @module
 */
import { Process, SimpleQueue } from "../mod.ts";

/**
 * Puts n² on the queue.
 *
 * @example
 * ```ts
 * import { SimpleQueue } from "../mod.ts";
 * import { worker } from "./13_simple_queue.ts";
 * import assert from "node:assert/strict";
 *
 * const q = new SimpleQueue<number>();
 * worker(q, 3);
 * assert.equal(await q.get(), 9);
 * ```
 */
export function worker(q: SimpleQueue<number>, n: number): void {
  q.put(n * n);
}

/**
 * Three processes each put a square; prints `[ 1, 4, 9 ]`.
 *
 * @example
 * ```ts
 * import { main } from "./13_simple_queue.ts";
 *
 * await main();
 * ```
 */
export async function main(): Promise<void> {
  const q = new SimpleQueue<number>();
  const processes = [1, 2, 3].map((n) => new Process({ target: worker, args: [q, n] }));
  for (const p of processes) await p.start();
  for (const p of processes) await p.join();
  const squares: number[] = [];
  while (!q.empty()) squares.push(await q.get());
  console.log(squares.sort((a, b) => a - b));
  q.close();
}

if (import.meta.main) await main();
