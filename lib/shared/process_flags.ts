/**
 * Three facts about this process that both sides read: whether it is constructing the
 * `Process` subclass it runs (set by the worker side's runner, read by `Process`'s
 * constructor), whether it is daemonic (Python's rule: a daemonic process may not
 * start children), and which task module it is importing (set by the worker side's
 * resolver, read by `Pool.open` and `Process.start`).
 *
 * @module
 */

let constructing = false;
let daemonic = false;
/** The task modules this worker is importing now, by URL (usually none or one). */
const importing: string[] = [];

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

/**
 * Runs `load` (the import of the task module `url`) with {@linkcode taskModuleImporting}
 * naming it until `load` settles.
 */
export async function whileImportingTaskModule<A>(url: string, load: () => Promise<A>): Promise<A> {
  importing[importing.length] = url;
  try {
    return await load();
  } finally {
    // Removed by hand, in any order: task code may have patched Array's methods.
    let i = importing.length - 1;
    while (i > 0 && importing[i] !== url) i--;
    for (; i < importing.length - 1; i++) importing[i] = importing[i + 1]!;
    importing.length--;
  }
}

/**
 * The task module this worker is importing now (its top-level code is running), or
 * `null`. A pool or process started then is refused: the module's top-level code runs
 * in every worker that uses one of its functions, so a program whose main code is not
 * under `if (import.meta.main)` would start workers without end, each importing it.
 */
export function taskModuleImporting(): string | null {
  return importing.length === 0 ? null : importing[importing.length - 1]!;
}

/**
 * The error for starting a pool or a process (`action`) while this worker imports a task
 * module, or `null` when it does not.
 */
export function startDuringImport(action: string): TypeError | null {
  const url = taskModuleImporting();
  if (url === null) return null;
  return new TypeError(
    `Cannot ${action} while this worker imports the task module ${url}: its top-level ` +
      `code runs in every worker that uses one of its functions. Put the program's main ` +
      `code under if (import.meta.main) { ... }`,
  );
}
