/**
 * Finds the function a task reference names, inside the worker: imports its module
 * (once; the module cache keeps it) and checks that its source is the caller's.
 *
 * @module
 */
import type { TaskRef } from "../shared/protocol.ts";
import { whileImportingTaskModule } from "../shared/process_flags.ts";

/** Any function a task may be. */
// deno-lint-ignore no-explicit-any
export type AnyFunction = (...args: any[]) => unknown;

/** Thrown when a reference cannot be resolved; crosses back as `TaskNotFound`. */
export class TaskNotFoundSignal extends Error {
  override readonly name = "TaskNotFound";
}

/** Resolves `ref` to the function it names, or throws `TaskNotFoundSignal`. */
export async function resolveTask(ref: TaskRef): Promise<AnyFunction> {
  if (ref.kind === "inline") return compileInline(ref.name, ref.source);
  return await importExport(ref.module, ref.export, ref.source, "function");
}

/**
 * Imports `module` and gives its export `name`, a function (a class is one) whose source
 * text must be `source` (unless `source` is empty: the library's own entry points), or
 * throws `TaskNotFoundSignal` saying which of these failed. `what` names it in messages.
 */
export async function importExport(
  module: string,
  name: string,
  source: string,
  what: "function" | "class",
): Promise<AnyFunction> {
  let namespace: Record<string, unknown>;
  try {
    namespace = await whileImportingTaskModule(module, () => import(module));
  } catch (error) {
    throw new TaskNotFoundSignal(
      `Cannot import task module ${module} for '${name}': ${describe(error)}`,
      { cause: error },
    );
  }
  const found = namespace[name];
  if (typeof found !== "function") {
    throw new TaskNotFoundSignal(
      `Module ${module} has no exported ${what} '${name}' inside the worker: ` +
        `export it at the top level of that module`,
    );
  }
  if (source !== "" && String(found) !== source) {
    throw new TaskNotFoundSignal(
      `Export '${name}' of ${module} is not the ${what} the caller passed ` +
        `(its source differs in the worker): pass the ${what} the module exports, ` +
        `or use task(url, fn) to name its module`,
    );
  }
  return found as AnyFunction;
}

function compileInline(name: string, source: string): AnyFunction {
  // Indirect eval compiles in the global scope: the function sees no caller variables.
  const globalEval = eval;
  let compiled: unknown;
  try {
    compiled = globalEval(`(${source})`);
  } catch {
    try {
      // Method shorthand (`square(x) { ... }`) is only valid inside an object literal.
      compiled = (globalEval(`({${source}})`) as Record<string, unknown>)[name];
    } catch (error) {
      throw new TaskNotFoundSignal(
        `Cannot compile inline function '${name}' in the worker: ${describe(error)}; ` +
          `export it from its module instead`,
      );
    }
  }
  if (typeof compiled !== "function") {
    throw new TaskNotFoundSignal(
      `Inline source for '${name}' is not a function: export it from its module instead`,
    );
  }
  return compiled as AnyFunction;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
