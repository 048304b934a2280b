/**
 * The command line's commands, declared with effect/cli: their flags, descriptions,
 * examples and `--help`. `cli.ts` loads this module only for what its fast path
 * (`fast.ts`) does not answer.
 *
 * @module
 */
import { backendFlag } from "./backend_flag.ts";
import * as Effect from "effect/Effect";
import * as Option from "effect/Option";
import { Argument, Command, Flag } from "effect/cli";
import config from "../../deno.json" with { type: "json" };
import { benchCommand } from "./bench.ts";
import { runDemo } from "./demo.ts";
import { collectInfo, formatInfo } from "./info.ts";
import { mapCommand } from "./map.ts";
import { exitCodeEffect, runCommand } from "./run.ts";
import { runFunction } from "./run_function.ts";
import { runnerCommand } from "./runner.ts";
import { permissionsFromFlags, sandboxFlags } from "./sandbox_flags.ts";
import { cpuCount } from "../process.ts";

const PROGRAM = "multiprocessing";
const RUN = "deno run -A --unstable-worker-options cli.ts";

const moduleArgument = Argument.String("module").pipe(
  Argument.withDescription("The module: a path (./work.ts) or a URL"),
);
const exportArgument = Argument.String("export").pipe(
  Argument.withDescription("The name of the exported function to call"),
);

function optionalInt(name: string, description: string) {
  return Flag.Int(name).pipe(Flag.optional, Flag.withDescription(description));
}

function orNull<A>(option: Option.Option<A>): A | null {
  return Option.getOrNull(option);
}

const map = Command.make(
  "map",
  {
    module: moduleArgument,
    exportName: exportArgument,
    input: Flag.String("input").pipe(
      Flag.withAlias("i"),
      Flag.withMetavar("file"),
      Flag.optional,
      Flag.withDescription("Read the items from this file rather than stdin"),
    ),
    output: Flag.String("output").pipe(
      Flag.withAlias("o"),
      Flag.withMetavar("file"),
      Flag.optional,
      Flag.withDescription("Write the results to this file rather than stdout"),
    ),
    raw: Flag.Boolean("raw").pipe(
      Flag.withDefault(false),
      Flag.withDescription("Take each input line as a string rather than JSON"),
    ),
    unordered: Flag.Boolean("unordered").pipe(
      Flag.withDefault(false),
      Flag.withDescription("Write results as they complete, not in input order"),
    ),
    star: Flag.Boolean("star").pipe(
      Flag.withDefault(false),
      Flag.withDescription("Each item is a JSON array spread as the arguments (starmap)"),
    ),
    keepGoing: Flag.Boolean("keep-going").pipe(
      Flag.withAlias("k"),
      Flag.withDefault(false),
      Flag.withDescription(
        'Write a failed item as {"line":N,"error":{...}} and go on (the exit code is still 1)',
      ),
    ),
    processes: optionalInt("processes", "Worker processes (default: one per core)").pipe(
      Flag.withAlias("j"),
    ),
    chunksize: optionalInt("chunksize", "Items per message to a worker (default: 1)"),
    timeout: optionalInt("timeout", "Milliseconds a chunk may run before it fails"),
    retries: optionalInt("retries", "Times a crashed or timed-out chunk is run again"),
    progress: Flag.Boolean("progress").pipe(
      Flag.withDefault(false),
      Flag.withDescription("Show progress on stderr even when it is not a terminal"),
    ),
    quiet: Flag.Boolean("quiet").pipe(
      Flag.withAlias("q"),
      Flag.withDefault(false),
      Flag.withDescription("Show no progress"),
    ),
    sandbox: sandboxFlags.sandbox,
    allow: sandboxFlags.allow,
    backend: backendFlag,
  },
  (flags) =>
    exitCodeEffect((signal) =>
      mapCommand({
        module: flags.module,
        exportName: flags.exportName,
        input: orNull(flags.input),
        output: orNull(flags.output),
        raw: flags.raw,
        unordered: flags.unordered,
        star: flags.star,
        keepGoing: flags.keepGoing,
        processes: orNull(flags.processes),
        chunksize: orNull(flags.chunksize),
        timeout: orNull(flags.timeout),
        retries: orNull(flags.retries),
        progress: flags.quiet ? "never" : flags.progress ? "always" : "auto",
        permissions: permissionsFromFlags(flags),
        backend: flags.backend,
      }, signal)
    ),
).pipe(
  Command.withDescription(
    "Call an exported function on each input line, in parallel on a pool of workers. " +
      "Input: JSON lines (one item per line) from stdin or --input, streamed. Output: one " +
      "JSON line per result, in input order (or completion order with --unordered), on " +
      "stdout or --output. Progress goes to stderr when it is a terminal. Exit code 0 when " +
      "every item succeeded, 1 when one failed, 2 for bad usage, 130 on Ctrl-C, 141 when " +
      "stdout closed early (| head).",
  ),
  Command.withShortDescription("Map an exported function over JSON lines on every core"),
  Command.withExamples([
    {
      command: `seq 1 5 | ${RUN} map ./tests/fixtures/cli_tasks.ts square`,
      description: "Squares of 1..5, one JSON line each, in order",
    },
    {
      command: `${RUN} map work.ts hash --raw -i files.txt -o hashes.jsonl -j 4`,
      description: "Each line of files.txt as a string, on 4 processes, to a file",
    },
    {
      command: `echo '[2, 3]' | ${RUN} map ./tests/fixtures/cli_tasks.ts add --star`,
      description: "Spread each JSON array as the arguments: add(2, 3)",
    },
    {
      command: `${RUN} map work.ts parse -i in.jsonl --keep-going --sandbox`,
      description: "Failures become error lines; workers get no permissions",
    },
  ]),
);

