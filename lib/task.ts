/**
 * Task references: how a function the caller holds becomes something a worker can load.
 * A function is sent by reference (module URL + export name), found automatically from
 * the call site, its imports (following re-exports), or the main module; or named
 * explicitly with `task()`; or sent as source text with `inline()`.
 *
 * @module
 */
import type { TaskFunction } from "./types.ts";
import { TaskNotFound } from "./errors.ts";
import type { TaskRef } from "./shared/protocol.ts";
import { declarationOf, findExport, resolveSpecifier, scanModule } from "./source_scan.ts";

const refs = new WeakMap<TaskFunction, TaskRef>();
const LIB_ROOT = new URL("./", import.meta.url).href;

/**
 * Names the module that exports `fn`, for when the automatic search cannot see it
 * (for example a function passed through a variable from a module the caller does not
 * import, or built at run time).
 *
 * @typeParam F The function's type, returned unchanged so types still flow.
 * @param moduleUrl The URL of the module exporting `fn`, usually `import.meta.url`.
 * @param fn The exported function.
 * @param exportName The name it is exported under.
 * @returns `fn` itself, now known by reference.
 *
 * @example Naming the module explicitly
 * ```ts
 * import { task } from "./task.ts";
 * import assert from "node:assert/strict";
 *
 * export function double(x: number): number {
 *   return 2 * x;
 * }
 * assert.equal(task(import.meta.url, double), double);
 * ```
 */
export function task<F extends TaskFunction>(
  moduleUrl: string | URL,
  fn: F,
  exportName: string = fn.name,
): F {
  checkModuleUrl("make a task", moduleUrl);
  if (typeof fn !== "function") {
    throw new TypeError(`Cannot make a task as 'fn' must be a function: received ${typeof fn}`);
  }
  if (exportName === "") {
    throw new TypeError(
      "Cannot make a task of an anonymous function: pass its export name as the third argument",
    );
  }
  refs.set(fn, {
    kind: "export",
    module: String(moduleUrl),
    export: exportName,
    source: String(fn),
  });
  return fn;
}

/** Checks that `moduleUrl` is a URL (or an absolute URL string): the worker imports it. */
function checkModuleUrl(action: string, moduleUrl: unknown): void {
  if (moduleUrl instanceof URL) return;
  if (typeof moduleUrl === "string" && URL.canParse(moduleUrl)) return;
  throw new TypeError(
    `Cannot ${action} as 'moduleUrl' must be the URL of the function's module ` +
      `(import.meta.url, or new URL("./work.ts", import.meta.url)): received ${
        typeof moduleUrl === "string" ? JSON.stringify(moduleUrl) : typeof moduleUrl
      }`,
  );
}

/**
 * Refers to an exported function by module and name, without importing it here: the
 * worker imports it. The returned stand-in throws if called on this side.
 *
 * @typeParam F The function's type, for typed results.
 * @param moduleUrl The module's URL (`new URL("./work.ts", import.meta.url)`).
 * @param exportName The export's name.
 * @returns A stand-in function that pools and processes accept.
 *
 * @example Referring to a function by name
 * ```ts
 * import { fromModule } from "./task.ts";
 * import assert from "node:assert/strict";
 *
 * const square = fromModule<(x: number) => number>("file:///app/math.ts", "square");
 * assert.throws(() => square(2), /runs only inside a worker/);
 * ```
 */
export function fromModule<F extends TaskFunction = TaskFunction>(
  moduleUrl: string | URL,
  exportName: string,
): F {
  checkModuleUrl("refer to a task", moduleUrl);
  if (typeof exportName !== "string" || exportName === "") {
    throw new TypeError(
      `Cannot refer to a task as 'exportName' must be the export's name: received ${
        typeof exportName === "string" ? "an empty string" : typeof exportName
      }`,
    );
  }
  const standIn = function () {
    throw new Error(
      `'${exportName}' from ${moduleUrl} is a reference that runs only inside a worker`,
    );
  };
  Object.defineProperty(standIn, "name", { value: exportName });
  // An empty source asks the worker not to compare sources: we never saw the function.
  refs.set(standIn, { kind: "export", module: String(moduleUrl), export: exportName, source: "" });
  return standIn as unknown as F;
}

/**
 * Sends a self-contained function as source text: it is compiled in the worker and
 * sees none of the variables or imports around it here. A `ReferenceError` inside it
 * becomes a `TaskError` that says to export the function instead.
 *
 * @typeParam F The function's type, returned unchanged.
 * @param fn A function that uses only its arguments and globals.
 * @returns `fn` itself, now sent inline.
 *
 * @example An inline arrow function
 * ```ts
 * import { inline } from "./task.ts";
 * import assert from "node:assert/strict";
 *
 * const cube = inline((x: number) => x ** 3);
 * assert.equal(cube(2), 8);
 * ```
 */
