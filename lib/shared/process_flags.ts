/**
 * Two facts about this process that both sides read: whether it is constructing the
 * `Process` subclass it runs (set by the worker side's runner, read by `Process`'s
 * constructor) and whether it is daemonic (Python's rule: a daemonic process may not
 * start children).
 *
 * @module
 */

let constructing = false;
let daemonic = false;

/**
 * True while this child constructs the subclass it runs: `Process`'s constructor then
 * only keeps its options (nothing is looked up or started).
 */
export function constructingInChild(): boolean {
  return constructing;
}

/** Runs `construct` with {@linkcode constructingInChild} true. */
export function whileConstructing<A>(construct: () => A): A {
  constructing = true;
  try {
    return construct();
  } finally {
    constructing = false;
  }
}

/** Marks this process daemonic: run as its initializer, before its target. */
export function markDaemonic(): void {
  daemonic = true;
}

/** Whether this process is a daemonic `Process`'s (it may not start children). */
export function isDaemonic(): boolean {
  return daemonic;
}
