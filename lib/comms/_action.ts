/**
 * Loading, inside a worker, a function a communication object carries by reference (a
 * `Barrier`'s action): an inline one is compiled at once; an exported one is imported,
 * once per module and export in this isolate, and is ready from then on.
 *
 * @module
 */
import type { TaskRef } from "../shared/protocol.ts";
import type { CarriedFunction } from "./wire.ts";

/** A function being loaded, or loaded. */
export type Loading =
  | { readonly ready: CarriedFunction }
  | { readonly pending: Promise<CarriedFunction> };

const cache = new Map<string, Loading>();

/** Starts loading the function `ref` names (or finds it loaded); never throws. */
export function loadFunction(ref: TaskRef): Loading {
  const key = ref.kind === "inline"
    ? `inline:${ref.source}`
    : `${ref.module}#${ref.export}#${ref.source}`;
  const known = cache.get(key);
  if (known !== undefined) return known;
  let loading: Loading;
  if (ref.kind === "inline") {
    try {
      loading = { ready: compile(ref.name, ref.source) };
    } catch (error) {
      loading = { pending: Promise.reject(error) };
    }
  } else {
    const pending = import(ref.module).then((namespace: Record<string, unknown>) => {
      const found = namespace[ref.export];
      if (typeof found !== "function") {
        throw new TypeError(
          `Module ${ref.module} has no exported function '${ref.export}' in this worker: ` +
            `export it at the top level of that module`,
        );
      }
      if (ref.source !== "" && String(found) !== ref.source) {
        throw new TypeError(
          `Export '${ref.export}' of ${ref.module} is not the function the caller passed ` +
            `(its source differs in the worker)`,
        );
      }
      cache.set(key, { ready: found as CarriedFunction });
      return found as CarriedFunction;
    });
    loading = { pending };
  }
  // A failed load is reported where the function is needed; never as unhandled here.
  if ("pending" in loading) loading.pending.catch(() => {});
  cache.set(key, loading);
  return loading;
}

function compile(name: string, source: string): CarriedFunction {
  // Indirect eval compiles in the global scope: the function sees no local variables.
  const globalEval = eval;
  let compiled: unknown;
  try {
    compiled = globalEval(`(${source})`);
  } catch {
    compiled = (globalEval(`({${source}})`) as Record<string, unknown>)[name];
  }
  if (typeof compiled !== "function") {
    throw new TypeError(`Inline source for '${name}' is not a function: export it instead`);
  }
  return compiled as CarriedFunction;
}
