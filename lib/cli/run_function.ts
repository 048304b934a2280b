/**
 * The `run` command: one exported function in its own process, its return value
 * printed on stdout as JSON.
 *
 * @module
 */
import { Process } from "../process.ts";
import type { Permissions } from "../permissions.ts";
import { checkSandboxAvailable } from "./sandbox_check.ts";
import { loadTaskModule, UsageError } from "./task_module.ts";
import { EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE } from "./exit_codes.ts";
import { describeFailure } from "./map.ts";

/** What `run` was asked to do. */
export interface RunFunctionOptions {
  /** The module, as typed: a path or a URL. */
  readonly module: string;
  /** The exported function's name. */
  readonly exportName: string;
  /** The arguments as typed: each parsed as JSON, else taken as a string. */
  readonly args: readonly string[];
  /** Take every argument as a string. */
  readonly raw: boolean;
  /** The process's permissions. */
  readonly permissions: Permissions;
  /** What the process is (`--backend`). @default {"worker"} */
  readonly backend?: "worker" | "subprocess";
}

/**
 * An argument as typed on the command line: JSON when it parses (`3`, `true`,
 * `[1,2]`, `"x"`), else the text itself (`bob`).
 *
 * @param text The argument.
 * @returns Its value.
 *
 * @example
 * ```ts
 * import { parseArgument } from "./run_function.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(parseArgument("3"), 3);
 * assert.equal(parseArgument("bob"), "bob");
 * assert.deepEqual(parseArgument('{"a":1}'), { a: 1 });
 * ```
 */
export function parseArgument(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Runs `run` and gives its exit code: 0 when the function returned (its value on
 * stdout as one JSON line; nothing for `undefined`), 1 when it threw or its process
 * died, 2 for bad usage, 130 when `signal` aborted (the process is terminated).
 *
 * @param options What to run and with which arguments.
 * @param signal Aborts the run (SIGINT).
 * @returns The exit code.
 *
 * @example
 * ```ts
 * import { runFunction } from "./run_function.ts";
 * import assert from "node:assert/strict";
 *
 * const options = { module: "./no/such.ts", exportName: "f", args: [], raw: false,
 *   permissions: "inherit" as const };
 * assert.equal(await runFunction(options, new AbortController().signal), 2);
 * ```
 */
export async function runFunction(
  options: RunFunctionOptions,
  signal: AbortSignal,
): Promise<number> {
  let process: Process<(...args: unknown[]) => unknown>;
  try {
    const task = await loadTaskModule("run", options.module, options.exportName);
    checkSandboxAvailable("run", options.permissions, options.backend);
    const args = options.raw ? [...options.args] : options.args.map(parseArgument);
    process = new Process({
      target: task.fn as (...args: unknown[]) => unknown,
      args,
      name: options.exportName,
      permissions: options.permissions,
      ...(options.backend === undefined ? {} : { backend: options.backend }),
    });
    await process.start().catch((error) => {
      if (error instanceof RangeError || error instanceof TypeError) {
        throw new UsageError(`run: ${error.message}`);
      }
      throw error;
    });
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(error.message);
    return EXIT_USAGE;
  }
  const stop = (): void => process.terminate();
  signal.addEventListener("abort", stop, { once: true });
  try {
    const value = await process.join();
    if (signal.aborted) return EXIT_INTERRUPTED;
    if (value !== undefined) {
      let text: string | undefined;
      try {
        text = JSON.stringify(value);
      } catch (error) {
        console.error(
          `run: ${options.exportName} returned a value that cannot be written as JSON: ${
            error instanceof Error ? error.message : String(error)
          }`,
        );
        return EXIT_FAILURE;
      }
      if (text !== undefined) console.log(text);
    }
    return EXIT_OK;
  } catch (error) {
    if (signal.aborted) return EXIT_INTERRUPTED;
    const { tag, name, message } = describeFailure(error);
    console.error(
      `run: ${options.exportName} failed: ${tag}${name === undefined ? "" : ` (${name})`}: ${
        message.split("\n")[0]
      }`,
    );
    return EXIT_FAILURE;
  } finally {
    signal.removeEventListener("abort", stop);
  }
}
