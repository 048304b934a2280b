/**
 * How do I choose what a process is, as Python's `get_context("spawn")`?
 *
 * ```text
 * Python                                      Deno
 * ------                                      ----
 * import multiprocessing as mp                import { getContext } from "../mod.ts";
 *
 * def where(x):                               export function where(x: number) {
 *     return x, os.getpid()                     return [x, Deno.pid];
 *                                             }
 *
 * if __name__ == "__main__":                  if (import.meta.main) {
 *     ctx = mp.get_context("spawn")             const ctx = getContext("subprocess");
 *     with ctx.Pool(2) as pool:                 await using pool = await ctx.Pool.open({ processes: 2 });
 *         print(pool.map(where, [1, 2]))        console.log(await pool.map(where, [1, 2]));
 *     p = ctx.Process(target=where,             const p = new ctx.Process({ target: where, args: [3] });
 *                     args=(3,))
 * ```
 *
 * Python's start methods map onto this library's two backends: `"worker"` (the
 * default: Web Workers in this OS process, quick, sharing memory) and `"subprocess"`
 * (child `deno` processes: their own OS pid, killable while busy, no shared memory).
 * A context is the same API with that backend chosen once.
 *
 * Run it: `deno run -A examples/14_contexts.ts`
 *
 * @module
 */
import { getContext } from "../mod.ts";

/**
 * `[x, the OS pid it ran in]`.
 *
 * @example
 * ```ts
 * import { where } from "./14_contexts.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(where(1), [1, Deno.pid]);
 * ```
 */
export function where(x: number): [number, number] {
  return [x, Deno.pid];
}

/**
 * Runs `where` on a worker context and on a subprocess context, and prints whether
 * each ran in this OS process.
 *
 * @example
 * ```ts
 * import { main } from "./14_contexts.ts";
 *
 * await main();
 * ```
 */
export async function main(): Promise<void> {
  for (const method of ["worker", "subprocess"] as const) {
    const ctx = getContext(method);
    await using pool = await ctx.Pool.open({ processes: 2 });
    const pids = (await pool.map(where, [1, 2])).map(([, pid]) => pid);
    const p = new ctx.Process({ target: where, args: [3] });
    await p.start();
    const [, processPid] = await p.join() as [number, number];
    const here = [...pids, processPid].map((pid) => pid === Deno.pid);
    console.log(`${ctx.getStartMethod()}: ran in this OS process? ${here.join(", ")}`);
  }
}

if (import.meta.main) await main();
