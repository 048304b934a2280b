/**
 * A `Process` subclass in its child: the main side sends, as the process's target,
 * `runProcessSubclass` with where the subclass is exported and its constructor
 * arguments; here the subclass is imported (its source checked, as a task function's),
 * constructed with those arguments, and its `run()` called. Also holds whether this
 * process is daemonic: `markDaemonic` runs as its initializer (the flags themselves live
 * in `lib/shared/process_flags.ts`, which `lib/process.ts` and `lib/process_core.ts` read).
 *
 * @module
 */
import { importExport } from "./resolve.ts";
import { whileConstructing } from "../shared/process_flags.ts";

export { markDaemonic } from "../shared/process_flags.ts";

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
  const instance = whileConstructing(() => Reflect.construct(type, args) as { run?: unknown });
  if (typeof instance.run !== "function") {
    throw new TypeError(`Cannot run process class '${name}' as it has no run() method`);
  }
  return await (instance.run as () => unknown).call(instance);
}
