/**
 * The command line: `deno run -A --unstable-worker-options cli.ts <command>`.
 *
 * Commands: `demo` (the classic examples, each under the question it answers) and
 * `info` (versions, cores, worker permissions). `--help` works on every command. Data
 * goes to stdout, messages to stderr; the exit code is 0 on success, 1 when a command
 * failed, 2 for bad usage.
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
import { Effect } from "effect";
import { Command, Flag } from "effect/cli";
import config from "./deno.json" with { type: "json" };
import { runDemo } from "./lib/cli/demo.ts";
import { collectInfo, formatInfo } from "./lib/cli/info.ts";
import { runCommand } from "./lib/cli/run.ts";

const PROGRAM = "multiprocessing";

const demo = Command.make("demo", {}, () => runDemo()).pipe(
  Command.withDescription(
    "Run the classic examples in order, each under a heading naming the question it answers.",
  ),
  Command.withShortDescription("Run the classic examples"),
  Command.withExamples([
    {
      command: "deno run -A --unstable-worker-options cli.ts demo",
      description: "Show processes, a pool map and an interrupted map",
    },
  ]),
);

const info = Command.make(
  "info",
  {
    json: Flag.Boolean("json").pipe(
      Flag.withDefault(false),
      Flag.withDescription("Print one JSON object instead of aligned lines"),
    ),
  },
  ({ json }) =>
    Effect.sync(() => {
      const facts = collectInfo();
      console.log(json ? JSON.stringify(facts) : formatInfo(facts));
    }),
).pipe(
  Command.withDescription(
    "Show the Deno and V8 versions, the core count, this library's version, and whether " +
      "worker permissions (--unstable-worker-options) are available.",
  ),
  Command.withShortDescription("Show versions, cores and worker permissions"),
  Command.withExamples([
    { command: "deno run -A cli.ts info", description: "Aligned key: value lines" },
    { command: "deno run -A cli.ts info --json", description: "One JSON object" },
  ]),
);

const root = Command.make(PROGRAM).pipe(
  Command.withDescription(
    "Python's multiprocessing for Deno: processes and pools over Web Workers.",
  ),
  Command.withSubcommands([demo, info]),
  Command.withExamples([
    { command: "deno run -A --unstable-worker-options cli.ts demo", description: "The demo" },
    { command: "deno run -A cli.ts info --json", description: "Platform facts as JSON" },
    { command: "deno run -A cli.ts info --help", description: "Help on one command" },
  ]),
);

/**
 * Runs the command line on `args` and gives the exit code (it does not exit).
 *
 * @param args The arguments after `cli.ts`, as `Deno.args`.
 * @returns 0 on success (and for `--help`), 1 when the command failed, 2 for bad usage.
 *
 * @example
 * ```ts
 * import { main } from "./cli.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(await main(["no-such-command"]), 2);
 * ```
 */
export function main(args: string[]): Promise<number> {
  return runCommand(root, args, config.version);
}

if (import.meta.main) {
  const code = await main(Deno.args);
  // Exit explicitly: a worker busy in synchronous code would otherwise keep us alive.
  Deno.exit(code);
}
