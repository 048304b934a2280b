/**
 * The command line and the runnable examples, run as a user runs them: as
 * subprocesses of this Deno, reading their exit code, stdout and stderr.
 */
import assert from "node:assert/strict";
import { Effect, Option } from "effect";
import { Command } from "effect/cli";
import { denoCliLayer } from "../lib/cli/platform.ts";
import { permissionsFromFlags, sandboxFlags } from "../lib/cli/sandbox_flags.ts";
import type { Permissions } from "../lib/permissions.ts";

const ROOT = new URL("../", import.meta.url);
const CLI = new URL("cli.ts", ROOT).pathname;
const TASKS = "tests/fixtures/cli_tasks.ts";

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function deno(args: string[], input?: string): Promise<Run> {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT.pathname,
    stdin: input === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  if (input !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(input));
    await writer.close();
  }
  const output = await child.output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

function cli(...args: string[]): Promise<Run> {
  return deno(["run", "-A", "--unstable-worker-options", CLI, ...args]);
}

/** Runs the CLI with `input` on its stdin. */
function cliWith(input: string, ...args: string[]): Promise<Run> {
  return deno(["run", "-A", "--unstable-worker-options", CLI, ...args], input);
}

function lines(text: string): string[] {
  return text.split("\n").filter((line) => line !== "");
}

const PROCESS_LINES = [1, 2, 3, 4].map((n) => `Process Process-${n}: ${n}`);

Deno.test("cli demo runs every classic example under its question and exits 0", async () => {
  const run = await cli("demo");
  assert.equal(run.code, 0, run.stderr);
  const lines = run.stdout.split("\n");
  const headings = [
    "How do I run a function in its own process?",
    "How do I map a function over a list on every core?",
    "How do four processes each print their name?",
    "How do processes pass work along a Queue?",
    "How do two processes talk over a Pipe?",
    "How do processes share a counter safely?",
    "How does the Effect face cancel work?",
    "How do I run code I do not trust?",
  ];
  const positions = headings.map((heading) => lines.indexOf(`## ${heading}`));
  assert.ok(positions.every((at) => at >= 0), `a heading is missing:\n${run.stdout}`);
  assert.deepEqual([...positions].sort((a, b) => a - b), positions, "headings out of order");
  assert.ok(lines.includes("hello bob from Process-1"), run.stdout);
  for (const line of PROCESS_LINES) assert.ok(lines.includes(line), `no '${line}'`);
  assert.ok(lines.includes("[ 1, 4, 9, 16, 25 ]"), run.stdout);
  assert.ok(lines.some((line) => line.includes("[ 36, 49, 64 ] (the pool still serves)")));
});