export function inline<F extends TaskFunction>(fn: F): F {
  if (typeof fn !== "function") {
    throw new TypeError(`Cannot inline a task as 'fn' must be a function: received ${typeof fn}`);
  }
  refs.set(fn, { kind: "inline", name: fn.name || "anonymous", source: String(fn) });
  return fn;
}

/**
 * The reference for `fn`, found once and cached. `site` is the URL of the caller's
 * module (see `callerModule`); it is only read when `fn` was not seen before.
 */
export function taskRef(fn: TaskFunction, site: () => string | undefined): TaskRef {
  const known = refs.get(fn);
  if (known) return known;
  const found = search(fn, site());
  refs.set(fn, found);
  return found;
}

/**
 * Checks a task's arguments: an array, spread into the call (`apply(f, [x])`, not
 * `apply(f, x)`).
 *
 * @throws {TypeError} They are not an array.
 */
export function checkTaskArgs(args: unknown): void {
  if (Array.isArray(args)) return;
  throw new TypeError(
    `Cannot run a task as its arguments must be an array ([x] for one): received ${
      args === null ? "null" : typeof args
    }`,
  );
}

/** The display name of a function, for messages. */
export function taskName(fn: TaskFunction): string {
  return fn.name || "anonymous function";
}

function search(fn: TaskFunction, site: string | undefined): TaskRef {
  if (typeof fn !== "function") {
    throw new TypeError(
      `Cannot run a task as its target must be a function: received ${typeof fn}`,
    );
  }
  const name = fn.name;
  const source = String(fn);
  const unreadable: string[] = [];
  if (name !== "" && !source.endsWith("{ [native code] }")) {
    const candidates = [site, Deno.mainModule].filter((url): url is string => url !== undefined);
    for (const url of candidates) {
      const scan = scanModule(url);
      if (scan === null) {
        unreadable.push(url);
        continue;
      }
      const exported = scan.exports.get(name);
      if (exported !== undefined) return { kind: "export", module: url, export: exported, source };
      const imported = scan.imports.get(name);
      if (imported !== undefined) {
        const module = resolveSpecifier(imported.specifier, url);
        if (module !== null) return { kind: "export", module, export: imported.name, source };
      }
      // `import { g } from "./mod.ts"` where g is `f` under another name (`import { f as
      // g }`, or mod.ts has `export { f as g } from`): the import's target says so.
      for (const imported of scan.imports.values()) {
        const module = resolveSpecifier(imported.specifier, url);
        if (module !== null && declarationOf(module, imported.name)?.local === name) {
          return { kind: "export", module, export: imported.name, source };
        }
      }
      // `import * as M from "./mod.ts"` and `M.f`: mod.ts may declare `f` or re-export it.
      for (const specifier of scan.namespaces) {
        const module = resolveSpecifier(specifier, url);
        const found = module === null ? null : findExport(module, name);
        if (found !== null) return { kind: "export", ...found, source };
      }
    }
  }
  throw notFound(fn, site, unreadable);
}

function notFound(fn: TaskFunction, site: string | undefined, unreadable: string[]): TaskNotFound {
  const label = fn.name === "" ? "an anonymous function" : `'${fn.name}'`;
  const where = site === undefined ? "the calling module" : shortName(site);
  const why = fn.name === ""
    ? "it has no name to import it by"
    : String(fn).endsWith("{ [native code] }")
    ? "it is a built-in or bound function"
    : `${where} neither exports it nor imports it from a module that does`;
  const permission = unreadable.length > 0
    ? ` (could not read ${
      unreadable.map(shortName).join(", ")
    }: allow reading it with --allow-read)`
    : "";
  return new TaskNotFound({
    task: fn.name,
    message: `Cannot send ${label} to a worker: ${why}${permission}. ` +
      `Export it (export function ${fn.name || "myTask"}(...)) from ${where}, ` +
      `or name its module with task(import.meta.url, fn), ` +
      `or send a self-contained function with inline(fn)`,
  });
}

function shortName(url: string): string {
  return url.slice(url.lastIndexOf("/") + 1) || url;
}

const FRAME_URL = /((?:file|https?):\/\/[^\s()]+?):\d+:\d+\)?\s*$/;

/**
 * The URL of the first module on the current stack outside this library and its
 * dependencies: the user's module that called us. Call it synchronously in the public
 * method the user called (an Effect's body runs later, from elsewhere).
 */
export function callerModule(): string | undefined {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 40;
  const stack = new Error().stack ?? "";
  Error.stackTraceLimit = limit;
  for (const line of stack.split("\n").slice(1)) {
    const url = line.match(FRAME_URL)?.[1];
    if (url === undefined || url.startsWith(LIB_ROOT)) continue;
    if (url.includes("/registry.npmjs.org/") || url.includes("/node_modules/")) continue;
    return url;
  }
  return undefined;
}