const run = Command.make(
  "run",
  {
    module: moduleArgument,
    exportName: exportArgument,
    args: Argument.String("args").pipe(
      Argument.variadic(),
      Argument.withDescription("Arguments: each parsed as JSON, else taken as a string"),
    ),
    raw: Flag.Boolean("raw").pipe(
      Flag.withDefault(false),
      Flag.withDescription("Take every argument as a string rather than JSON"),
    ),
    sandbox: sandboxFlags.sandbox,
    allow: sandboxFlags.allow,
    backend: backendFlag,
  },
  (flags) =>
    exitCodeEffect((signal) =>
      runFunction({
        module: flags.module,
        exportName: flags.exportName,
        args: flags.args,
        raw: flags.raw,
        permissions: permissionsFromFlags(flags),
        backend: flags.backend,
      }, signal)
    ),
).pipe(
  Command.withDescription(
    "Call one exported function in its own process and print its return value as JSON " +
      "(nothing for undefined). Exit code 1 when it throws.",
  ),
  Command.withShortDescription("Run one exported function in its own process"),
  Command.withExamples([
    {
      command: `${RUN} run ./tests/fixtures/cli_tasks.ts add 2 3`,
      description: "Prints 5",
    },
    {
      command: `${RUN} run ./tests/fixtures/cli_tasks.ts greet bob --raw`,
      description: 'Arguments as strings: greet("bob")',
    },
  ]),
);

const bench = Command.make(
  "bench",
  {
    processes: Flag.Int("processes").pipe(
      Flag.withAlias("j"),
      Flag.withDefault(cpuCount()),
      Flag.withDescription("Worker processes"),
    ),
    tasks: Flag.Int("tasks").pipe(
      Flag.optional,
      Flag.withDescription("CPU-bound tasks (default: 8 per process)"),
    ),
    taskMs: Flag.Int("task-ms").pipe(
      Flag.withDefault(25),
      Flag.withDescription("Duration of one task on one core, in ms"),
    ),
    messages: Flag.Int("messages").pipe(
      Flag.withDefault(2000),
      Flag.withDescription("Do-nothing tasks for the overhead measurement"),
    ),
    json: Flag.Boolean("json").pipe(
      Flag.withDefault(false),
      Flag.withDescription("Print one JSON object instead of aligned lines"),
    ),
  },
  (flags) =>
    exitCodeEffect((signal) =>
      benchCommand({
        processes: flags.processes,
        tasks: Option.getOrElse(flags.tasks, () => 8 * flags.processes),
        taskMs: flags.taskMs,
        messages: flags.messages,
        json: flags.json,
      }, signal)
    ),
).pipe(
  Command.withDescription(
    "Run a CPU-bound workload on one thread and on the pool, and report the speedup and " +
      "the efficiency per process; then the cost of a task that does nothing, against raw " +
      "postMessage to bare workers (the floor).",
  ),
  Command.withShortDescription("Measure speedup and per-task overhead"),
  Command.withExamples([
    { command: `${RUN} bench`, description: "Aligned lines for people" },
    { command: `${RUN} bench --json -j 2`, description: "One JSON object, two processes" },
  ]),
);

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
  Command.withSubcommands([map, run, demo, bench, info, runnerCommand]),
  Command.withExamples([
    {
      command: `seq 1 5 | ${RUN} map ./tests/fixtures/cli_tasks.ts square`,
      description: "A function over JSON lines on every core",
    },
    { command: `${RUN} demo`, description: "The demo" },
    { command: "deno run -A cli.ts info --json", description: "Platform facts as JSON" },
    { command: "deno run -A cli.ts info --help", description: "Help on one command" },
  ]),
);

/**
 * Runs the command line on `args` with effect/cli and gives the exit code.
 *
 * @param args The arguments after `cli.ts`, as `Deno.args`.
 * @returns 0 on success (and for `--help`), 1 when the command failed, 2 for bad usage,
 *   130 when interrupted by Ctrl-C.
 *
 * @example
 * ```ts
 * import { runEffectCli } from "./commands.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(await runEffectCli(["no-such-command"]), 2);
 * ```
 */
export function runEffectCli(args: readonly string[]): Promise<number> {
  return runCommand(root, args, config.version);
}