Deno.test("cli demo prints each example's output under its own heading", async () => {
  const { stdout } = await cli("demo");
  const sections = stdout.split(/^## /m).slice(1);
  assert.equal(sections.length, 8);
  assert.match(sections[0]!, /hello bob from Process-1/);
  assert.match(sections[1]!, /^\[ 1, 4, 9, 16, 25 \]$/m);
  for (const line of PROCESS_LINES) assert.ok(sections[2]!.includes(line));
  assert.match(sections[3]!, /81/);
  assert.match(sections[4]!, /^pong 2$/m);
  assert.match(sections[5]!, /^40000$/m);
  assert.match(sections[6]!, /interrupted after 100 ms/);
  assert.match(sections[7]!, /refused \(NotCapable\)/);
});

Deno.test("cli info --json gives the versions, the cores and worker permissions", async () => {
  const run = await cli("info", "--json");
  assert.equal(run.code, 0, run.stderr);
  const info = JSON.parse(run.stdout);
  assert.equal(info.deno, Deno.version.deno);
  assert.equal(info.v8, Deno.version.v8);
  assert.equal(info.cores, navigator.hardwareConcurrency);
  assert.equal(info.name, "@multiprocessing/deno");
  assert.match(info.version, /^\d+\.\d+\.\d+/);
  assert.equal(typeof info.workerPermissionsSource, "string");
  if (Deno.build.os === "linux") {
    assert.equal(info.workerPermissions, true);
    assert.match(info.workerPermissionsSource, /--unstable-worker-options on the command line/);
  }
});

Deno.test("cli info reports worker permissions unavailable without the flag", {
  ignore: Deno.build.os !== "linux",
}, async () => {
  const run = await deno(["run", "-A", CLI, "info", "--json"]);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(JSON.parse(run.stdout).workerPermissions, false);
});

Deno.test("cli info prints aligned key: value lines", async () => {
  const run = await cli("info");
  assert.equal(run.code, 0, run.stderr);
  const lines = run.stdout.trimEnd().split("\n");
  const valueColumns = new Set(lines.map((line) => line.search(/(?<=:\s+)\S/)));
  assert.equal(valueColumns.size, 1, `values not aligned:\n${run.stdout}`);
  assert.ok(lines.includes(`deno:               ${Deno.version.deno}`), run.stdout);
  assert.ok(lines.some((line) => /^cores: +\d+$/.test(line)));
  assert.ok(
    lines.some((line) => /^worker permissions: +(available|unavailable|unknown)/.test(line)),
  );
});

Deno.test("cli --help prints usage and examples on stdout and exits 0", async () => {
  const run = await cli("--help");
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stderr, "");
  assert.match(run.stdout, /USAGE/);
  assert.match(run.stdout, /demo/);
  assert.match(run.stdout, /info/);
  assert.match(run.stdout, /EXAMPLES/);
});

Deno.test("cli <command> --help documents that command with an example", async () => {
  for (const command of ["demo", "info"]) {
    const run = await cli(command, "--help");
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`multiprocessing ${command}`));
    assert.match(run.stdout, new RegExp(`EXAMPLES[\\s\\S]*cli\\.ts ${command}`));
  }
  assert.match((await cli("info", "--help")).stdout, /--json/);
});

Deno.test("cli rejects an unknown command with one line on stderr and exit code 2", async () => {
  const run = await cli("no-such-command");
  assert.equal(run.code, 2);
  assert.equal(run.stdout, "");
  const lines = run.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, run.stderr);
  assert.match(lines[0]!, /Unknown subcommand "no-such-command"/);
  assert.match(lines[0]!, /--help/);
});

Deno.test("cli rejects an unknown flag with one line on stderr and exit code 2", async () => {
  const run = await cli("info", "--no-such-flag");
  assert.equal(run.code, 2);
  assert.equal(run.stdout, "");
  const lines = run.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, run.stderr);
  assert.match(lines[0]!, /--no-such-flag/);
});

Deno.test("cli without a command shows usage on stderr and exits 2", async () => {
  const run = await cli();
  assert.equal(run.code, 2);
  assert.equal(run.stdout, "");
  assert.match(run.stderr, /a command is required/);
});

Deno.test("examples/02_four_processes.ts run alone prints one line per process", async () => {
  const run = await deno(["run", "-A", new URL("examples/02_four_processes.ts", ROOT).pathname]);
  assert.equal(run.code, 0, run.stderr);
  const lines = run.stdout.trimEnd().split("\n").sort();
  assert.deepEqual(lines, PROCESS_LINES);
});

Deno.test("cli map writes one JSON line per item in input order", async () => {
  const input = Array.from({ length: 20 }, (_, i) => `${i + 1}`).join("\n") + "\n";
  const run = await cliWith(input, "map", TASKS, "square", "-j", "2");
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stderr, "", "no progress when stderr is not a terminal");
  assert.deepEqual(lines(run.stdout), Array.from({ length: 20 }, (_, i) => `${(i + 1) ** 2}`));
});

Deno.test("cli map --unordered writes every result once", async () => {
  const run = await cliWith("30\n1\n20\n2\n10\n", "map", TASKS, "sleepySquare", "--unordered");
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(lines(run.stdout).map(Number).sort((a, b) => a - b), [1, 4, 100, 400, 900]);
});

