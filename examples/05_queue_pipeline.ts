/**
 * How do processes hand work to each other through a queue?
 *
 * ```text
 * Python                                      Deno
 * ------                                      ----
 * from multiprocessing import Process, Queue  import { Process, Queue } from "../mod.ts";
 *
 * def producer(q):                            export async function producer(q: Queue<number | null>) {
 *     for i in range(10):                       for (let i = 0; i < 10; i++) await q.put(i);
 *         q.put(i)                              await q.put(null);
 *     q.put(None)                             }
 *
 * def consumer(q, results):                   export async function consumer(q, results) {
 *     while True:                               for (;;) {
 *         item = q.get()                          const item = await q.get();
 *         if item is None:                        if (item === null) break;
 *             break                               await results.put(item * item);
 *         results.put(item * item)              }
 *                                             }
 *
 * if __name__ == "__main__":                  if (import.meta.main) {
 *     q, results = Queue(), Queue()             const q = new Queue(), results = new Queue();
 *     p = Process(target=producer, args=(q,))   const p = new Process({ target: producer, args: [q] });
 *     c = Process(target=consumer,              const c = new Process({ target: consumer,
 *                 args=(q, results))                                    args: [q, results] });
 *     p.start(); c.start()                      await p.start(); await c.start();
 *     p.join(); c.join()                        await p.join(); await c.join();
 *     print([results.get()                      console.log(await Promise.all(
 *            for _ in range(10)])                 Array.from({ length: 10 }, () => results.get())));
 *                                             }
 * ```
 *
 * Prints `[0, 1, 4, 9, 16, 25, 36, 49, 64, 81]`. The queues are passed as arguments:
 * each process gets the same queue (shared memory), with no extra code. Queue calls are
 * Promises; a `maxsize` makes `put` wait for room, and `get({ timeout })` fails with
 * `Empty` as Python's does.
 *
 * Run it: `deno run -A examples/05_queue_pipeline.ts`
 *
 * @module
 */
import { Process, Queue } from "../mod.ts";

/**
 * Puts 0..9 on the queue, then `null` to say it is done.
 *
 * @example In one process
 * ```ts
 * import { producer } from "./05_queue_pipeline.ts";
 * import { Queue } from "../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const q = new Queue<number | null>();
 * await producer(q);
 * assert.equal(q.qsize(), 11);
 * ```
 */
export async function producer(q: Queue<number | null>): Promise<void> {
  for (let i = 0; i < 10; i++) await q.put(i);
  await q.put(null);
}

/**
 * Squares what comes from `q` onto `results`, until `null`.
 *
 * @example In one process
 * ```ts
 * import { consumer } from "./05_queue_pipeline.ts";
 * import { Queue } from "../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const q = new Queue<number | null>();
 * const results = new Queue<number>();
 * await q.put(3);
 * await q.put(null);
 * await consumer(q, results);
 * assert.equal(await results.get(), 9);
 * ```
 */
export async function consumer(q: Queue<number | null>, results: Queue<number>): Promise<void> {
  for (;;) {
    const item = await q.get();
    if (item === null) break;
    await results.put(item * item);
  }
}

/** Runs the pipeline: a producer process and a consumer process joined by a queue. */
export async function main(): Promise<void> {
  const q = new Queue<number | null>();
  const results = new Queue<number>();
  const p = new Process({ target: producer, args: [q] });
  const c = new Process({ target: consumer, args: [q, results] });
  await p.start();
  await c.start();
  await p.join();
  await c.join();
  console.log(await Promise.all(Array.from({ length: 10 }, () => results.get())));
}

if (import.meta.main) await main();
