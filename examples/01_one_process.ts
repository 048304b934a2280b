/**
 * How do I run a function in its own process?
 *
 * ```text
 * Python                                      Deno
 * ------                                      ----
 * from multiprocessing import Process         import { currentProcess, Process } from "../mod.ts";
 *
 * def f(name):                                export function f(name: string): void {
 *     print("hello", name, "from",              console.log(`hello ${name} from ${currentProcess().name}`);
 *           current_process().name)           }
 *
 * if __name__ == "__main__":                  if (import.meta.main) {
 *     p = Process(target=f, args=("bob",))      const p = new Process({ target: f, args: ["bob"] });
 *     p.start()                                 await p.start();
 *     p.join()                                  await p.join();
 *                                             }
 * ```
 *
 * `f` is exported because it crosses into the worker by reference: the worker imports
 * this module again, where `import.meta.main` is false, so only `f` is used there.
 *
 * Run it: `deno run -A examples/01_one_process.ts`
 *
 * @module
 */
import { currentProcess, Process } from "../mod.ts";

/**
 * Greets from whichever process runs it.
 *
 * @example In the main program
 * ```ts
 * import { f } from "./01_one_process.ts";
 *
 * f("alice"); // hello alice from MainProcess
 * ```
 */
export function f(name: string): void {
  console.log(`hello ${name} from ${currentProcess().name}`);
}

/**
 * Starts one process running `f("bob")` and waits for it.
 *
 * @example
 * ```ts
 * import { main } from "./01_one_process.ts";
 *
 * await main();
 * ```
 */
export async function main(): Promise<void> {
  const p = new Process({ target: f, args: ["bob"] });
  await p.start();
  await p.join();
  console.log(`${p.name} exited with code ${p.exitCode}`);
}

if (import.meta.main) await main();