Deno.test("cli map --star spreads each JSON array as the arguments", async () => {
  const run = await cliWith('[1, 2]\n[3, 4]\n["a", "b"]\n', "map", TASKS, "add", "--star");
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(lines(run.stdout), ["3", "7", '"ab"']);
});

Deno.test("cli map --keep-going writes failures as error lines with their line number", async () => {
  const run = await cliWith("1\n-2\n\n3\nnot json\n4\n", "map", TASKS, "squareNonNegative", "-k");
  assert.equal(run.code, 1, "an item failed");
  const out = lines(run.stdout).map((line) => JSON.parse(line));
  const invalid = out[3]?.error?.message;
  assert.match(invalid, /not valid JSON/);
  assert.deepEqual(out, [
    1,
    { line: 2, error: { tag: "TaskError", name: "RangeError", message: "negative input: -2" } },
    9,
    { line: 5, error: { tag: "InvalidInput", message: invalid } },
    16,
  ]);
});

Deno.test("cli map --keep-going --star --unordered tags each failure with its line", async () => {
  const run = await cliWith(
    "[1, 2]\n3\n[5, 6]\n",
    "map",
    TASKS,
    "add",
    "--star",
    "-k",
    "--unordered",
  );
  assert.equal(run.code, 1);
  const out = lines(run.stdout).map((line) => JSON.parse(line));
  assert.equal(out.length, 3);
  assert.deepEqual(out.filter((x) => typeof x === "number").sort(), [11, 3]);
  const failure = out.find((x) => typeof x === "object");
  assert.equal(failure.line, 2);
  assert.match(failure.error.message, /not a JSON array/);
});

Deno.test("cli map stops at the first failure without --keep-going, naming its line", async () => {
  const run = await cliWith("1\n2\n-3\n4\n", "map", TASKS, "squareNonNegative", "-j", "1");
  assert.equal(run.code, 1);
  assert.deepEqual(lines(run.stdout), ["1", "4"]);
  const errors = lines(run.stderr);
  assert.equal(errors.length, 1, run.stderr);
  assert.match(errors[0]!, /line 3 failed: TaskError \(RangeError\): negative input: -3/);
  assert.match(errors[0]!, /--keep-going/);
});

Deno.test("cli map names the line of malformed JSON and writes what came before", async () => {
  const run = await cliWith("1\n2\n{oops\n4\n", "map", TASKS, "square");
  assert.equal(run.code, 1);
  assert.deepEqual(lines(run.stdout), ["1", "4"]);
  const errors = lines(run.stderr);
  assert.equal(errors.length, 1, run.stderr);
  assert.match(errors[0]!, /^map: line 3 is not valid JSON/);
  assert.match(errors[0]!, /--raw/);
});

