/**
 * The command line: `deno run -A --unstable-worker-options cli.ts <command>`.
 *
 * Commands: `map` (a module's exported function over JSON lines, on every core),
 * `run` (one function in its own process), `demo` (the classic examples, each under
 * the question it answers), `bench` (speedup and per-task overhead) and `info`
 * (versions, cores, worker permissions). `--help` works on every command. Data goes
 * to stdout, messages to stderr; the exit code is 0 on success, 1 when a command (or
 * any item of a `map`) failed, 2 for bad usage, 130 when interrupted by Ctrl-C.
 *
 * @example Reading the platform as JSON
 * ```ts
 * import { main } from "./cli.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(await main(["info", "--json"]), 0);
 * ```
 *
 * @module
 */
import { loadCommand, runFast } from "./lib/cli/fast.ts";
import { EXIT_USAGE } from "./lib/cli/exit_codes.ts";

/**
 * Runs the command line on `args` and gives the exit code (it does not exit).
 *
 * @param args The arguments after `cli.ts`, as `Deno.args`.
 * @returns 0 on success (and for `--help`), 1 when the command failed, 2 for bad usage,
 *   130 when interrupted by Ctrl-C.
 *
 * @example
 * ```ts
 * import { main } from "./cli.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(await main(["no-such-command"]), 2);
 * ```
 */
export async function main(args: string[]): Promise<number> {
  // `--help`, `info` and plain `map` skip loading effect/cli (commands.ts).
  const fast = await runFast(args);
  if (fast !== null) return fast;
  const command = /^\w/.test(args[0] ?? "") ? args[0]! : "multiprocessing";
  const cli = await loadCommand<typeof import("./lib/cli/commands.ts")>(
    command,
    new URL("./lib/cli/commands.ts", import.meta.url),
  );
  return cli === null ? EXIT_USAGE : await cli.runEffectCli(args);
}

if (import.meta.main) {
  const code = await main(Deno.args);
  // Exit explicitly: a worker busy in synchronous code would otherwise keep us alive.
  Deno.exit(code);
}
