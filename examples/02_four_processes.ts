/**
 * How do four processes each print their name?
 *
 * ```text
 * Python                                      Deno
 * ------                                      ----
 * from multiprocessing import (               import { currentProcess, Process } from "../mod.ts";
 *     Process, current_process)
 *                                             export function f(n: number): void {
 * def f(n):                                     console.log(`Process ${currentProcess().name}: ${n}`);
 *     print(f"Process                         }
 *       {current_process().name}: {n}")
 *                                             if (import.meta.main) {
 * if __name__ == "__main__":                    const ps = [1, 2, 3, 4].map((n) =>
 *     ps = [Process(target=f, args=(n,))          new Process({ target: f, args: [n], name: `Process-${n}` })
 *           for n in range(1, 5)]               );
 *     for p in ps: p.start()                    for (const p of ps) await p.start();
 *     for p in ps: p.join()                     for (const p of ps) await p.join();
 *                                             }
 * ```
 *
 * The four run at once, so the lines may come in any order. Each process is named
 * `Process-N` explicitly, so the numbers match even when other processes were created
 * earlier in the same program (as in the CLI's `demo`); alone, the default names would
 * be the same.
 *
 * Run it: `deno run -A examples/02_four_processes.ts`
 *
 * @module
 */
import { currentProcess, Process } from "../mod.ts";

/**
 * Prints the name of the process it runs in, and its number.
 *
 * @example In the main program
 * ```ts
 * import { f } from "./02_four_processes.ts";
 *
 * f(0); // Process MainProcess: 0
 * ```
 */
export function f(n: number): void {
  console.log(`Process ${currentProcess().name}: ${n}`);
}

/**
 * Starts four processes, then joins them all.
 *
 * @example
 * ```ts
 * import { main } from "./02_four_processes.ts";
 *
 * await main();
 * ```
 */
export async function main(): Promise<void> {
  const ps = [1, 2, 3, 4].map((n) => new Process({ target: f, args: [n], name: `Process-${n}` }));
  for (const p of ps) await p.start();
  for (const p of ps) await p.join();
}

if (import.meta.main) await main();
