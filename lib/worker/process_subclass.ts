/**
 * A `Process` subclass in its child: the main side sends, as the process's target,
 * `runProcessSubclass` with where the subclass is exported and its constructor
 * arguments; here the subclass is imported (its source checked, as a task function's),
 * constructed with those arguments, and its `run()` called. Also holds whether this
 * process is daemonic (Python's rule: a daemonic process may not start children).
 *
 * Worker-side code: imports nothing from the main side. `lib/process.ts` reads the flags
 * below when the user's module, loaded here, constructs or starts a `Process`.
 *
 * @module
 */
import { importExport } from "./resolve.ts";

let constructing = false;
let daemonic = false;

/**
 * True while this child constructs the subclass it runs: `Process`'s constructor then
 * only keeps its options (nothing is looked up or started).
 */
export function constructingInChild(): boolean {
  return constructing;
}

/** Marks this process daemonic: run as its initializer, before its target. */
export function markDaemonic(): void {
  daemonic = true;
}

/** Whether this process is a daemonic `Process`'s (it may not start children). */
export function isDaemonic(): boolean {
  return daemonic;
}

/**
 * Constructs the subclass `name` exported by `module` with `args` and runs it: the
 * value (or rejection) of its `run()`, which may be async.
 */
export async function runProcessSubclass(
  module: string,
  name: string,
  source: string,
  args: unknown[],
): Promise<unknown> {
  const type = await importExport(module, name, source, "class");
  let instance: { run?: unknown };
  constructing = true;
  try {
    instance = Reflect.construct(type, args) as { run?: unknown };
  } finally {
    constructing = false;
  }
  if (typeof instance.run !== "function") {
    throw new TypeError(`Cannot run process class '${name}' as it has no run() method`);
  }
  return await (instance.run as () => unknown).call(instance);
}
