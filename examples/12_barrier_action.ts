/**
 * How do I run something once each time every process reached a point?
 *
 * ```text
 * Python                                      Deno
 * ------                                      ----
 * from multiprocessing import (               import { Barrier, Process } from "../mod.ts";
 *     Barrier, Process)
 *
 * def round_done():                           export function roundDone() {
 *     print("round done")                       console.log("round done");
 *                                             }
 *
 * def player(barrier, name):                  export function player(barrier: Barrier, name: string) {
 *     for r in range(2):                        for (let round = 0; round < 2; round++) {
 *         print(name, "played round", r)          console.log(name, "played round", round);
 *         barrier.wait()                          barrier.wait();
 *                                               }
 *                                             }
 *
 * if __name__ == "__main__":                  if (import.meta.main) {
 *     b = Barrier(3, action=round_done)         const b = new Barrier(3, { action: roundDone });
 *     ps = [Process(target=player,              const ps = ["a", "b", "c"].map((name) =>
 *           args=(b, n)) for n in "abc"]          new Process({ target: player, args: [b, name] }));
 *     ...start, join                            ...start, join
 *                                             }
 * ```
 *
 * The action runs once per round, in the process that arrived last, before any player
 * goes on: each "round done" comes after that round's three lines. It crosses into the
 * processes by reference, as a task function does: export it (here, from the same
 * module as the task, so it is loaded with it).
 *
 * Run it: `deno run -A examples/12_barrier_action.ts`
 *
 * @module
 */
import { Barrier, Process } from "../mod.ts";

/**
 * The barrier's action: says a round is over.
 *
 * @example
 * ```ts
 * import { roundDone } from "./12_barrier_action.ts";
 *
 * roundDone();
 * ```
 */
export function roundDone(): void {
  console.log("round done");
}

/**
 * Plays two rounds, waiting at the barrier after each.
 *
 * @example
 * ```ts
 * import { Barrier } from "../mod.ts";
 * import { player } from "./12_barrier_action.ts";
 *
 * player(new Barrier(1), "solo");
 * ```
 */
export function player(barrier: Barrier, name: string): void {
  for (let round = 0; round < 2; round++) {
    console.log(name, "played round", round);
    barrier.wait();
  }
}

/**
 * Three players, two rounds; "round done" is printed once per round.
 *
 * @example
 * ```ts
 * import { main } from "./12_barrier_action.ts";
 *
 * await main();
 * ```
 */
export async function main(): Promise<void> {
  const barrier = new Barrier(3, { action: roundDone });
  const players = ["a", "b", "c"].map((name) =>
    new Process({ target: player, args: [barrier, name] })
  );
  for (const p of players) await p.start();
  for (const p of players) await p.join();
}

if (import.meta.main) await main();