Deno.test("cli map --raw reads --input lines as strings and writes --output", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/in.txt`, "hello\n\n{not json}\r\nend");
    const run = await cli(
      "map",
      TASKS,
      "length",
      "--raw",
      "-i",
      `${dir}/in.txt`,
      "-o",
      `${dir}/out`,
    );
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, "");
    assert.equal(await Deno.readTextFile(`${dir}/out`), "5\n0\n10\n3\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli map and run refuse a missing module with one line and exit code 2", async () => {
  for (const command of ["map", "run"]) {
    const run = await cliWith("1\n", command, "./no/such/module.ts", "square");
    assert.equal(run.code, 2, run.stderr);
    assert.equal(run.stdout, "");
    const errors = lines(run.stderr);
    assert.equal(errors.length, 1, run.stderr);
    assert.match(errors[0]!, new RegExp(`^${command}: cannot find module './no/such/module.ts'`));
    assert.match(errors[0]!, /check the path/);
  }
});

Deno.test("cli map refuses a missing export or a non-function with exit code 2", async () => {
  const missing = await cliWith("1\n", "map", TASKS, "sqaure");
  assert.equal(missing.code, 2);
  assert.equal(missing.stdout, "");
  assert.equal(lines(missing.stderr).length, 1, missing.stderr);
  assert.match(
    missing.stderr,
    /has no export 'sqaure': use one of its exported functions: .*square/,
  );
  const notFunction = await cliWith("1\n", "map", TASKS, "notAFunction");
  assert.equal(notFunction.code, 2);
  assert.match(notFunction.stderr, /'notAFunction' .* is a number, not a function/);
});

Deno.test("cli map rejects a bad option value as bad usage", async () => {
  const run = await cliWith("1\n", "map", TASKS, "square", "-j", "0");
  assert.equal(run.code, 2);
  assert.equal(lines(run.stderr).length, 1, run.stderr);
  assert.match(run.stderr, /'processes' must be a positive integer: current value is 0/);
  const chunks = await cliWith("1\n", "map", TASKS, "square", "--chunksize", "0");
  assert.equal(chunks.code, 2);
  assert.match(chunks.stderr, /--chunksize must be a positive integer/);
});

Deno.test("cli map --progress writes progress to stderr, never to stdout", async () => {
  const run = await cliWith("1\n2\n3\n", "map", TASKS, "square", "--progress");
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(lines(run.stdout), ["1", "4", "9"]);
  assert.match(run.stderr, /^map: 3 done, 0 failed, [\d.]+\/s, /m);
  const quiet = await cliWith("1\n", "map", TASKS, "square", "--progress", "--quiet");
  assert.equal(quiet.stderr, "");
});

/** Starts the CLI with `input`, reading its stdout as it comes. */
function spawnCli(input: string, ...args: string[]) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-worker-options", CLI, ...args],
    cwd: ROOT.pathname,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const writer = child.stdin.getWriter();
  writer.write(new TextEncoder().encode(input)).then(() => writer.close());
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let stdout = "";
  return {
    child,
    /** Reads stdout until it holds `count` lines; fails if it ends first. */
    async untilLines(count: number): Promise<string> {
      while (lines(stdout).length < count || !stdout.endsWith("\n")) {
        const { done, value } = await reader.read();
        if (done) throw new Error(`stdout ended after:\n${stdout}`);
        stdout += value;
      }
      return stdout;
    },
    /** The rest of stdout, all of stderr, and the exit code. */
    async end(): Promise<Run> {
      while (true) {
        const { done, value } = await reader.read();
        if (done) break;
        stdout += value;
      }
      const stderr = await new Response(child.stderr).text();
      const { code } = await child.status;
      return { code, stdout, stderr };
    },
  };
}

/** Kills the child and fails if the test does not end in time (never a pass). */
function guard(child: Deno.ChildProcess, ms = 20_000): () => void {
  const timer = setTimeout(() => child.kill("SIGKILL"), ms);
  return () => clearTimeout(timer);
}

Deno.test("cli map on Ctrl-C writes the results so far, stops the workers and exits 130", async () => {
  // 100 never returns: the run is stuck behind it, in order, after 1, 4, 9.
  const run = spawnCli("1\n2\n3\n100\n4\n", "map", TASKS, "squareOrHang", "-j", "2");
  const stop = guard(run.child);
  try {
    assert.equal(await run.untilLines(3), "1\n4\n9\n");
    run.child.kill("SIGINT");
    const end = await run.end();
    assert.equal(end.code, 130, end.stderr);
    assert.equal(end.stdout, "1\n4\n9\n");
  } finally {
    stop();
  }
});

Deno.test("cli map --unordered writes in completion order; Ctrl-C ends a busy worker's run", async () => {
  // The first item spins forever in synchronous code; the second still comes out.
  const run = spawnCli("100\n3\n", "map", TASKS, "squareOrSpin", "-j", "2", "--unordered");
  const stop = guard(run.child);
  try {
    assert.equal(await run.untilLines(1), "9\n");
    run.child.kill("SIGINT");
    const end = await run.end();
    assert.equal(end.code, 130, end.stderr);
    assert.equal(end.stdout, "9\n");
  } finally {
    stop();
  }
});

Deno.test("cli run prints the return value as JSON", async () => {
  const add = await cli("run", TASKS, "add", "2", "3");
  assert.equal(add.code, 0, add.stderr);
  assert.equal(add.stdout, "5\n");
  const greet = await cli("run", TASKS, "greet", "bob");
  assert.equal(greet.stdout, '"hello bob from greet"\n');
  const raw = await cli("run", TASKS, "add", "2", "3", "--raw");
  assert.equal(raw.stdout, '"23"\n');
});

Deno.test("cli run exits 1 with one line when the function throws", async () => {
  const run = await cli("run", TASKS, "squareNonNegative", "--", "-3");
  assert.equal(run.code, 1);
  assert.equal(run.stdout, "");
  assert.match(
    run.stderr,
    /^run: squareNonNegative failed: TaskError \(RangeError\): negative input: -3\n$/,
  );
});

Deno.test("cli map and run --sandbox deny what --allow-read grants", async () => {
  const file = await Deno.makeTempFile();
  try {
    await Deno.writeTextFile(file, "secret");
    const input = `${JSON.stringify(file)}\n`;
    const denied = await cliWith(input, "map", TASKS, "readText", "--sandbox", "-k");
    assert.equal(denied.code, 1);
    const line = JSON.parse(denied.stdout);
    assert.equal(line.line, 1);
    assert.equal(line.error.name, "NotCapable");
    const granted = await cliWith(input, "map", TASKS, "readText", `--allow-read=${file}`);
    assert.equal(granted.code, 0, granted.stderr);
    assert.equal(granted.stdout, '"secret"\n');
    const runDenied = await cli("run", TASKS, "readText", file, "--sandbox");
    assert.equal(runDenied.code, 1);
    assert.match(runDenied.stderr, /NotCapable/);
    const runGranted = await cli("run", TASKS, "readText", file, "--allow-read");
    assert.equal(runGranted.stdout, '"secret"\n');
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("cli map --sandbox without --unstable-worker-options is bad usage, not exit 70", {
  ignore: Deno.build.os !== "linux",
}, async () => {
  const run = await deno(["run", "-A", CLI, "map", TASKS, "square", "--sandbox"], "1\n");
  assert.equal(run.code, 2);
  assert.match(run.stderr, /need worker permissions.*run deno with --unstable-worker-options/);
});

/** Parses `args` with the sandbox flags, as `map` and `run` do. */
async function parsePermissions(args: string[]): Promise<Permissions> {
  let parsed: Permissions | null = null;
  const command = Command.make("x", { sandbox: sandboxFlags.sandbox, allow: sandboxFlags.allow }, (
    flags,
  ) => Effect.sync(() => (parsed = permissionsFromFlags(flags))));
  await Effect.runPromise(
    Command.runWith(command, { version: "0" })(args).pipe(Effect.provide(denoCliLayer(args))),
  );
  assert.ok(parsed !== null, `did not parse ${args.join(" ")}`);
  return parsed;
}

Deno.test("cli sandbox flags map to permissions as deno's --allow-* do", async () => {
  assert.equal(await parsePermissions([]), "inherit");
  assert.equal(await parsePermissions(["--sandbox"]), "none");
  assert.deepEqual(await parsePermissions(["--allow-read"]), { read: true });
  assert.deepEqual(
    await parsePermissions(["--sandbox", "--allow-read=./data,/tmp", "--allow-net=x.test:443"]),
    { read: ["./data", "/tmp"], net: ["x.test:443"] },
  );
  assert.deepEqual(
    await parsePermissions([
      "--allow-write",
      "--allow-env=HOME",
      "--allow-run",
      "--allow-ffi",
      "--allow-sys",
      "--allow-import",
    ]),
    { write: true, env: ["HOME"], run: true, ffi: true, sys: true, import: true },
  );
  const none = Option.none<string>();
  assert.deepEqual(
    permissionsFromFlags({
      sandbox: false,
      allow: {
        read: none,
        write: none,
        net: none,
        env: none,
        run: none,
        ffi: none,
        sys: none,
        import: Option.some(","),
      },
    }),
    { import: true },
  );
});

Deno.test("cli bench --json reports speedup, efficiency and overhead", async () => {
  const run = await cli(
    "bench",
    "--json",
    "-j",
    "2",
    "--tasks",
    "4",
    "--task-ms",
    "5",
    "--messages",
    "50",
  );
  assert.equal(run.code, 0, run.stderr);
  const report = JSON.parse(run.stdout);
  assert.equal(report.processes, 2);
  assert.equal(report.tasks, 4);
  for (const key of ["taskMs", "singleMs", "poolMs", "speedup", "efficiency", "poolReadyMs"]) {
    assert.ok(report[key] > 0, `${key}: ${report[key]}`);
  }
  assert.ok(Math.abs(report.efficiency - report.speedup / 2) <= 0.01, JSON.stringify(report));
  for (const key of ["poolRoundTripUs", "rawRoundTripUs", "poolPipelinedUs", "rawPipelinedUs"]) {
    assert.ok(report.overhead[key] > 0, `${key}: ${report.overhead[key]}`);
  }
});

Deno.test("cli map, run and bench --help document their flags with examples", async () => {
  const flags: Record<string, string[]> = {
    map: [
      "--input",
      "--output",
      "--raw",
      "--unordered",
      "--star",
      "--keep-going",
      "--processes",
      "--chunksize",
      "--timeout",
      "--retries",
      "--progress",
      "--quiet",
      "--sandbox",
      "--allow-read",
    ],
    run: ["--raw", "--sandbox", "--allow-net"],
    bench: ["--json", "--processes", "--tasks"],
  };
  for (const [command, names] of Object.entries(flags)) {
    const run = await cli(command, "--help");
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`EXAMPLES[\\s\\S]*cli\\.ts ${command}`));
    for (const name of names) assert.ok(run.stdout.includes(name), `${command} --help: ${name}`);
  }
});

Deno.test("cli map and run take --backend subprocess: children instead of workers", async () => {
  const mapped = await cliWith(
    "1\n2\n3\n",
    "map",
    TASKS,
    "whoAmIPid",
    "--backend",
    "subprocess",
    "-j",
    "2",
  );
  assert.equal(mapped.code, 0, mapped.stderr);
  const pids = mapped.stdout.trim().split("\n").map(Number);
  assert.equal(pids.length, 3);
  // Real OS pids of child processes: none is this test's own pid, and each is alive-sized.
  assert.ok(pids.every((pid) => Number.isInteger(pid) && pid > 1 && pid !== Deno.pid), pids.join());
  const ran = await cli("run", TASKS, "add", "2", "3", "--backend", "subprocess");
  assert.equal(ran.code, 0, ran.stderr);
  assert.equal(ran.stdout.trim(), "5");
  const bad = await cli("run", TASKS, "add", "2", "3", "--backend", "thread");
  assert.equal(bad.code, 2);
});

Deno.test("cli map and run without --allow-read say read access is missing, not the module", async () => {
  // A command's own modules load when it runs (lib/load_later.ts): the first file the
  // CLI cannot read is its own, and the message names it.
  const modules = { map: "lib/cli/map.ts", run: "lib/cli/commands.ts" };
  for (const command of ["map", "run"] as const) {
    // No permission flags at all: the module exists, but cannot even be looked at.
    const run = await deno(["run", CLI, command, TASKS, "square"], "1\n");
    assert.equal(run.code, 2, run.stderr);
    assert.equal(run.stdout, "");
    const path = new URL(modules[command], ROOT).pathname;
    assert.deepEqual(lines(run.stderr), [
      `${command}: needs read access to ${path}: run with --allow-read (or -A)`,
    ]);
  }
  // Read access to the task module alone: still the CLI's own module is named.
  const narrow = await deno(["run", `--allow-read=${TASKS}`, CLI, "map", TASKS, "square"], "1\n");
  assert.equal(narrow.code, 2, narrow.stderr);
  assert.match(narrow.stderr, /^map: needs read access to \/.*\/lib\/cli\/map\.ts: run with/);
  // Read access to the library but not to the task module: the task module is named.
  const library = new URL("lib/", ROOT).pathname;
  const tasks = await deno(["run", `--allow-read=${library}`, CLI, "map", TASKS, "square"], "1\n");
  assert.equal(tasks.code, 2, tasks.stderr);
  assert.deepEqual(lines(tasks.stderr), [
    `map: needs read access to ${new URL(TASKS, ROOT).pathname}: run with --allow-read (or -A)`,
  ]);
});

Deno.test("cli --help needs no permission; info without --allow-read says so", async () => {
  const help = await deno(["run", CLI, "--help"]);
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /^DESCRIPTION\n {2}Python's multiprocessing for Deno/);
  const info = await deno(["run", CLI, "info"]);
  assert.equal(info.code, 2, info.stderr);
  assert.deepEqual(lines(info.stderr), [
    `info: needs read access to ${
      new URL("lib/cli/info.ts", ROOT).pathname
    }: run with --allow-read (or -A)`,
  ]);
});

Deno.test("cli map -j over the bound is bad usage naming the bound, before any worker starts", async () => {
  const run = await cliWith("1\n", "map", TASKS, "square", "-j", "10000");
  assert.equal(run.code, 2);
  assert.equal(run.stdout, "");
  assert.deepEqual(lines(run.stderr), [
    "map: Cannot open pool as 'processes' must be an integer from 1 to 256: current value is 10000",
  ]);
});

Deno.test("cli map whose stdout is closed early ends quietly with exit code 141 (SIGPIPE)", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, "map", TASKS, "square", "--chunksize", "100"],
    cwd: ROOT.pathname,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  // Far more output than a pipe holds: the CLI is still writing when the reader goes.
  const input = Array.from({ length: 200_000 }, (_, i) => String(i + 1)).join("\n") + "\n";
  const feeding = (async () => {
    const writer = child.stdin.getWriter();
    try {
      await writer.write(new TextEncoder().encode(input));
      await writer.close();
    } catch {
      // The CLI stopped reading its input once its output was gone.
    }
  })();
  const stderr = new Response(child.stderr).text();
  const reader = child.stdout.getReader();
  const first = await reader.read();
  assert.match(new TextDecoder().decode(first.value), /^1\n/);
  await reader.cancel(); // `| head -1`: the reading end of the pipe is closed
  const status = await child.status;
  await feeding;
  assert.equal(await stderr, "", "no error line");
  assert.equal(status.code, 141);
});

Deno.test("cli bench with a number out of range is bad usage, before any worker starts", async () => {
  // `--messages 0` used to wait forever for answers that never come.
  const cases: [string[], string][] = [
    [["--messages", "0"], "'--messages' must be a positive integer: current value is 0"],
    [["--tasks", "-5"], "'--tasks' must be a positive integer: current value is -5"],
    [["--task-ms", "0"], "'--task-ms' must be a positive integer: current value is 0"],
    [["-j", "0"], "'--processes' must be a positive integer: current value is 0"],
    [["-j", "300"], "'--processes' must be an integer from 1 to 256: current value is 300"],
  ];
  for (const [flags, message] of cases) {
    const run = await cli("bench", ...flags);
    assert.equal(run.code, 2, run.stderr);
    assert.equal(run.stdout, "");
    assert.deepEqual(lines(run.stderr), [`bench: ${message}`]);
  }
});
