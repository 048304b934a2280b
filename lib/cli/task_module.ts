/**
 * The `<module> <export>` pair of `map` and `run`: where the module is, whether it
 * exports a function of that name, and the reference a worker loads it by. Checked on
 * the main side first, so a typo is one line of bad usage (exit code 2) rather than a
 * failure inside every worker.
 *
 * @module
 */
import type { TaskFunction } from "../types.ts";
import { fromModule } from "../task.ts";

/** Bad usage: what is wrong and what to do, in one line. */
export class UsageError extends Error {
  /** Makes the error from its one-line message. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** A module's export, checked on the main side and ready to send to workers. */
export interface TaskModule {
  /** The module's URL. */
  readonly url: string;
  /** The export's name. */
  readonly exportName: string;
  /** The stand-in a pool or process accepts: the worker imports the real function. */
  readonly fn: TaskFunction;
}

/** A specifier with a URL scheme (`file:`, `https:`), not a Windows drive letter. */
const SCHEME = /^[a-z][a-z0-9+.-]+:/i;

/**
 * Resolves a module specifier as a user types it: a path relative to `cwd`, an
 * absolute path, or a URL.
 *
 * @param specifier `./work.ts`, `/abs/work.ts`, `file:///abs/work.ts`, `https://...`.
 * @param cwd The folder relative paths start from.
 * @returns The module's URL.
 *
 * @example
 * ```ts
 * import { moduleUrl } from "./task_module.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(moduleUrl("./work.ts", "/app").href, "file:///app/work.ts");
 * assert.equal(moduleUrl("https://x.test/a.ts", "/app").href, "https://x.test/a.ts");
 * ```
 */
export function moduleUrl(specifier: string, cwd: string = Deno.cwd()): URL {
  if (SCHEME.test(specifier)) return new URL(specifier);
  const base = new URL(`file://${cwd.replaceAll("\\", "/").replace(/^(?=[^/])/, "/")}/`);
  return new URL(specifier.replaceAll("\\", "/").replaceAll("%", "%25"), base);
}

function needsRead(command: string, path: string): UsageError {
  return new UsageError(`${command}: needs read access to ${path}: run with --allow-read (or -A)`);
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n").find((line) => line.trim() !== "")?.trim() ?? "unknown error";
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  const type = typeof value;
  return type === "object" || type === "undefined" ? type : `a ${type}`;
}

/**
 * Finds `exportName` in the module `specifier` names, importing the module here to
 * check that it exists, loads, and exports a function of that name.
 *
 * @param command The command's name, to start the message with (`map`).
 * @param specifier The module as the user typed it.
 * @param exportName The export as the user typed it.
 * @returns The checked reference.
 * @throws {UsageError} The module is missing, unreadable for lack of `--allow-read`, or
 *   does not load, or the export is missing or not a function; the message says what
 *   to do.
 *
 * @example
 * ```ts
 * import { loadTaskModule, UsageError } from "./task_module.ts";
 * import assert from "node:assert/strict";
 *
 * await assert.rejects(loadTaskModule("map", "./no/such/module.ts", "f"), UsageError);
 * ```
 */
export async function loadTaskModule(
  command: string,
  specifier: string,
  exportName: string,
): Promise<TaskModule> {
  const url = moduleUrl(specifier);
  if (url.protocol === "file:") {
    const path = decodeURIComponent(url.pathname);
    let isFile = false;
    try {
      isFile = (await Deno.stat(url)).isFile;
    } catch (error) {
      // Without read permission the module cannot even be looked for: say so, not
      // "cannot find" (the file is usually there).
      if (error instanceof Deno.errors.NotCapable) throw needsRead(command, path);
    }
    if (!isFile) {
      throw new UsageError(
        `${command}: cannot find module '${specifier}' (looked for ${path}): check the path`,
      );
    }
  }
  let namespace: Record<string, unknown>;
  try {
    namespace = await import(url.href);
  } catch (error) {
    // A module it imports may lie outside the paths `--allow-read=...` lists (Deno
    // reports that as a TypeError, so the message is all there is to go by).
    const denied = /^Requires read access to "([^"]+)"/.exec(firstLine(error));
    if (denied) throw needsRead(command, denied[1]!);
    throw new UsageError(
      `${command}: cannot load module '${specifier}': ${firstLine(error)}: fix the module first`,
    );
  }
  if (!(exportName in namespace)) {
    const functions = Object.keys(namespace).filter((name) =>
      typeof namespace[name] === "function"
    );
    const hint = functions.length === 0
      ? "it exports no function: export the function you want to run"
      : `use one of its exported functions: ${functions.join(", ")}`;
    throw new UsageError(
      `${command}: module '${specifier}' has no export '${exportName}': ${hint}`,
    );
  }
  const value = namespace[exportName];
  if (typeof value !== "function") {
    throw new UsageError(
      `${command}: export '${exportName}' of '${specifier}' is ${
        typeName(value)
      }, not a function: name an exported function`,
    );
  }
  return { url: url.href, exportName, fn: fromModule(url, exportName) };
}
